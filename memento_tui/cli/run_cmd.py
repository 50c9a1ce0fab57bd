"""``memento run "TASK"``: one task, headless, the whole loop, with progress as it goes."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memento_tui.cli.common import print_json, services_from
from memento_tui.cli.main import EXIT_ERROR, EXIT_FAIL, EXIT_OK
from memento_tui.domain.agent.render import error_text, live_lines, verdict_text
from memento_tui.domain.agent.trace import RunFailed, TraceEvent, VerdictGiven
from memento_tui.domain.skills.hidden_text import terminal_safe

if TYPE_CHECKING:
    from memento_tui.domain.agent.runs import RunRecord
    from memento_tui.domain.learning.outcome import LearningOutcome

EXIT_CANCELLED = 130  # as a shell reports a program stopped by Ctrl-C


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one task headless: retrieve, execute, judge (and learn)")
    p.add_argument("task", help="what to do, in words")
    p.add_argument(
        "--check",
        metavar="CMD",
        help="shell command run in the sandbox on the work dir; exit 0 = pass",
    )
    p.add_argument(
        "--input",
        metavar="PATH",
        action="append",
        default=[],
        help="copy a file or folder into the task's work dir (repeatable)",
    )
    p.add_argument("--model", help="litellm model string for this run (overrides the config)")
    p.add_argument("--api-base", help="server URL for this run (overrides the config)")
    p.add_argument("--no-learn", action="store_true", help="do not reflect or propose a patch on failure")
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run commands WITHOUT the sandbox (a person's decision; warned on every run)",
    )
    p.add_argument("--json", action="store_true", help="print the run record as JSON at the end")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress: only the run id and the verdict")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from memento_tui.domain.agent.request import RunCallbacks, RunRequest
    from memento_tui.services.tasks import run_task

    services = services_from(args)
    model_cfg = services.workspace.config.model
    # The person's flags: they need no confirmation before a key is sent (llm/trust.py).
    if args.model:
        model_cfg.set_by_person(name=args.model)
    if args.api_base:
        model_cfg.set_by_person(api_base=args.api_base)
    if not model_cfg.name:
        from memento_tui.domain.llm.first_run import no_model_lines

        print("\n".join(no_model_lines(str(services.paths.config))), file=sys.stderr)
        return EXIT_ERROR
    printer = ProgressPrinter(quiet=args.quiet or args.json)
    try:
        with _ctrl_c_cancels() as cancel:
            outcome = run_task(
                services,
                RunRequest(task=args.task, check=args.check, inputs=[Path(p) for p in args.input]),
                RunCallbacks(on_event=printer.event),
                cancel,
                learn=not args.no_learn,
                on_learning=printer.line,
            )
    finally:
        services.close()
    record, learning = outcome.record, outcome.learning
    if args.json:
        data: dict[str, Any] = record.model_dump()
        if learning is not None:
            data["learning"] = learning.as_json()
        print_json(data)
    elif args.quiet:
        print(terminal_safe(printer.summary(record, learning)), flush=True)
    return {"passed": EXIT_OK, "failed": EXIT_FAIL, "cancelled": EXIT_CANCELLED}.get(record.status, EXIT_ERROR)


@contextmanager
def _ctrl_c_cancels() -> Iterator[threading.Event]:
    """The first Ctrl-C cancels the run as ctrl+x does in the app: the sandboxed command is
    killed at once, the model's reply is dropped at its next piece, and the run is recorded
    as cancelled. A second Ctrl-C stops memento on the spot."""
    cancel = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def on_sigint(signum: int, frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\ninterrupted: cancelling the run… (Ctrl-C again to quit at once)", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


class ProgressPrinter:
    """Prints one line per decision as the trace grows (render.live_lines, compact)."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.verdict: VerdictGiven | None = None
        self.error: RunFailed | None = None

    def line(self, text: str) -> None:
        if not self.quiet:
            # Tool arguments and output come from the model and from scripts.
            print(terminal_safe(text), flush=True)

    def event(self, event: TraceEvent) -> None:
        if isinstance(event, VerdictGiven):
            self.verdict = event
        elif isinstance(event, RunFailed):
            self.error = event
        for line in live_lines(event, full=False):
            self.line(line.text)

    def summary(self, record: RunRecord, learning: LearningOutcome | None) -> str:
        """One line for -q: the run, its verdict (or what ended it), and any patch."""
        if self.verdict is not None and record.status in ("passed", "failed"):
            text = f"run {record.id}: {verdict_text(self.verdict)}"
        elif self.error is not None:
            text = f"run {record.id}: {record.status} — {error_text(self.error)}"
        else:
            text = f"run {record.id}: {record.status}"
        if learning is not None and learning.patch_id:
            text += f"; patch {learning.patch_id} on branch {learning.branch}"
        return text

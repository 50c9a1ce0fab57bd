"""``memento run "TASK"``: one task, headless, the whole loop, with progress as it goes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from memento_tui.cli.common import print_json, services_from
from memento_tui.cli.main import EXIT_ERROR, EXIT_FAIL, EXIT_OK
from memento_tui.domain.hidden_text import terminal_safe


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
    p.add_argument(
        "--no-learn", action="store_true", help="do not reflect or propose a patch on failure"
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run commands WITHOUT the sandbox (a person's decision; warned on every run)",
    )
    p.add_argument("--json", action="store_true", help="print the run record as JSON at the end")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only the result")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from memento_tui.domain.agent.loop import RunCallbacks, RunRequest

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
        record = services.agent().run(
            RunRequest(task=args.task, check=args.check, inputs=[Path(p) for p in args.input]),
            RunCallbacks(on_event=printer.event),
        )
        learning = None
        if (
            record.status == "failed"
            and not args.no_learn
            and services.workspace.config.learning.enabled
        ):
            learning = _learn(services, record.id, printer)
    finally:
        services.close()
    if args.json:
        data: dict[str, Any] = record.model_dump()
        if learning is not None:
            data["learning"] = learning
        print_json(data)
    return {"passed": EXIT_OK, "failed": EXIT_FAIL}.get(record.status, EXIT_ERROR)


def _learn(services: Any, run_id: str, printer: ProgressPrinter) -> dict[str, Any] | None:
    from memento_tui.services.learning import learn_from_run

    return learn_from_run(services, run_id, on_progress=printer.line)


class ProgressPrinter:
    """Prints one line per decision as the trace grows."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet

    def line(self, text: str) -> None:
        if not self.quiet:
            # Tool arguments and output come from the model and from scripts.
            print(terminal_safe(text), flush=True)

    def event(self, event: Any) -> None:
        kind = event.type
        if kind == "run_started":
            self.line(f"run {event.run_id} · model {event.model or '(none)'}")
        elif kind == "skills_retrieved":
            names = ", ".join(f"{h['name']} ({h['score']:.2f})" for h in event.hits) or "none"
            self.line(f"  skills: {names}")
        elif kind == "tool_called":
            self.line(f"  [{event.step}] {event.name} {_short_args(event.arguments)}")
        elif kind == "tool_result":
            if event.name in ("run",):
                limit = f", stopped by {event.limit} limit" if event.limit else ""
                self.line(f"      → exit {event.exit_code}{limit} ({event.duration:.2f} s)")
            elif not event.ok:
                self.line(
                    f"      → {event.output.splitlines()[0][:120] if event.output else 'failed'}"
                )
        elif kind == "note":
            self.line(f"  note: {event.message}")
        elif kind == "run_error":
            self.line(f"  error: {event.message}")
        elif kind == "verdict":
            self.line(
                f"  verdict: {'PASS' if event.passed else 'FAIL'} ({event.source}: {event.detail})"
            )
        elif kind == "run_finished":
            tokens = event.prompt_tokens + event.completion_tokens
            self.line(
                f"  {event.status} · {event.steps} steps · {tokens} tokens · ${event.cost_usd:.4f} · {event.duration:.1f} s"
            )


def _short_args(arguments: dict[str, Any]) -> str:
    if "command" in arguments:
        text = str(arguments["command"])
    elif "content" in arguments:
        text = f"{arguments.get('path', '')} ({len(str(arguments['content']))} chars)"
    else:
        text = " ".join(f"{v}" for v in arguments.values())
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:99] + "…"

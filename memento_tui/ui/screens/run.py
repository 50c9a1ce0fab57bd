"""Run: a task box, the agent's live stream, the verdict, and on failure what was learned.

The run itself is a blocking ``Agent.run`` in a thread worker. The worker touches no
widget: token chunks, command output and trace events go into the stream's buffer (one
ordered pipe, drained on a timer) and each event is also posted as ``RunEventReceived``
for the side panels. ``RunFinished`` or ``RunCrashed`` ends it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Markdown, Static
from textual.worker import get_current_worker

from memento_tui.domain.agent import trace as events
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.services.tasks import learning_plan
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.learning_view import LearningView
from memento_tui.ui.widgets.nav_bar import NavBar
from memento_tui.ui.widgets.run_stream import RunStream, StreamBuffer

if TYPE_CHECKING:
    from memento_tui.domain.agent.runs import RunRecord


def outcome_text(record: RunRecord) -> str:
    """How a finished run ended, for the status panel."""
    word = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR", "cancelled": "CANCELLED"}
    text = word.get(record.status, record.status)
    if record.verdict_source:
        text += f" ({record.verdict_source}: {record.verdict_detail})"
    if record.guard:
        text += f"\n{'but ' if record.status == 'passed' else ''}a guard stopped the run: {record.guard_message}"
    return text


SETUP_TEXT = (Path(__file__).parent / "model_setup.md").read_text(encoding="utf-8")


class RunScreen(MementoScreen):
    SCOPE = "run"
    CSS_PATH = "run.tcss"
    TITLE = "Run"

    class RunEventReceived(Message):
        """One trace event of the run in progress (already appended to its trace)."""

        def __init__(self, event: events.TraceEvent) -> None:
            super().__init__()
            self.event = event

    class RunFinished(Message):
        """The run ended with a verdict (or an error the agent recorded)."""

        def __init__(self, record: RunRecord) -> None:
            super().__init__()
            self.record = record

    class RunCrashed(Message):
        """The run could not start or stopped on an error outside the trace."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.cancel_event: threading.Event | None = None
        self.record: RunRecord | None = None
        self.started_at = 0.0
        self.tokens = 0
        self.cost = 0.0
        self.steps = 0

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield NavBar("run", self._model_label())
        with Vertical(id="run-top"):
            yield Input(placeholder="What should the agent do?  (Enter or ctrl+r runs it)", id="task")
            yield Input(
                placeholder="Check command (optional): runs in the sandbox on the work dir; exit 0 = pass",
                id="check",
            )
        with Horizontal(id="run-body"):
            yield VerticalScroll(id="model-setup")
            yield RunStream(id="stream")
            with Vertical(id="run-side"):
                yield Static("No run yet.", id="run-status", classes="panel", markup=False)
                yield Static("—", id="run-skills", classes="panel", markup=False)
                yield LearningView(id="learning", classes="panel hidden")
        yield MementoFooter()

    def _model_label(self) -> str:
        model = self.services.workspace.config.model
        return f"model: {model.name}" if model.name else "no model configured"

    def _setup_text(self) -> str:
        paths = self.services.paths
        where = f"{paths.config.relative_to(paths.root)}` in `{paths.root.name}/"
        return SETUP_TEXT.replace("{config}", where)

    def on_mount(self) -> None:
        self.query_one("#run-status").border_title = "Run"
        self.query_one("#run-skills").border_title = "Retrieved skills"
        self.query_one("#learning").border_title = "Learning"
        self._show_setup()
        self.memento.config_changed.subscribe(self, self._config_changed)
        # The screen's keys are live from the start (1-5, ?, t); t puts the cursor in the box.
        self._watch_keys()

    def _watch_keys(self) -> None:
        """Focus on what is being watched, never a text box: typed digits would stay text."""
        missing = not self.services.workspace.config.model.name
        (self.query_one("#model-setup") if missing else self.stream.log_widget).focus()

    def _show_setup(self) -> None:
        missing = not self.services.workspace.config.model.name
        setup = self.query_one("#model-setup", VerticalScroll)
        if missing:
            # Built only when needed: a Markdown document is the costliest widget here.
            found = setup.query("#setup-text")
            if found:
                found.first(Markdown).update(self._setup_text())
            else:
                setup.mount(Markdown(self._setup_text(), id="setup-text"))
        setup.set_class(not missing, "hidden")
        self.query_one("#stream").set_class(missing, "hidden")
        self.query_one(NavBar).query_one(".nav-status", Static).update(
            terminal_safe(self._model_label(), single_line=True)
        )

    def _config_changed(self, _: object) -> None:
        typing = isinstance(self.focused, Input)
        self._show_setup()
        if not typing:  # the hidden part had the focus: the shown one takes it, not the box
            self._watch_keys()
        self.refresh_bindings()

    @property
    def stream(self) -> RunStream:
        return self.query_one("#stream", RunStream)

    @property
    def learning(self) -> LearningView:
        return self.query_one("#learning", LearningView)

    # -- what can run now --------------------------------------------------------------
    def why_not(self, action: str) -> str | None:
        if action == "start":
            if reason := self.memento.model_ready():
                return reason
            if self.running:
                return "a run is going; cancel it first with ctrl+x"
        if action == "cancel" and not self.running:
            return "no run is going"
        if action == "review" and not self.learning.patch_id:
            return "no patch yet: one appears here when a failed run is learned from"
        if action == "learn":
            if self.running:
                return "wait for the run to end"
            if self.record is None or self.record.status != "failed":
                return "learning needs a failed run; run a task first (or use Runs, 4)"
            if self.learning.busy:
                return "learning is already under way"
            if reason := self.memento.model_ready():
                return reason
        return None

    # -- actions -----------------------------------------------------------------------
    def action_focus_task(self) -> None:
        self.query_one("#task", Input).focus()

    def action_clear(self) -> None:
        self.stream.clear()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if why := self.why_not("start"):
            self.notify(why, title="Start", severity="warning")
            return
        self.action_start()

    def action_start(self) -> None:
        from memento_tui.domain.tasks import TaskError, check_task

        try:  # the same check as 'memento run', before any token is spent
            task = check_task(self.query_one("#task", Input).value)
        except TaskError as err:
            self.notify(f"{err.message}\n{err.fix}", title="Start", severity="warning")
            self.query_one("#task", Input).focus()
            return
        check = self.query_one("#check", Input).value.strip() or None
        self.running = True
        self.record = None
        self.tokens, self.cost, self.steps = 0, 0.0, 0
        self.started_at = time.monotonic()
        self.cancel_event = threading.Event()
        self.learning.add_class("hidden")
        self.query_one("#run-skills", Static).update("retrieving…")
        self._status("starting…")
        self.stream.clear()
        # Watching, not typing: the keys (r, l, 1-5) act; t goes back to the task box.
        self.stream.log_widget.focus()
        self.refresh_bindings()
        self._run(task, check, self.cancel_event, self.stream.buffer)

    def action_cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
        self.workers.cancel_group(self, "run")
        self._status("cancelling…")

    def on_unmount(self) -> None:
        # Leaving the app mid-run: the running command is killed and the run recorded as
        # cancelled, so quitting does not wait for the task (the trace keeps what happened).
        if self.cancel_event is not None:
            self.cancel_event.set()

    def action_review(self) -> None:
        from memento_tui.ui.screens.review import ReviewScreen

        patch_id = self.learning.patch_id
        if patch_id:
            self.app.push_screen(ReviewScreen(patch_id))

    def action_learn(self) -> None:
        if self.record is not None:
            self.learning.remove_class("hidden")
            self.learning.start(self.record.id)
            self.refresh_bindings()

    # -- the worker --------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="run")
    def _run(self, task: str, check: str | None, cancel: threading.Event, buffer: StreamBuffer) -> None:
        from memento_tui.domain.agent.loop import RunCallbacks, RunRequest

        worker = get_current_worker()

        def on_event(event: events.TraceEvent) -> None:
            buffer.put("event", event)
            self.post_message(self.RunEventReceived(event))

        def on_text(chunk: str) -> None:
            if worker.is_cancelled:
                cancel.set()
            buffer.put("text", chunk)

        def on_output(stream: str, text: str) -> None:
            buffer.put(stream, text)

        try:
            agent = self.services.agent()
            record = agent.run(
                RunRequest(task=task, check=check),
                RunCallbacks(on_event=on_event, on_text=on_text, on_output=on_output),
                cancel,
            )
        except MementoError as err:
            self.post_message(self.RunCrashed(str(err)))
            return
        except Exception as err:  # a crash in a part: say it, keep the app
            self.post_message(self.RunCrashed(f"{type(err).__name__}: {err}"))
            return
        self.post_message(self.RunFinished(record))

    # -- handlers ----------------------------------------------------------------------
    def _status(self, state: str) -> None:
        elapsed = time.monotonic() - self.started_at if self.started_at else 0.0
        lines = [state]
        if self.record is not None:
            lines.insert(0, f"run {self.record.id}")
        lines.append(f"step {self.steps} · {self.tokens} tokens · ${self.cost:.4f} · {elapsed:.1f} s")
        # Tool names and verdicts come from the model and the check.
        self.query_one("#run-status", Static).update(terminal_safe("\n".join(lines)))

    @on(RunEventReceived)
    def _event(self, message: RunEventReceived) -> None:
        match message.event:
            case events.SkillsRetrieved(hits=hits):
                rows = [f"{h['name']:<24} {h['score']:.2f}" for h in hits]
                why = [f"  {', '.join(h.get('why') or [])}"[:80] for h in hits]
                text = "\n".join(f"{r}\n{w}" if w.strip() else r for r, w in zip(rows, why, strict=True))
                self.query_one("#run-skills", Static).update(terminal_safe(text) or "none matched")
            case events.ModelTurn() as turn:
                self.steps = turn.step
                self.tokens += turn.prompt_tokens + turn.completion_tokens
                self.cost += turn.cost_usd
                self._status("running")
            case events.ToolCalled(name=name):
                self._status(f"running · {name}")
            case events.VerdictGiven() as verdict:
                guard = " (a guard stopped the run)" if verdict.guard else ""
                self._status(("PASS" if verdict.passed else "FAIL") + f" by {verdict.source}{guard}")

    @on(RunFinished)
    def _finished(self, message: RunFinished) -> None:
        self.stream.flush()
        self.running = False
        self.record = record = message.record
        self.tokens = record.prompt_tokens + record.completion_tokens
        self.cost = record.cost_usd
        self.steps = record.steps
        self._status(terminal_safe(outcome_text(record)))
        self.query_one("#run-status").set_class(record.status == "passed", "-passed")
        # A person's cancel is not a failure.
        self.query_one("#run-status").set_class(record.status not in ("passed", "cancelled"), "-failed")
        plan = learning_plan(self.services, record)
        if plan.learn:
            self.action_learn()
        elif plan.note:
            self.stream.line(f"{plan.note}; press l to reflect anyway", "note")
        self.refresh_bindings()

    @on(RunCrashed)
    def _crashed(self, message: RunCrashed) -> None:
        self.stream.flush()
        self.running = False
        self.stream.line(f"✗ {message.error}", "error")
        self._status("could not run (see the stream)")
        self.refresh_bindings()

    @on(LearningView.PatchProposed)
    def _patch_proposed(self, message: LearningView.PatchProposed) -> None:
        self.notify(f"Patch {message.patch_id} is ready: press r to review it.", title="Learning")
        self.refresh_bindings()

    @on(LearningView.LearningFinished)
    @on(LearningView.LearningFailed)
    def _learning_done(self) -> None:
        self.refresh_bindings()

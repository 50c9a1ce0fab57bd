"""Reflect → Write → Replay for one failed run, shown as it goes.

The widget owns one thread worker that calls ``learn_from_run`` and posts what it hears;
only the handlers touch the log and the summary. When a patch comes out, it posts
``PatchProposed`` (bubbling), so the screen can offer review one key away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import RichLog, Static
from textual.worker import get_current_worker

from memento_tui.domain.errors import MementoError
from memento_tui.domain.learning.models import CATEGORY_LABELS
from memento_tui.domain.learning.outcome import STATUS_TEXT, LearningOutcome
from memento_tui.domain.skills.hidden_text import terminal_safe

if TYPE_CHECKING:
    from memento_tui.ui.host import MementoHost


def summarise(result: LearningOutcome) -> str:
    """The learning result in a few lines a person reads first."""
    lines = [f"Outcome: {STATUS_TEXT.get(result.status, result.status)}"]
    if (reflection := result.reflection) is not None:
        lines.append(f"Failure: {CATEGORY_LABELS.get(reflection.category, reflection.category)}")
        lines.append(f"Weak skill: {reflection.weak_skill or 'none'}")
        if reflection.decision_step is not None:
            lines.append(f"Went wrong at step {reflection.decision_step}")
        if reflection.missing_or_assumed:
            lines.append(f"Missing or assumed: {reflection.missing_or_assumed}")
        if reflection.summary:
            lines += ["", reflection.summary]
    if result.patch_id:
        state = "validated" if result.validated else "NOT validated"
        lines += [
            "",
            f"Patch {result.patch_id} ({state}; replay {result.replay or 'not run'})",
            "Press r to review it.",
        ]
    if result.error:
        lines.append(f"Error: {result.error}")
    lines.append(f"Cost: {result.tokens} tokens, ${result.cost_usd:.4f}")
    return terminal_safe("\n".join(lines))


class LearningView(Vertical):
    class LearningProgressed(Message):
        """One line of progress from reflect / write / replay."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class LearningFinished(Message):
        """Learning ended; ``result`` is what ``learn_from_run`` returned."""

        def __init__(self, run_id: str, result: LearningOutcome) -> None:
            super().__init__()
            self.run_id = run_id
            self.result = result

    class LearningFailed(Message):
        """Learning stopped on an error before it could finish."""

        def __init__(self, run_id: str, error: str) -> None:
            super().__init__()
            self.run_id = run_id
            self.error = error

    class PatchProposed(Message):
        """Learning made a patch branch; it is waiting for review."""

        def __init__(self, patch_id: str) -> None:
            super().__init__()
            self.patch_id = patch_id

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.run_id: str | None = None
        self.result: LearningOutcome | None = None
        self.error = ""
        self.busy = False

    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=500, wrap=True, markup=False, min_width=20, id="learn-log")
        yield Static("", id="learn-summary", markup=False)

    def start(self, run_id: str) -> None:
        self.run_id = run_id
        self.result = None
        self.error = ""
        self.busy = True
        self.query_one("#learn-log", RichLog).clear()
        self.query_one("#learn-summary", Static).update("")
        self.query_one("#learn-log", RichLog).write(f"learning from run {run_id}…")
        self._learn(run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="learn")
    def _learn(self, run_id: str) -> None:
        from memento_tui.services.learning import learn_from_run

        worker = get_current_worker()
        app = cast("MementoHost", self.app)

        def progress(line: str) -> None:
            if not worker.is_cancelled:
                self.post_message(self.LearningProgressed(line))

        try:
            result = learn_from_run(app.services, run_id, on_progress=progress)
        except MementoError as err:
            self.post_message(self.LearningFailed(run_id, str(err)))
            return
        except Exception as err:  # a bug or a crash in a part: show it, keep the app
            self.post_message(self.LearningFailed(run_id, f"{type(err).__name__}: {err}"))
            return
        self.post_message(self.LearningFinished(run_id, result))

    @on(LearningProgressed)
    def _progressed(self, message: LearningProgressed) -> None:
        self.query_one("#learn-log", RichLog).write(terminal_safe(message.line.strip()))

    @on(LearningFinished)
    def _finished(self, message: LearningFinished) -> None:
        self.busy = False
        self.result = message.result
        self.query_one("#learn-summary", Static).update(summarise(message.result))
        if message.result.patch_id:
            self.post_message(self.PatchProposed(message.result.patch_id))

    @on(LearningFailed)
    def _failed(self, message: LearningFailed) -> None:
        self.busy = False
        self.error = message.error
        summary = self.query_one("#learn-summary", Static)
        summary.update(terminal_safe(f"Learning stopped: {message.error}"))

    @property
    def patch_id(self) -> str | None:
        return self.result.patch_id if self.result is not None else None

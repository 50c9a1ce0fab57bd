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
from memento_tui.domain.skills.hidden_text import terminal_safe

if TYPE_CHECKING:
    from memento_tui.ui.app import MementoApp

_OUTCOMES = {
    "patched": "a patch is ready for review",
    "no_fix": "the reflection proposes no change",
    "permission_requested": "a permission request was recorded (memento never grants it itself)",
    "reflection_failed": "the reflection could not be used",
    "write_failed": "the fix could not be used",
    "write_refused": "the fix broke a rule and was refused",
    "no_patch": "no patch was made",
}


def summarise(result: dict[str, Any]) -> str:
    """The learning result in a few lines a person reads first."""
    lines = [f"Outcome: {_OUTCOMES.get(result.get('status', ''), result.get('status', '?'))}"]
    reflection = result.get("reflection") or {}
    if reflection:
        from memento_tui.domain.learning.models import CATEGORY_LABELS

        lines.append(f"Failure: {CATEGORY_LABELS.get(reflection.get('category', ''), reflection.get('category'))}")
        lines.append(f"Weak skill: {reflection.get('weak_skill') or 'none'}")
        if reflection.get("decision_step") is not None:
            lines.append(f"Went wrong at step {reflection['decision_step']}")
        if reflection.get("missing_or_assumed"):
            lines.append(f"Missing or assumed: {reflection['missing_or_assumed']}")
        if reflection.get("summary"):
            lines.append("")
            lines.append(reflection["summary"])
    if result.get("patch_id"):
        lines.append("")
        validated = result.get("validated")
        state = "validated" if validated else "NOT validated"
        lines.append(f"Patch {result['patch_id']} ({state}; replay {result.get('replay', 'not run')})")
        lines.append("Press r to review it.")
    if result.get("error"):
        lines.append(f"Error: {result['error']}")
    if result.get("tokens") is not None:
        lines.append(f"Cost: {result.get('tokens', 0)} tokens, ${result.get('cost_usd', 0.0):.4f}")
    return terminal_safe("\n".join(lines))


class LearningView(Vertical):
    class LearningProgressed(Message):
        """One line of progress from reflect / write / replay."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class LearningFinished(Message):
        """Learning ended; ``result`` is what ``learn_from_run`` returned."""

        def __init__(self, run_id: str, result: dict[str, Any]) -> None:
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
        self.result: dict[str, Any] | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=500, wrap=True, markup=False, min_width=20, id="learn-log")
        yield Static("", id="learn-summary", markup=False)

    def start(self, run_id: str) -> None:
        self.run_id = run_id
        self.result = None
        self.busy = True
        self.query_one("#learn-log", RichLog).clear()
        self.query_one("#learn-summary", Static).update("")
        self.query_one("#learn-log", RichLog).write(f"learning from run {run_id}…")
        self._learn(run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="learn")
    def _learn(self, run_id: str) -> None:
        from memento_tui.services.learning import learn_from_run

        worker = get_current_worker()
        app = cast("MementoApp", self.app)

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
        if message.result.get("patch_id"):
            self.post_message(self.PatchProposed(str(message.result["patch_id"])))

    @on(LearningFailed)
    def _failed(self, message: LearningFailed) -> None:
        self.busy = False
        self.result = {"status": "error", "error": message.error}
        summary = self.query_one("#learn-summary", Static)
        summary.update(terminal_safe(f"Learning stopped: {message.error}"))

    @property
    def patch_id(self) -> str | None:
        if self.result and self.result.get("patch_id"):
            return str(self.result["patch_id"])
        return None

"""Reflect on one failed run from the Runs screen: progress, the result, review one key away."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.learning_view import LearningView


class LearnScreen(ModalScreen[str | None]):
    """Dismisses with the patch id learning made, if any."""

    CSS_PATH = "learn.tcss"
    BINDINGS: ClassVar = [
        Binding(
            "escape", "close", "Close", id="learn-close", tooltip="Back to the runs (learning goes on if under way)"
        ),
        Binding("r", "review", "Review patch", id="learn-review", tooltip="Open the patch this produced"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        with Vertical(id="learn-box"):
            yield Label(f"Learning from run {self.run_id}", id="learn-title")
            yield LearningView(id="learn-view")
        yield MementoFooter()

    def on_mount(self) -> None:
        self.query_one(LearningView).start(self.run_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "review" and not self.query_one(LearningView).patch_id:
            return None
        return True

    @on(LearningView.PatchProposed)
    @on(LearningView.LearningFinished)
    @on(LearningView.LearningFailed)
    def _changed(self) -> None:
        self.refresh_bindings()

    def action_close(self) -> None:
        self.dismiss(self.query_one(LearningView).patch_id)

    def action_review(self) -> None:
        from memento_tui.ui.screens.review import ReviewScreen

        patch_id = self.query_one(LearningView).patch_id
        if patch_id:
            self.dismiss(patch_id)
            self.app.push_screen(ReviewScreen(patch_id))

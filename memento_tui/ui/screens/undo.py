"""Undo the last merge: the flow the patch queue and the review screen share.

Confirm first, then a worker asks the patch store; the screen hears ``MergeUndone`` or
``ReviewFailed`` (its own nested messages) and decides what to show.
"""

from __future__ import annotations

from typing import Any

from textual import work

from memento_tui.domain.errors import MementoError
from memento_tui.ui.screens.dialogs import ConfirmScreen

UNDO_QUESTION = "Undo the last merge?"
UNDO_EXPLAINED = (
    "main goes back to the commit before that merge, and its patch is pending again. "
    "Refused if anything was committed after the merge."
)


class UndoLastMerge:
    """Mixed into a screen that has ``services`` and nested ``MergeUndone`` and ``ReviewFailed``."""

    app: Any
    services: Any
    MergeUndone: Any
    ReviewFailed: Any
    post_message: Any  # annotations only: the screen's own attributes are used

    def action_undo(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.undo_started()
                self._undo()

        self.app.push_screen(ConfirmScreen(UNDO_QUESTION, UNDO_EXPLAINED, yes="Undo"), answered)

    def undo_started(self) -> None:
        """Called once the person confirmed, before the worker starts."""

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def _undo(self) -> None:
        try:
            result = self.services.patches().undo()
        except MementoError as err:
            self.post_message(self.ReviewFailed(str(err)))
            return
        self.post_message(self.MergeUndone(result))

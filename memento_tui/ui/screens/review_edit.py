"""``e`` on the review: the person edits the patched file in their own editor, and a saved
change becomes a new pending patch (not validated: replay ran on the original), while the
original stays as it was. Mixed into ``ReviewScreen``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from memento_tui.domain.errors import MementoError
from memento_tui.ui.screens.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from memento_tui.domain.patches.diff import StructuredDiff
    from memento_tui.domain.patches.model import Patch
    from memento_tui.services.factory import Services
    from memento_tui.ui.widgets.diff_view import DiffView


class EditPatch:
    """Needs the screen's ``patch``, ``diff``, ``view``, ``busy``, ``services`` and ``ReviewFailed``."""

    # Annotations only: the screen's own attributes are used.
    app: Any  # the Textual app (suspended for the editor)
    services: Services
    patch: Patch | None
    diff: StructuredDiff
    busy: bool
    ReviewFailed: Any  # the screen's message class
    post_message: Any
    notify: Any

    @property
    def view(self) -> DiffView | None:
        raise NotImplementedError

    class PatchEdited(Message):
        """The person's edit became a new patch."""

        def __init__(self, patch: Patch) -> None:
            super().__init__()
            self.patch = patch

    def action_edit(self) -> None:
        from memento_tui.ui.editor import open_in_editor

        view, patch = self.view, self.patch
        if view is None or patch is None:  # the key's check waits for both
            return
        path = self.diff.files[view.current_file].path
        with tempfile.TemporaryDirectory(prefix="memento-edit-") as tmp:
            try:
                # From the patch applied to main as it is now: the edit becomes a patch from
                # today's main, and must not take back what was merged since.
                folder = self.services.patches().export_skill(patch.id, Path(tmp), on_main=True)
            except MementoError as err:
                self.notify(f"{err.message}\n{err.fix or ''}".strip(), title="Edit", severity="error")
                return
            rel = path.removeprefix(f"skills/{patch.skill}/")
            target = folder / rel
            before = target.read_bytes() if target.exists() else b""
            problem = open_in_editor(self.app, target)
            if problem:
                self.notify(problem, title="Edit", severity="warning")
                return
            after = target.read_bytes() if target.exists() else b""
            # The new patch carries every file of this one, as it is after the edit.
            files: dict[str, bytes | None] = {}
            for changed in patch.files:
                inside = folder / changed.removeprefix(f"skills/{patch.skill}/")
                files[changed] = inside.read_bytes() if inside.is_file() else None
        if after == before:
            self.notify("No change: the patch stays as it is.", title="Edit", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self._save_edit(path, files)

        self.app.push_screen(
            ConfirmScreen(
                "Save your edit as a new patch?",
                f"{path} changed. The edit becomes a new pending patch (not validated: replay "
                "ran on the original); this one stays pending until you decide on it.",
                yes="Save",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def _save_edit(self, path: str, files: dict[str, bytes | None]) -> None:
        from memento_tui.domain.patches.model import ReplayResult

        old = self.patch
        if old is None:
            return
        evidence = old.evidence.model_copy(deep=True)
        # Replay ran on the original, not on the edit: say so rather than carry it over.
        evidence.validated = False
        evidence.replay = ReplayResult()
        evidence.regressions = []
        evidence.details["edited_from"] = old.id
        try:
            patch = self.services.patches().create(
                old.skill, files, evidence, message=f"A person's edit of patch {old.id} ({path})"
            )
        except MementoError as err:
            self.post_message(self.ReviewFailed(str(err)))
            return
        self.post_message(self.PatchEdited(patch))

    # Named, not @on: Textual collects @on handlers only from the screen's own class body,
    # so one in this mixin never ran (the edit was saved, the new patch never opened).
    def on_edit_patch_patch_edited(self, message: PatchEdited) -> None:
        self.busy = False
        self.notify(f"Saved as patch {message.patch.id}.", title="Edit")
        # The new patch opens in a review screen like this one (the mixin's own class, so
        # this module need not import the screen that mixes it in).
        review_screen: Any = type(self)
        self.app.switch_screen(review_screen(message.patch.id))

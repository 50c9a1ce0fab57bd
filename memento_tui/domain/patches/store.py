"""``PatchStore``: the patches of a workspace, read (repository.py) and decided on: made
(create.py), merged, rejected and undone (review.py), reverted and queued again (revert.py).
Those modules take the repository and never the store, so nothing imports back up."""

from __future__ import annotations

from collections.abc import Mapping

from memento_tui.domain.patches.create import create_patch
from memento_tui.domain.patches.model import (
    MergeResult,
    Patch,
    PatchEvidence,
    Rejection,
    UndoResult,
)
from memento_tui.domain.patches.repository import PatchRepository
from memento_tui.domain.patches.revert import requeue_patch, revert_patch
from memento_tui.domain.patches.review import merge_patch, reject_patch
from memento_tui.domain.patches.undo import undo_last_merge


class PatchStore(PatchRepository):
    def create(
        self,
        skill: str,
        files: Mapping[str, bytes | str | None],
        evidence: PatchEvidence,
        *,
        message: str | None = None,
        modes: Mapping[str, int | str] | None = None,
    ) -> Patch:
        """Make a patch branch from main with these file contents (None deletes a file).

        ``files`` maps paths relative to the repository root (``skills/<skill>/...``) to
        their new content. ``modes`` may mark files under ``scripts/`` as ``0o100755``; a
        file already on main keeps its mode unless given. Every rule is checked before
        anything is written; a broken one raises PatchRefused with the reason. The
        person's working tree, index and HEAD are not touched (see create.py).
        """
        record = create_patch(self, skill, files, evidence, message=message, modes=modes)
        return self.from_record(record, "pending", head=record.head)

    def merge(self, patch_id: str) -> MergeResult:
        return merge_patch(self, patch_id)

    def reject(self, patch_id: str, reason: str) -> Rejection:
        return reject_patch(self, patch_id, reason)

    def revert(self, patch_id: str) -> Patch:
        return revert_patch(self, patch_id)

    def requeue(self, patch_id: str) -> Patch:
        return requeue_patch(self, patch_id)

    def undo(self) -> UndoResult:
        return undo_last_merge(self)

"""Taking a merged patch back when main has moved on, and putting it up for review again.

``undo`` steps main back to before the merge, which is only safe while nothing came after
it. Later, a merge is taken back with a revert commit on main (``revert_patch``), made the
way merges are made: plumbing first (a conflict changes nothing), then main moves (a
fast-forward of the person's checkout, or a ref update). A patch reverted by hand with
``git revert -m 1`` reads as reverted too: main's history says so (``merging.reverts_on``).

A reverted patch can be re-queued (``requeue_patch``): its change is applied again on top
of main as it is now (a three-way merge, so what main gained since is kept) and becomes a
new pending patch with the same evidence, marked as not replayed against today's main.

Both three-way merges are asked of ``merge-tree`` with a commit made for the purpose,
whose only parent sets the merge base: the tree to revert to on top of the merge commit
(a revert), or the patched tree on top of main before the merge (a re-apply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memento_tui.domain.patches.checkout import move_main
from memento_tui.domain.patches.create import create_patch
from memento_tui.domain.patches.merging import applied_to_main, three_way
from memento_tui.domain.patches.model import (
    Patch,
    PatchError,
    ReviewRecord,
    now_utc,
)

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository


def _merge_review(store: PatchRepository, patch: Patch) -> ReviewRecord:
    review = store._decisions().get(patch.id)
    if patch.status != "merged" or review is None or review.action != "merge":
        raise PatchError(f"patch {patch.id} is {patch.status}, not merged", fix="'memento patches list --all'")
    if not review.main_after or not review.main_before:
        raise PatchError(
            f"patch {patch.id} made no merge commit (main already had the change), so there is nothing to take back"
        )
    return review


def revert_patch(store: PatchRepository, patch_id: str) -> Patch:
    """A revert commit on main that takes a merged patch back; the patch reads reverted."""
    repo = store.repo
    with store.records.decision_lock():
        patch = store.get(patch_id)
        merge = _merge_review(store, patch)
        assert merge.main_before is not None and merge.main_after is not None
        main = store.main_branch()
        tip = store.main_tip()
        before_tree = repo.out("rev-parse", f"{merge.main_before}^{{tree}}")
        tree = three_way(
            store.repo, store.main_branch(), tip, merge.main_after, before_tree, f"revert patch {patch.id}"
        )
        message = (
            f"Revert memento patch {patch.id} ({patch.skill})\n\n"
            f"This reverts commit {merge.main_after}, reversing\n"
            f"changes made to {merge.main_before}.\n"
        )
        commit = repo.out("commit-tree", tree, "-p", tip, "-F", "-", input=message.encode())
        move_main(store, tip, commit, list(merge.files), f"revert patch {patch.id}")
        store.records.append_review(
            merge.model_copy(
                update={
                    "action": "revert",
                    "at": now_utc(),
                    "main": main,
                    "main_before": tip,
                    "main_after": commit,
                    "reason": None,
                }
            )
        )
    return store.find(patch.id)


def requeue_patch(store: PatchRepository, patch_id: str) -> Patch:
    """A reverted patch's change, applied again on top of main now, as a new pending patch."""
    repo = store.repo
    patch = store.find(patch_id)
    if patch.status != "reverted":
        raise PatchError(
            f"patch {patch.id} is {patch.status}; only a reverted patch can be queued again",
            fix="a rejected idea comes back by itself when a later failure calls for it",
        )
    tree = applied_to_main(store.repo, store.main_branch(), store.main_tip(), patch, f"queue patch {patch.id} again")
    files: dict[str, bytes | str | None] = {}
    for path in patch.files:
        content = repo.git("cat-file", "blob", f"{tree}:{path}", ok=(0, 128))
        files[path] = content.stdout if content.returncode == 0 else None
    evidence = patch.evidence.model_copy(deep=True)
    evidence.validated = False
    evidence.details["requeued_from"] = patch.id
    evidence.details["requeued_note"] = (
        f"queued again after patch {patch.id} was reverted; its replay ran against an older {store.main_branch()}"
    )
    record = create_patch(
        store, patch.skill, files, evidence, message=f"{patch.subject or patch.skill} (queued again from {patch.id})"
    )
    return store.from_record(record, "pending", head=record.head)

"""Undo: the last merge Memento made, taken back while main has not moved since (after
later work, a revert commit does it instead: revert.py). The patch comes back pending."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.git_repo import GitError
from memento_tui.domain.patches.checkout import check_checkout, check_not_rebasing, main_worktree, transaction
from memento_tui.domain.patches.model import PatchError, ReviewRecord, UndoResult, now_utc

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository


def undo_last_merge(store: PatchRepository) -> UndoResult:
    with store.records.decision_lock():
        last = _last_merge(store)
        assert last.main_before is not None and last.main_after is not None and last.head is not None
        main_ref = f"refs/heads/{last.main}"
        branch_ref = f"refs/heads/{last.branch}"
        existing = store.repo.out("rev-parse", "--verify", "-q", "--end-of-options", branch_ref, ok=(0, 1))
        if existing and existing != last.head:
            raise PatchError(
                f"a different branch {last.branch} exists now, so the patch cannot come back as pending",
                fix="rename or delete that branch, then undo again",
            )
        # The branch comes back with main's step back, or not at all.
        create = "" if existing else f"create {branch_ref}\0{last.head}\0"
        worktree = main_worktree(store, main_ref)
        check_not_rebasing(store, main_ref)
        if worktree is not None:
            _reset_checkout(store, last, worktree, create)
        else:
            transaction(
                store,
                f"memento: undo merge of {last.id}",
                f"update {main_ref}\0{last.main_before}\0{last.main_after}\0{create}",
                fix="main moved while undoing; look, then undo again",
            )
        store.records.append_review(
            last.model_copy(
                update={
                    "action": "undo",
                    "at": now_utc(),
                    "main_before": last.main_after,
                    "main_after": last.main_before,
                    "reason": None,
                }
            )
        )
        return UndoResult(
            id=last.id,
            skill=last.skill,
            main=last.main,
            restored=last.main_before,
            undone_commit=last.main_after,
            branch=last.branch,
            checked_out=worktree is not None,
        )


def _last_merge(store: PatchRepository) -> ReviewRecord:
    """The last merge not taken back yet, if main still stands where it left it."""
    merged: list[ReviewRecord] = []
    for review in store.records.reviews():
        if review.action == "merge":
            merged.append(review)
        elif review.action in ("undo", "revert") and merged and merged[-1].id == review.id:
            merged.pop()  # taken back already
    if not merged:
        raise PatchError(
            "nothing to undo: no merge made by memento", fix="'memento patches list --all' shows the history"
        )
    last = merged[-1]
    if last.main_after is None or last.main_before is None or last.head is None:
        raise PatchError(
            f"the last merge (patch {last.id}) made no commit (main already had the change), so there is nothing to take back"
        )
    main_ref = f"refs/heads/{last.main}"
    tip = store.repo.out("rev-parse", "--verify", "-q", "--end-of-options", f"{main_ref}^{{commit}}", ok=(0, 1))
    if tip != last.main_after:
        raise PatchError(
            f"{last.main} has moved since patch {last.id} was merged (it is at {tip[:12] or 'nothing'}, "
            f"the merge was {last.main_after[:12]}); undoing would throw away what came after",
            fix=f"take it back with a revert commit on top: memento patches revert {last.id}",
        )
    return last


def _reset_checkout(store: PatchRepository, last: ReviewRecord, worktree: Path, create: str) -> None:
    """Main is checked out: step the person's files back (refused if the merge's files have
    edits there), the branch made again first and deleted again if the reset fails."""
    assert last.main_before is not None and last.main_after is not None
    out = store.repo.git(
        "diff", "--name-only", "-z", "--no-renames", "--end-of-options", last.main_before, last.main_after, "--"
    ).stdout
    paths = [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]
    check_checkout(store, worktree, paths, "undo")
    if create:
        transaction(store, f"memento: undo merge of {last.id}", create, fix="try again")
    try:
        store.repo.git("reset", "-q", "--keep", last.main_before, "--", cwd=worktree)
    except GitError as err:
        if create:
            transaction(store, "memento: undo failed", f"delete refs/heads/{last.branch}\0{last.head}\0", fix="")
        raise PatchError(
            f"git could not reset your checkout, so nothing was undone: {err.stderr}",
            file=worktree,
            fix="finish what git is busy with there, then undo again",
        ) from None

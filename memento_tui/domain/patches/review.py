"""Review decisions on patch branches: merge and reject (undo: undo.py, revert: revert.py).

Merging always makes a merge commit (``--no-ff`` in effect), authored by the person: the
patch commit stays as the program wrote it (author Memento, evidence in its trailers),
and the merge commit records that a person approved it. Undo is then one step back on
main's first parent, and ``git log --first-parent`` shows the person's own history.

The merge commit is built with plumbing (``merge-tree --write-tree``, ``commit-tree``)
whether or not main is checked out, so a conflict is found before anything changes and
leaves nothing half-merged. Then:

- main checked out (here or in a linked worktree): the person's files are updated by a
  fast-forward to that merge commit (``git merge --ff-only``), which only touches the
  files the patch changes. If any of those has uncommitted edits (staged, unstaged or
  untracked), the merge is refused and nothing changes.
- main not checked out: main moves with ``update-ref`` (expecting its old value) and the
  branch is deleted in the same transaction.

Every decision is appended to ``.memento/reviews.jsonl``; one decision runs at a time.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from memento_tui.domain.git_repo import GitError
from memento_tui.domain.patches.checkout import (
    check_not_rebasing,
    main_worktree,
    move_main,
    transaction,
)
from memento_tui.domain.patches.model import (
    MergeResult,
    Patch,
    PatchConflict,
    PatchError,
    Rejection,
    ReviewRecord,
)
from memento_tui.domain.patches.rules import BranchChange, check_branch_changes, one_line

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository

MAX_REASON = 4000


def merge_patch(store: PatchRepository, patch_id: str) -> MergeResult:
    with store.records.decision_lock():
        patch = store.get(patch_id)
        if patch.status != "pending":
            raise PatchError(
                f"patch {patch.id} is already {patch.status}",
                fix="'memento patches list' shows the pending ones",
            )
        main = store.main_branch()
        main_ref = f"refs/heads/{main}"
        branch_ref = f"refs/heads/{patch.branch}"
        old = store.main_tip()
        changes = branch_changes(store, old, patch.head)
        # The branch may have been edited since it was made: check the commit, not the record.
        check_branch_changes(patch.skill, changes)
        paths = [c.path for c in changes]
        worktree = main_worktree(store, main_ref)
        check_not_rebasing(store, main_ref)
        if not changes:
            # Main already has everything on the branch (merged by hand, or an empty patch).
            _delete_branch(store, branch_ref, patch.head)
            store.records.append_review(_review("merge", patch, main=main, before=old, after=None))
            return MergeResult(
                id=patch.id,
                skill=patch.skill,
                main=main,
                main_before=old,
                merge_commit=None,
                checked_out=worktree is not None,
            )
        commit = _merge_commit(store, patch, old, main)
        moved_checkout = move_main(
            store,
            old,
            commit,
            paths,
            f"merge patch {patch.id}",
            also=f"delete {branch_ref}\0{patch.head}\0",
        )
        if moved_checkout:
            _delete_branch(store, branch_ref, patch.head)
        review = _review("merge", patch, main=main, before=old, after=commit, files=paths)
        store.records.append_review(review)
        return MergeResult(
            id=patch.id,
            skill=patch.skill,
            main=main,
            main_before=old,
            merge_commit=commit,
            checked_out=worktree is not None,
            worktree=str(worktree) if worktree else None,
        )


def reject_patch(store: PatchRepository, patch_id: str, reason: str) -> Rejection:
    reason = (reason or "").strip()
    if not reason:
        raise PatchError(
            "a reason is needed to reject a patch",
            field="reason",
            fix="say why, e.g. --reason 'the check was wrong, not the skill'; later reflections read it",
        )
    with store.records.decision_lock():
        patch = store.find(patch_id)  # a branch deleted outside memento can still be rejected
        if patch.status == "merged":
            raise PatchError(
                f"patch {patch.id} is merged",
                fix="'memento patches undo' takes the last merge back",
            )
        if patch.status == "rejected":
            raise PatchError(f"patch {patch.id} was already rejected: {patch.reason}")
        if patch.status == "pending":
            transaction(
                store,
                f"memento: reject patch {patch.id}",
                f"delete refs/heads/{patch.branch}\0{patch.head}\0",
                fix="the branch moved while rejecting; look at it, then reject again",
            )
        review = _review("reject", patch, main=store.main_branch(), reason=reason[:MAX_REASON])
        store.records.append_review(review)
        return Rejection(
            id=patch.id,
            skill=patch.skill,
            reason=review.reason or "",
            summary=review.summary,
            failure_category=review.failure_category,
            files=review.files,
            rejected_at=review.at,
        )


# -- helpers ---------------------------------------------------------------------------------


def branch_changes(store: PatchRepository, main_tip: str, head: str) -> list[BranchChange]:
    """What the branch changes since it left main (``main...head``)."""
    out = store.repo.git(
        "diff",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--end-of-options",
        f"{main_tip}...{head}",
        "--",
    ).stdout
    tokens = out.split(b"\0")
    changes = []
    for meta, path in zip(tokens[0::2], tokens[1::2], strict=False):
        if not meta.startswith(b":"):
            break
        fields = meta[1:].decode().split()
        changes.append(BranchChange(path.decode("utf-8", "surrogateescape"), fields[0], fields[1], fields[4][:1]))
    return changes


def _merge_commit(store: PatchRepository, patch: Patch, old: str, main: str) -> str:
    """The merge commit, made in plumbing before anything moves (a conflict changes nothing)."""
    tree = _merge_tree(store, patch, old)
    return store.repo.out(
        "commit-tree", tree, "-p", old, "-p", patch.head, "-F", "-", input=merge_message(patch, main).encode()
    )


def _merge_tree(store: PatchRepository, patch: Patch, old: str) -> str:
    merged = store.repo.merge_trees(old, patch.head)
    if not merged.conflicts:
        return merged.tree
    files = merged.conflicts
    raise PatchConflict(
        f"patch {patch.id} conflicts with {store.main_branch()} in {', '.join(files)}; nothing was changed",
        files=files,
        fix="reject it with a reason so the next reflection starts from main, or merge "
        f"{store.main_branch()} into {patch.branch} yourself and merge again",
    )


def _delete_branch(store: PatchRepository, branch_ref: str, head: str) -> None:
    # After the decision is made, a branch that moved meanwhile is left for the person.
    with contextlib.suppress(GitError):
        store.repo.git(
            "update-ref",
            "-m",
            "memento: patch merged",
            "--stdin",
            "-z",
            input=f"delete {branch_ref}\0{head}\0".encode(),
        )


def _review(
    action: str,
    patch: Patch,
    *,
    main: str,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    files: list[str] | None = None,
) -> ReviewRecord:
    return ReviewRecord(
        action=action,  # type: ignore[arg-type]
        id=patch.id,
        skill=patch.skill,
        branch=patch.branch,
        head=patch.head,
        reason=reason,
        main=main,
        main_before=before,
        main_after=after,
        files=files if files is not None else patch.files,
        summary=patch.evidence.summary(),
        failure_category=patch.evidence.failure_category,
    )


def merge_message(patch: Patch, main: str) -> str:
    return (
        f"Merge memento patch {patch.id} for {patch.skill} into {main}\n\n"
        f"{one_line(patch.subject, 200)}\n\n"
        f"Memento-Patch: {patch.id}\n"
        f"Memento-Skill: {patch.skill}\n"
        f"Memento-Validated: {'yes' if patch.evidence.validated else 'no'}\n"
    )

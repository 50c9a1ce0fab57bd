"""Review decisions on patch branches: merge, reject, undo (revert: patch_revert.py).

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
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.git_repo import GitError
from memento_tui.domain.patches.model import (
    MergeResult,
    Patch,
    PatchConflict,
    PatchError,
    Rejection,
    ReviewRecord,
    UndoResult,
    now_utc,
)
from memento_tui.domain.patches.rules import BranchChange, check_branch_changes, one_line

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository

MAX_REASON = 4000
_IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")


def merge_patch(store: PatchRepository, patch_id: str) -> MergeResult:
    repo = store.repo
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
        _check_not_rebasing(store, main_ref)
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
        tree = _merge_tree(store, patch, old)
        commit = repo.out(
            "commit-tree",
            tree,
            "-p",
            old,
            "-p",
            patch.head,
            "-F",
            "-",
            input=merge_message(patch, main).encode(),
        )
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


def move_main(store: PatchRepository, old: str, new: str, paths: list[str], what: str, *, also: str = "") -> bool:
    """Move main from ``old`` to ``new`` (a commit on top of it): a fast-forward of the
    person's checkout when main is checked out (refused if ``paths`` have edits there),
    else a ref update expecting ``old``, with ``also`` in the same transaction. True when
    a checkout was moved (``also`` is then left to the caller)."""
    main_ref = f"refs/heads/{store.main_branch()}"
    worktree = main_worktree(store, main_ref)
    _check_not_rebasing(store, main_ref)
    if worktree is None:
        _transaction(
            store,
            f"memento: {what}",
            f"update {main_ref}\0{new}\0{old}\0{also}",
            fix="main moved meanwhile; look, then try again",
        )
        return False
    _check_checkout(store, worktree, paths, what.split()[0])
    try:
        store.repo.git(
            "merge",
            "--ff-only",
            "-q",
            "--no-autostash",
            "--no-verify-signatures",
            "--end-of-options",
            new,
            cwd=worktree,
        )
    except GitError as err:
        raise PatchError(
            f"git could not update your checkout, so nothing changed ({what}): {err.stderr}",
            file=worktree,
            fix="finish what git is busy with there (or wait for it), then try again",
        ) from None
    return True


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
            _transaction(
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


def undo_last_merge(store: PatchRepository) -> UndoResult:
    repo = store.repo
    with store.records.decision_lock():
        merged: list[ReviewRecord] = []
        for review in store.records.reviews():
            if review.action == "merge":
                merged.append(review)
            elif review.action in ("undo", "revert") and merged and merged[-1].id == review.id:
                merged.pop()  # taken back already
        if not merged:
            raise PatchError(
                "nothing to undo: no merge made by memento",
                fix="'memento patches list --all' shows the history",
            )
        last = merged[-1]
        if last.main_after is None or last.main_before is None or last.head is None:
            raise PatchError(
                f"the last merge (patch {last.id}) made no commit (main already had the change), so there is nothing to take back"
            )
        main_ref = f"refs/heads/{last.main}"
        branch_ref = f"refs/heads/{last.branch}"
        tip = repo.out("rev-parse", "--verify", "-q", "--end-of-options", f"{main_ref}^{{commit}}", ok=(0, 1))
        if tip != last.main_after:
            raise PatchError(
                f"{last.main} has moved since patch {last.id} was merged (it is at {tip[:12] or 'nothing'}, "
                f"the merge was {last.main_after[:12]}); undoing would throw away what came after",
                fix=f"take it back with a revert commit on top: memento patches revert {last.id}",
            )
        existing = repo.out("rev-parse", "--verify", "-q", "--end-of-options", branch_ref, ok=(0, 1))
        if existing and existing != last.head:
            raise PatchError(
                f"a different branch {last.branch} exists now, so the patch cannot come back as pending",
                fix="rename or delete that branch, then undo again",
            )
        create = "" if existing else f"create {branch_ref}\0{last.head}\0"
        worktree = main_worktree(store, main_ref)
        _check_not_rebasing(store, main_ref)
        if worktree is not None:
            out = repo.git(
                "diff",
                "--name-only",
                "-z",
                "--no-renames",
                "--end-of-options",
                last.main_before,
                last.main_after,
                "--",
            ).stdout
            paths = [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]
            _check_checkout(store, worktree, paths, "undo")
            if create:
                _transaction(store, f"memento: undo merge of {last.id}", create, fix="try again")
            try:
                repo.git("reset", "-q", "--keep", last.main_before, "--", cwd=worktree)
            except GitError as err:
                if create:
                    _transaction(store, "memento: undo failed", f"delete {branch_ref}\0{last.head}\0", fix="")
                raise PatchError(
                    f"git could not reset your checkout, so nothing was undone: {err.stderr}",
                    file=worktree,
                    fix="finish what git is busy with there, then undo again",
                ) from None
        else:
            _transaction(
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


def _merge_tree(store: PatchRepository, patch: Patch, old: str) -> str:
    result = store.repo.git(
        "merge-tree",
        "--write-tree",
        "-z",
        "--name-only",
        "--no-messages",
        "--end-of-options",
        old,
        patch.head,
        ok=(0, 1),
    )
    tokens = result.stdout.split(b"\0")
    if result.returncode == 0:
        return tokens[0].decode().strip()
    files = sorted({t.decode("utf-8", "replace") for t in tokens[1:] if t})
    raise PatchConflict(
        f"patch {patch.id} conflicts with {store.main_branch()} in {', '.join(files)}; nothing was changed",
        files=files,
        fix="reject it with a reason so the next reflection starts from main, or merge "
        f"{store.main_branch()} into {patch.branch} yourself and merge again",
    )


def _check_not_rebasing(store: PatchRepository, main_ref: str) -> None:
    """A rebase of main detaches HEAD, so main looks not checked out; moving it then would
    be undone, or fought over, when the rebase finishes."""
    git_dirs = [store.common_dir]
    worktrees = store.common_dir / "worktrees"
    if worktrees.is_dir():
        git_dirs += sorted(worktrees.iterdir())
    for git_dir in git_dirs:
        for state in ("rebase-merge", "rebase-apply"):
            head_name = git_dir / state / "head-name"
            try:
                rebasing = head_name.read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if rebasing == main_ref:
                raise PatchError(
                    f"a rebase of {main_ref.removeprefix('refs/heads/')} is in progress, so "
                    "memento will not move it; nothing was changed",
                    file=git_dir / state,
                    fix="finish it (git rebase --continue) or abort it (git rebase --abort), then try again",
                )


def main_worktree(store: PatchRepository, main_ref: str) -> Path | None:
    """The folder where main is checked out, or None."""
    if (store.common_dir / "worktrees").is_dir():
        out = store.repo.git("worktree", "list", "--porcelain", "-z").stdout
        path: str | None = None
        for item in out.split(b"\0"):
            text = item.decode("utf-8", "surrogateescape")
            if text.startswith("worktree "):
                path = text[len("worktree ") :]
            elif text == f"branch {main_ref}" and path:
                return Path(path)
        return None
    head = store.repo.out("symbolic-ref", "-q", "HEAD", ok=(0, 1))
    return store.root if head == main_ref else None


def _check_checkout(store: PatchRepository, worktree: Path, paths: list[str], action: str) -> None:
    """Refuse, changing nothing, if git is mid-operation there or any path is dirty."""
    git_dir = Path(store.repo.out("rev-parse", "--absolute-git-dir", cwd=worktree))
    busy = [name for name in _IN_PROGRESS if (git_dir / name).exists()]
    if busy:
        raise PatchError(
            f"git is in the middle of something in {worktree} ({busy[0]}), so memento will not {action}",
            file=worktree,
            fix="finish or abort it (git merge/rebase/cherry-pick --abort), then try again",
        )
    out = store.repo.git(
        "--literal-pathspecs",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--ignored",
        "--",
        *paths,
        cwd=worktree,
        env={"GIT_OPTIONAL_LOCKS": "0"},
    ).stdout
    dirty: list[str] = []
    tokens = iter(out.split(b"\0"))
    for item in tokens:
        if len(item) < 4:
            continue
        dirty.append(item[3:].decode("utf-8", "replace"))
        if item[:1] in (b"R", b"C"):
            next(tokens, None)  # the rename's old name
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise PatchError(
            f"you have uncommitted changes in files this {action} would change: {shown}; nothing was changed",
            file=worktree / dirty[0],
            fix=f"commit or discard those edits (or copy them aside), then {action} again",
        )


def _transaction(store: PatchRepository, message: str, commands: str, *, fix: str) -> None:
    """Several ref updates, all or none, each checked against the value it expects."""
    try:
        store.repo.git("update-ref", "-m", message, "--stdin", "-z", input=commands.encode())
    except GitError as err:
        raise PatchError(f"nothing was changed: {err.stderr}", file=store.root, fix=fix) from None


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

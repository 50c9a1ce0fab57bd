"""Main's checkout: where main is checked out, whether its files may change now, and
moving main (a fast-forward of the person's checkout, or a ref update when main is not
checked out), for merges, reverts, undo and sync alike."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.git_repo import GitError
from memento_tui.domain.patches.model import PatchError

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository

_IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")


def move_main(store: PatchRepository, old: str, new: str, paths: list[str], what: str, *, also: str = "") -> bool:
    """Move main from ``old`` to ``new`` (a commit on top of it): a fast-forward of the
    person's checkout when main is checked out (refused if ``paths`` have edits there),
    else a ref update expecting ``old``, with ``also`` in the same transaction. True when
    a checkout was moved (``also`` is then left to the caller)."""
    main_ref = f"refs/heads/{store.main_branch()}"
    worktree = main_worktree(store, main_ref)
    check_not_rebasing(store, main_ref)
    if worktree is None:
        transaction(
            store,
            f"memento: {what}",
            f"update {main_ref}\0{new}\0{old}\0{also}",
            fix="main moved meanwhile; look, then try again",
        )
        return False
    check_checkout(store, worktree, paths, what.split()[0])
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


def check_not_rebasing(store: PatchRepository, main_ref: str) -> None:
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


def check_checkout(store: PatchRepository, worktree: Path, paths: list[str], action: str) -> None:
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


def transaction(store: PatchRepository, message: str, commands: str, *, fix: str) -> None:
    """Several ref updates, all or none, each checked against the value it expects."""
    try:
        store.repo.git("update-ref", "-m", message, "--stdin", "-z", input=commands.encode())
    except GitError as err:
        raise PatchError(f"nothing was changed: {err.stderr}", file=store.root, fix=fix) from None

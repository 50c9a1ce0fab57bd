"""Three-way merges in plumbing for a patch: applying its change to main as it is now,
or taking a merge back. ``merge-tree`` is asked with a commit made for the purpose, whose
only parent sets the merge base: the patched tree on top of the patch's base (a re-apply),
or the tree to revert to on top of the merge commit (a revert)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memento_tui.domain.patches.model import Patch, PatchConflict

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository


def three_way(store: PatchRepository, ours: str, base: str, theirs_tree: str, what: str) -> str:
    """merge-tree of ``ours`` and a commit holding ``theirs_tree`` on top of ``base``."""
    repo = store.repo
    helper = repo.out("commit-tree", theirs_tree, "-p", base, "-m", f"memento: {what} (helper)")
    result = repo.git(
        "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages",
        "--end-of-options", ours, helper, ok=(0, 1),
    )
    tokens = result.stdout.split(b"\0")
    if result.returncode == 0:
        return tokens[0].decode().strip()
    files = sorted({t.decode("utf-8", "replace") for t in tokens[1:] if t})
    raise PatchConflict(
        f"cannot {what}: it conflicts with {store.main_branch()} in {', '.join(files)}; "
        "nothing was changed",
        files=files,
        fix=f"edit {', '.join(files)} on {store.main_branch()} yourself",
    )


def applied_to_main(store: PatchRepository, patch: Patch, what: str) -> str:
    """The tree of main as it is now with the patch's change (its base -> head) applied, or
    PatchConflict naming the files. While main has not moved, simply the patch's head."""
    repo = store.repo
    tip = store.main_tip()
    if repo.out("merge-base", "--end-of-options", tip, patch.head, ok=(0, 1)) == tip:
        return repo.out("rev-parse", f"{patch.head}^{{tree}}")
    patched_tree = repo.out("rev-parse", f"{patch.head}^{{tree}}")
    return three_way(store, tip, patch.base, patched_tree, what)

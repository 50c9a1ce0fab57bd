"""Main's history and three-way merges in plumbing for a patch: which merges were reverted
(``reverts_on``), applying a patch's change to main as it is now, or taking a merge back. ``merge-tree`` is asked with a commit made for the purpose, whose
only parent sets the merge base: the patched tree on top of the patch's base (a re-apply),
or the tree to revert to on top of the merge commit (a revert)."""

from __future__ import annotations

import re

from memento_tui.domain.git_repo import GitRepo
from memento_tui.domain.patches.model import Patch, PatchConflict

_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,64})")


def three_way(repo: GitRepo, main: str, ours: str, base: str, theirs_tree: str, what: str) -> str:
    """merge-tree of ``ours`` and a commit holding ``theirs_tree`` on top of ``base``."""
    helper = repo.out("commit-tree", theirs_tree, "-p", base, "-m", f"memento: {what} (helper)")
    merged = repo.merge_trees(ours, helper)
    if not merged.conflicts:
        return merged.tree
    files = merged.conflicts
    raise PatchConflict(
        f"cannot {what}: it conflicts with {main} in {', '.join(files)}; nothing was changed",
        files=files,
        fix=f"edit {', '.join(files)} on {main} yourself",
    )


def applied_to_main(repo: GitRepo, main: str, tip: str, patch: Patch, what: str) -> str:
    """The tree of main (at ``tip``) with the patch's change (its base -> head) applied, or
    PatchConflict naming the files. While main has not moved, simply the patch's head."""
    if repo.out("merge-base", "--end-of-options", tip, patch.head, ok=(0, 1)) == tip:
        return repo.out("rev-parse", f"{patch.head}^{{tree}}")
    patched_tree = repo.out("rev-parse", f"{patch.head}^{{tree}}")
    return three_way(repo, main, tip, patch.base, patched_tree, what)


def reverts_on(repo: GitRepo, main: str) -> dict[str, str]:
    """Commit reverted -> the commit reverting it, from main's history (git's own words)."""
    out = repo.out(
        "log",
        "--format=%H%x00%B%x01",
        "-E",
        "--grep=This reverts commit [0-9a-f]+",
        "--end-of-options",
        f"refs/heads/{main}",
    )
    found: dict[str, str] = {}
    for entry in out.split("\x01"):
        commit, _, body = entry.strip().partition("\x00")
        for target in _REVERTS.findall(body):
            found.setdefault(target, commit)
    return found


def is_reverted(merge_commit: str, reverts: dict[str, str]) -> bool:
    """Reverted, unless the revert was itself reverted (then it is merged again), and so on."""
    reverted = False
    seen = merge_commit
    for _ in range(20):
        match = next((by for target, by in reverts.items() if seen.startswith(target)), None)
        if match is None:
            return reverted
        reverted, seen = not reverted, match
    return reverted

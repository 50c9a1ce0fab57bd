"""A repository's files read without running git: where its shared git folder is, and a
cheap fingerprint of its branch tips to poll. Every git command is git_repo.py's."""

from __future__ import annotations

import os
from pathlib import Path


def common_dir_of(root: Path) -> Path | None:
    """The repository's shared git folder, read from the files (no git process)."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = (root / text.removeprefix("gitdir:").strip()).resolve()
    try:
        common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return gitdir
    return (gitdir / common).resolve()


def refs_stamp(root: Path, under: str) -> tuple[object, ...]:
    """A fingerprint of the branch tips: the top of refs/heads (main among them) and every
    branch under ``under``, from a few ``stat`` calls, no git process: cheap enough to poll."""
    from memento_tui.domain import tree

    common = common_dir_of(root)
    if common is None:
        return ()

    def key(path: Path) -> tuple[int, int]:
        try:
            st = path.stat()
        except OSError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    heads = common / "refs" / "heads"
    parts: list[object] = [key(common / "packed-refs")]
    try:
        tops = sorted(e.name for e in os.scandir(heads) if e.is_file(follow_symlinks=False))
    except OSError:
        tops = []
    parts.extend((name, key(heads / name)) for name in tops)
    branches = heads / under.rstrip("/")
    parts.append(key(branches))
    if branches.is_dir():
        for rel, st in tree.files_under(branches):
            parts.append((rel, st.st_mtime_ns, st.st_size))
    return tuple(parts)

"""The work dir before and after a run: handed to the sandbox uid, and made safe to keep.

After every run, one walk over the work dir (``settle``):
- gives back what the sandbox uid owns (under root), never following a link and never
  touching a file with more than one hard link (a link to a host file must not change owner);
- clears setuid and setgid bits (seccomp refuses to set them; this is the second layer);
- quarantines git directories. A command that runs ``git init`` and sets
  ``core.fsmonitor`` (or a hook, a pager, an alias) plants code that the person's own git,
  or a git-aware shell prompt, runs later in that folder. Every ``.git`` entry is renamed
  and every folder that git would take for a repository (``HEAD`` beside ``objects`` or
  ``commondir``) loses its ``HEAD``, so no git finds a repository there. The next run in
  the same work dir gets them back (``restore``), so a task that uses git still works
  inside the sandbox; between runs and afterwards, the host sees none.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from memento_tui.domain import tree

QUARANTINE_SUFFIX = ".quarantined-by-memento"
_GIT_DIR_MARKERS = ("objects", "commondir")


@dataclass
class Quarantined:
    """Renames made by ``settle``: (folder relative to the work dir, old name, new name)."""

    moves: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Settled:
    setid_cleared: list[str] = field(default_factory=list)
    quarantined: Quarantined = field(default_factory=Quarantined)


def take(root: Path, uid: int, gid: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Hand ``root`` and what is in it to ``uid``; return the old owners to give back."""
    owners: dict[tuple[int, int], tuple[int, int]] = {}

    def give(name: str, dir_fd: int | None, st: os.stat_result) -> None:
        if stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1):
            owners[(st.st_dev, st.st_ino)] = (st.st_uid, st.st_gid)
            os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)

    give(str(root), None, os.stat(root, follow_symlinks=False))
    tree.walk(root, lambda e: give(e.name, e.dir_fd, e.st))
    return owners


def _clear_setid(name: str, dir_fd: int | None, st: os.stat_result) -> bool:
    if not st.st_mode & (stat.S_ISUID | stat.S_ISGID) or stat.S_ISLNK(st.st_mode):
        return False
    if stat.S_ISDIR(st.st_mode):
        os.chmod(name, stat.S_IMODE(st.st_mode) & ~0o6000, dir_fd=dir_fd)
        return True
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd)
    try:
        os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & ~0o6000)
    finally:
        os.close(fd)
    return True


def _free_name(dir_fd: int, name: str) -> str:
    candidate = name + QUARANTINE_SUFFIX
    n = 1
    while True:
        try:
            os.stat(candidate, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return candidate
        n += 1
        candidate = f"{name}{QUARANTINE_SUFFIX}-{n}"


def _looks_like_git_dir(dir_fd: int) -> bool:
    for marker in _GIT_DIR_MARKERS:
        with contextlib.suppress(FileNotFoundError):
            os.stat(marker, dir_fd=dir_fd, follow_symlinks=False)
            return True
    return False


def settle(
    root: Path,
    owners: dict[tuple[int, int], tuple[int, int]] | None = None,
    *,
    sandbox_ids: tuple[int, int] | None = None,
    owner: tuple[int, int] = (-1, -1),
) -> Settled:
    """The after-run walk (see the module's doc). With ``sandbox_ids``, what that uid or
    gid owns goes back to its old owner from ``owners``, new files to ``owner``."""
    done = Settled()
    known = owners or {}

    def give_back(name: str, dir_fd: int | None, st: os.stat_result) -> None:
        if sandbox_ids is None or (st.st_uid, st.st_gid) == (-1, -1):
            return
        if st.st_uid == sandbox_ids[0] or st.st_gid == sandbox_ids[1]:
            new = known.get((st.st_dev, st.st_ino), owner)
            os.chown(name, *new, dir_fd=dir_fd, follow_symlinks=False)

    def visit(entry: tree.Entry) -> bool:
        give_back(entry.name, entry.dir_fd, entry.st)
        if _clear_setid(entry.name, entry.dir_fd, entry.st):
            done.setid_cleared.append(entry.rel)
        return True

    def leave(entry: tree.Entry) -> None:
        # Children first, so a .git folder's own HEAD is dealt with before it is renamed.
        if entry.name == ".git" or (entry.name == "HEAD" and _looks_like_git_dir(entry.dir_fd)):
            _quarantine(entry)

    def _quarantine(entry: tree.Entry) -> None:
        new = _free_name(entry.dir_fd, entry.name)
        os.rename(entry.name, new, src_dir_fd=entry.dir_fd, dst_dir_fd=entry.dir_fd)
        folder = entry.rel.rpartition("/")[0]
        done.quarantined.moves.append((folder, entry.name, new))

    root_st = os.stat(root, follow_symlinks=False)
    give_back(str(root), None, root_st)
    _clear_setid(str(root), None, root_st)
    tree.walk(root, visit, leave=leave, reopen_closed=True)
    return done


def restore(root: Path, quarantined: Quarantined) -> None:
    """Undo ``settle``'s renames (deepest first) before the next run in the same work dir."""
    for folder, old, new in reversed(quarantined.moves):
        base = root / folder if folder else root
        with contextlib.suppress(OSError):
            if not os.path.lexists(base / old):
                os.rename(base / new, base / old)

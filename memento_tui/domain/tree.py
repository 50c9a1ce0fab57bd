"""Walking and removing folders that a sandboxed command wrote, whatever it put there.

A work dir is written by hostile code: it can be 100,000 folders deep (deeper than
PATH_MAX, deeper than Python's recursion limit, which ``os.fwalk``, ``os.walk`` and
``shutil.rmtree`` hit on Python 3.11), hold symlinks that point anywhere, folders with
mode 000, and names with terminal escapes. Everything here walks with an explicit stack,
opens folders relative to their parent's file descriptor and never follows a link, so a
planted link cannot redirect a chown, a chmod or an unlink onto a host file.

At most ``_MAX_OPEN`` folders are held open at a time; a folder whose descriptor was let
go is opened again through its child's ``..`` and must be the same folder (device and
inode) as before, or the walk stops with ``TreeChanged``.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_OPEN = 48


class TreeChanged(OSError):
    """A folder was swapped for another while it was being walked."""


@dataclass(frozen=True)
class Entry:
    """One thing in the tree. ``dir_fd`` is its folder's descriptor and is valid only
    during the call it is passed to; use ``name`` with it for any system call."""

    rel: str  # path from the root, "a/b/c"; may be longer than PATH_MAX
    name: str
    dir_fd: int
    st: os.stat_result

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.st.st_mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.st.st_mode)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.st.st_mode)


@dataclass
class _Frame:
    rel: str
    dev: int
    ino: int
    fd: int | None
    names: list[str] = field(default_factory=list)
    entry: Entry | None = None  # how the parent saw it (None for the root)


def _open_dir(
    name: str, dir_fd: int | None, expect: os.stat_result | None, *, reopen: bool = False
) -> tuple[int, list[str]]:
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        if not reopen:
            raise
        # A folder a sandboxed command made mode 000 (it ran as us): give ourselves access
        # back. It is a folder, not a link (lstat said so), and nothing else runs in the tree.
        os.chmod(name, 0o700, dir_fd=dir_fd)
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if expect is not None and (st.st_dev, st.st_ino) != (expect.st_dev, expect.st_ino):
            raise TreeChanged(f"{name} changed while it was walked")
        # Sorted backwards: the walk pops from the end, so entries come in name order.
        return fd, sorted(os.listdir(fd), reverse=True)
    except BaseException:
        os.close(fd)
        raise


def _reopen_parent(child_fd: int, parent: _Frame) -> None:
    fd = os.open("..", _DIR_FLAGS, dir_fd=child_fd)
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (parent.dev, parent.ino):
        os.close(fd)
        raise TreeChanged(f"{parent.rel or '.'} changed while it was walked")
    parent.fd = fd


def walk(
    root: Path,
    visit: Callable[[Entry], bool | None] | None = None,
    *,
    leave: Callable[[Entry], None] | None = None,
    reopen_closed: bool = False,
) -> None:
    """Call ``visit`` on every entry under ``root`` (not the root itself), parents first;
    a folder is entered unless ``visit`` returns False. ``leave`` is called on each folder
    after everything in it (and on every non-folder right after ``visit``), with its
    parent's descriptor: the order removal needs. Entries that vanish are skipped, and so
    are folders we may not open, unless ``reopen_closed`` (for trees a sandboxed command
    wrote as us, never for a person's own folders) lets us chmod them open."""
    root_st = os.stat(root, follow_symlinks=False)
    if not stat.S_ISDIR(root_st.st_mode):
        raise NotADirectoryError(f"{root} is not a folder")
    fd, names = _open_dir(str(root), None, root_st)
    # An explicit stack, never recursion: a tree may be far deeper than the recursion limit.
    stack = [_Frame("", root_st.st_dev, root_st.st_ino, fd, names)]
    lowest_open = 0  # frames below this index have let go of their descriptor
    try:
        while stack:
            top = stack[-1]
            if not top.names:
                lowest_open = _leave_folder(stack, lowest_open, leave)
                continue
            child = _next_entry(top, visit, leave, reopen_closed)
            if child is not None:
                stack.append(child)
                lowest_open = _release_oldest(stack, lowest_open)
    finally:
        for frame in stack:
            if frame.fd is not None:
                with contextlib.suppress(OSError):
                    os.close(frame.fd)


def _leave_folder(stack: list[_Frame], lowest_open: int, leave: Callable[[Entry], None] | None) -> int:
    """Pop the finished folder on top of the stack, close it and call ``leave`` on it. A
    parent that let go of its descriptor is opened again first, through ``..``. Returns
    the new ``lowest_open``."""
    top = stack.pop()
    if top.fd is not None and stack and stack[-1].fd is None:
        try:
            _reopen_parent(top.fd, stack[-1])
        except BaseException:
            os.close(top.fd)  # off the stack already: the walk's clean-up would not see it
            raise
        lowest_open = len(stack) - 1
    if top.fd is not None:
        os.close(top.fd)
        top.fd = None
    if leave is not None and top.entry is not None:
        parent_fd = stack[-1].fd
        assert parent_fd is not None
        leave(Entry(top.entry.rel, top.entry.name, parent_fd, top.entry.st))
    return lowest_open


def _next_entry(
    top: _Frame,
    visit: Callable[[Entry], bool | None] | None,
    leave: Callable[[Entry], None] | None,
    reopen_closed: bool,
) -> _Frame | None:
    """Visit the next name in ``top``; a folder to enter comes back as a new, open frame."""
    name = top.names.pop()
    assert top.fd is not None
    try:
        st = os.stat(name, dir_fd=top.fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    rel = f"{top.rel}/{name}" if top.rel else name
    entry = Entry(rel, name, top.fd, st)
    descend = visit(entry) if visit is not None else True
    if not stat.S_ISDIR(st.st_mode):
        if leave is not None:
            leave(entry)
        return None
    if descend is False:
        return None
    try:
        child_fd, child_names = _open_dir(name, top.fd, st, reopen=reopen_closed)
    except (FileNotFoundError, PermissionError):
        if leave is not None:
            leave(entry)
        return None
    return _Frame(rel, st.st_dev, st.st_ino, child_fd, child_names, entry)


def _release_oldest(stack: list[_Frame], lowest_open: int) -> int:
    """Past ``_MAX_OPEN`` open folders, let go of the one nearest the root; returns the
    new ``lowest_open``."""
    if len(stack) - lowest_open > _MAX_OPEN:
        old = stack[lowest_open]
        assert old.fd is not None
        os.close(old.fd)
        old.fd = None
        lowest_open += 1
    return lowest_open


def remove_tree(root: Path, *, missing_ok: bool = True) -> None:
    """``rm -rf root``, safe at any depth and never following a link."""
    try:
        st = os.stat(root, follow_symlinks=False)
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(root)
        return

    def remove(entry: Entry) -> None:
        with contextlib.suppress(FileNotFoundError):
            if entry.is_dir:
                os.rmdir(entry.name, dir_fd=entry.dir_fd)
            else:
                os.unlink(entry.name, dir_fd=entry.dir_fd)

    walk(root, leave=remove, reopen_closed=True)
    os.rmdir(root)


def remove_tree_quietly(root: Path) -> None:
    """Best effort, for temp folders: what cannot be removed stays."""
    with contextlib.suppress(OSError):
        remove_tree(root)


class _Enough(Exception):
    pass


def files_under(root: Path, limit: int | None = None) -> list[tuple[str, os.stat_result]]:
    """(relative path, lstat) of regular files under ``root``, sorted; with ``limit``, the
    walk stops once it has found that many (which ones is then not defined)."""
    found: list[tuple[str, os.stat_result]] = []

    def visit(entry: Entry) -> None:
        if entry.is_file:
            found.append((entry.rel, entry.st))
            if limit is not None and len(found) >= limit:
                raise _Enough

    with contextlib.suppress(_Enough, FileNotFoundError, NotADirectoryError):
        walk(root, visit)
    return sorted(found, key=lambda item: item[0])

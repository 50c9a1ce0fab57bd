"""Copying a folder of any depth without following a link.

``shutil.copytree`` recurses (RecursionError at about 1,000 folders deep on Python 3.11)
and, with ``symlinks=False``, copies what a link points at, which for a loop never ends.
This walks with ``domain.tree`` and copies folders and regular files only: links are
recreated as links when asked (a skill checks its own links) and otherwise left out,
as are FIFOs, sockets and devices. Set-id bits are never copied.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from memento_tui.domain.tree import Entry, walk

_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _copy_file(entry: Entry, dst_fd: int) -> None:
    src = os.open(entry.name, _READ, dir_fd=entry.dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):
            return  # swapped for something else since the walk saw it
        dst = os.open(entry.rel, _CREATE, entry.st.st_mode & 0o777, dir_fd=dst_fd)
        try:
            while chunk := os.read(src, 1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(dst, view) :]
            os.utime(dst, ns=(entry.st.st_atime_ns, entry.st.st_mtime_ns))
        finally:
            os.close(dst)
    finally:
        os.close(src)


def copy_tree(src: Path, dst: Path, *, links: bool = False) -> None:
    """Copy the folder ``src`` to a new folder ``dst`` (raises OSError; a path longer
    than PATH_MAX inside it raises ENAMETOOLONG rather than being skipped)."""
    os.mkdir(dst, 0o755)
    dst_fd = os.open(dst, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def visit(entry: Entry) -> bool:
        if entry.is_dir:
            os.mkdir(entry.rel, 0o755, dir_fd=dst_fd)
            return True
        if entry.is_file:
            _copy_file(entry, dst_fd)
        elif entry.is_link and links:
            os.symlink(os.readlink(entry.name, dir_fd=entry.dir_fd), entry.rel, dir_fd=dst_fd)
        return False

    try:
        walk(src, visit)
    finally:
        os.close(dst_fd)

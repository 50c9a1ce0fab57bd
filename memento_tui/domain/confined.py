"""Files a model names, read and written inside one folder without following a link.

A path from a model (an agent tool's argument, a file in a proposed patch) is checked as
text first: it must be text, relative, free of NUL and invisible characters, of ``..``,
and not too long. Only then is anything touched, one folder at a time from the root,
each opened with O_NOFOLLOW: a symlink anywhere on the way is refused, never followed,
so a planted link (to /etc/shadow, to /proc/self/mem, to itself) cannot redirect a read
or a write. Only regular files are read or written, and never more than a cap, so a FIFO,
a socket, a device or a 60 GB sparse file cannot hang the program or fill its memory.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain.errors import MementoError

MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused right after).
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp", "Co", "Cs")
# .git, and its NTFS short name: a git folder planted in the work dir is run by the
# person's own git (hooks, fsmonitor) when they look at the folder later.
_GIT_RE = re.compile(r"^(\.git|git~[0-9]+)$", re.IGNORECASE)


class PathRefused(MementoError):
    """A path from a model that breaks a rule, or names something that is not a plain file."""


def kind_of(mode: int) -> str:
    """What a file system entry is, in words, for messages."""
    for test, word in (
        (stat.S_ISREG, "a file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return word
    return "not a plain file"


def shown(text: str, limit: int = 120) -> str:
    """A name fit for a message: escapes visible, long names cut."""
    safe = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


@dataclass(frozen=True)
class ConfinedPath:
    """A checked path under ``root``; ``label`` is how messages name it (``/work/a.txt``)."""

    root: Path
    parts: tuple[str, ...]
    label: str

    @classmethod
    def parse(cls, root: Path, path: object, *, root_label: str, writing: bool = False) -> ConfinedPath:
        """Check ``path`` as text, before anything is touched. ``root_label`` (``/work``)
        is accepted as a prefix, since that is where the model sees the folder."""
        fix = f"use a path relative to {root_label}, such as notes/out.txt"
        if not isinstance(path, str):
            raise PathRefused(f"the path must be text, not {type(path).__name__}", fix=fix)
        if "\x00" in path:
            raise PathRefused("the path contains a NUL byte", fix=fix)
        text = path.strip()
        for ch in text:
            if unicodedata.category(ch) in _INVISIBLE:
                raise PathRefused(
                    f"the path {shown(text)!r} contains the control or invisible character U+{ord(ch):04X}",
                    fix="name files with plain visible characters",
                )
        if text == root_label or text.startswith(root_label + "/"):
            text = text[len(root_label) :].lstrip("/")
        if text.startswith("/"):
            raise PathRefused(f"{shown(text)!r} is outside {root_label}", fix=fix)
        if len(text.encode("utf-8")) > MAX_PATH_BYTES:
            raise PathRefused(f"the path is longer than {MAX_PATH_BYTES} bytes", fix="use a shorter path")
        parts = tuple(p for p in text.split("/") if p not in ("", "."))
        for part in parts:
            if part == "..":
                raise PathRefused(f"{shown(text)!r} leads outside {root_label}", fix=fix)
            if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES:
                raise PathRefused(
                    f"a name in {shown(text)!r} is longer than {MAX_SEGMENT_BYTES} bytes",
                    fix="use shorter names",
                )
            if writing and _GIT_RE.match(part):
                raise PathRefused(
                    f"{shown(text)!r} writes into a git folder",
                    fix="write ordinary files; git folders in the work dir are not allowed",
                )
        label = root_label + ("/" + "/".join(parts) if parts else "")
        return cls(root, parts, shown(label))

    # -- folders -------------------------------------------------------------------
    def _open_folder(self, parts: tuple[str, ...], *, create: bool) -> int:
        """The folder ``parts`` under the root, reached one name at a time, no link followed."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for depth, part in enumerate(parts, 1):
                where = shown("/".join(parts[:depth]))
                try:
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    if not create:
                        raise PathRefused(f"{self.label}: there is no folder {where}") from None
                    os.mkdir(part, 0o755, dir_fd=fd)
                    st = os.stat(part, dir_fd=fd, follow_symlinks=False)
                if not stat.S_ISDIR(st.st_mode):
                    raise PathRefused(
                        f"{self.label}: {where} is {kind_of(st.st_mode)}, not a folder"
                        + (" (links are not followed)" if stat.S_ISLNK(st.st_mode) else "")
                    )
                child = os.open(part, _DIR, dir_fd=fd)
                os.close(fd)
                fd = child
            return fd
        except BaseException:
            os.close(fd)
            raise

    def folder(self) -> Path:
        """The path of this folder, once it is known to be a real folder reached without a link."""
        os.close(self._open_folder(self.parts, create=False))
        return self.root.joinpath(*self.parts)

    def _refuse_kind(self, mode: int, doing: str) -> PathRefused:
        link = stat.S_ISLNK(mode)
        return PathRefused(
            f"{self.label} is {kind_of(mode)}; only plain files are {doing}"
            + (" (links are not followed)" if link else ""),
            fix="name a regular file" + ("; 'run' a command to follow the link" if link else ""),
        )

    # -- files ---------------------------------------------------------------------
    def read(self, cap: int) -> tuple[bytes, int]:
        """At most ``cap`` bytes of the file, and the file's full size."""
        if not self.parts:
            raise PathRefused(f"{self.label} is a folder, not a file", fix="name a file in it")
        dir_fd = self._open_folder(self.parts[:-1], create=False)
        try:
            name = self.parts[-1]
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                raise PathRefused(f"there is no file {self.label}") from None
            if not stat.S_ISREG(st.st_mode):
                raise self._refuse_kind(st.st_mode, "read")
            fd = os.open(name, _READ, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # swapped since the stat above
                raise self._refuse_kind(st.st_mode, "read")
            chunks: list[bytes] = []
            left = cap
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks), st.st_size
        finally:
            os.close(fd)

    def write(self, data: bytes) -> None:
        """Write the file, making its folders; refuse anything but a new or plain file."""
        if not self.parts:
            raise PathRefused(f"{self.label} is a folder, not a file", fix="name a file in it")
        dir_fd = self._open_folder(self.parts[:-1], create=True)
        try:
            name = self.parts[-1]
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                pass
            else:
                if not stat.S_ISREG(st.st_mode):
                    raise self._refuse_kind(st.st_mode, "written")
            fd = os.open(name, _WRITE, 0o644, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise self._refuse_kind(st.st_mode, "written")
            if st.st_nlink > 1:
                # A hard link shares its content with a file somewhere else.
                raise PathRefused(
                    f"{self.label} has other hard links; it is not overwritten",
                    fix="write a new file instead",
                )
            os.ftruncate(fd, 0)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

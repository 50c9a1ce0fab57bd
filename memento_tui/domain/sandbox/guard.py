"""Making the process limit hold, and leaving the work dir safe afterwards.

``RLIMIT_NPROC`` does not bind a root caller (the kernel exempts uid 0), so under root a
fork bomb would go straight through prlimit. Two ways out, tried in this order:

- ``cgroup``: a fresh pids cgroup per run with ``pids.max`` (v1 ``pids`` hierarchy or v2
  with the pids controller), joined by the child before it execs bwrap;
- ``uid``: run bwrap as an unprivileged uid (65534 by default), where RLIMIT_NPROC binds.
  The work dir is handed to that uid for the run and given back afterwards.

Run as a normal user, RLIMIT_NPROC binds already ("rlimit"). The kernel counts every
process of the user, so the limit is raised by what the user already has running.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain.sandbox.errors import SandboxUnavailable

_PROC_CGROUP = Path("/proc/self/cgroup")
_MOUNTINFO = Path("/proc/self/mountinfo")
_counter = itertools.count()
_lock = threading.Lock()


# -- cgroups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CgroupParent:
    """Where per-run pids cgroups are made: ``<mount>/memento``."""

    path: Path
    version: int

    def new_run(self, max_pids: int) -> RunCgroup:
        with _lock:
            name = f"run-{os.getpid()}-{next(_counter)}"
        path = self.path / name
        _sweep()
        path.mkdir(mode=0o755)
        try:
            (path / "pids.max").write_text(str(max_pids))
        except OSError:
            path.rmdir()
            raise
        return RunCgroup(path, self.version)


@dataclass
class RunCgroup:
    path: Path
    version: int

    def join_argv(self) -> list[str]:
        """A prefix that moves the child into this cgroup, then execs the rest.

        The shell writes "0" (itself) to cgroup.procs before it execs prlimit and bwrap,
        so nothing the sandbox starts can be outside the cgroup."""
        return ["/bin/sh", "-c", 'echo 0 > "$0" && exec "$@"', str(self.path / "cgroup.procs")]

    def hit_max(self) -> bool:
        """True when a fork was refused because pids.max was reached."""
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self) -> None:
        if self.version == 2 and (self.path / "cgroup.kill").exists():
            try:
                (self.path / "cgroup.kill").write_text("1")
                return
            except OSError:
                pass
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)

    def remove(self) -> None:
        """rmdir, once the dying processes have left; if they are slow, later."""
        for attempt in range(5):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if attempt == 0:
                    self.kill_all()
                time.sleep(0.001)
        with _lock:
            _pending.append(self.path)


# Run cgroups whose last processes were still exiting when the run ended.
_pending: list[Path] = []


def _sweep() -> None:
    with _lock:
        left = []
        for path in _pending:
            try:
                path.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                left.append(path)
        _pending[:] = left


@atexit.register
def _sweep_at_exit() -> None:
    for _ in range(50):
        _sweep()
        if not _pending:
            return
        time.sleep(0.01)


def _mounts(fstype: str) -> list[tuple[Path, str]]:
    """(mount point, super options) of every mount of that filesystem type."""
    found: list[tuple[Path, str]] = []
    try:
        text = _MOUNTINFO.read_text()
    except OSError:
        return found
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) >= 5 and len(rfields) >= 3 and rfields[0] == fstype:
            found.append((Path(fields[4].replace("\\040", " ")), rfields[2]))
    return found


def _writable_dir(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def _ensure_parent(mount: Path, version: int) -> CgroupParent | None:
    parent = mount / "memento"
    try:
        if version == 2:
            # v2: the pids controller must be enabled for children of the root and of ours.
            controllers = (mount / "cgroup.subtree_control").read_text().split()
            if "pids" not in controllers:
                (mount / "cgroup.subtree_control").write_text("+pids")
        parent.mkdir(mode=0o755, exist_ok=True)
        if version == 2 and "pids" not in (parent / "cgroup.subtree_control").read_text().split():
            (parent / "cgroup.subtree_control").write_text("+pids")
        if not (parent / "pids.max").exists() and version == 1:
            return None
    except OSError:
        return None
    return CgroupParent(parent, version)


def find_pids_cgroup() -> CgroupParent | None:
    """A writable place for per-run pids cgroups, or None."""
    for mount, options in _mounts("cgroup"):
        if "pids" in options.split(",") and _writable_dir(mount):
            found = _ensure_parent(mount, 1)
            if found:
                return found
    for mount, _ in _mounts("cgroup2"):
        try:
            available = (mount / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if "pids" in available and _writable_dir(mount):
            found = _ensure_parent(mount, 2)
            if found:
                return found
    return None


# -- running as an unprivileged uid ---------------------------------------------------------


def _allowed(st: os.stat_result, uid: int, gid: int, bits: int) -> bool:
    """Linux permission check for ``bits`` given as "other" bits (owner bits win, then group)."""
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    mask = bits << shift
    return st.st_mode & mask == mask


def unreachable_part(path: Path, uid: int, gid: int, *, read: bool) -> Path | None:
    """The first folder on the way to ``path`` that ``uid`` may not enter, or None.

    With ``read``, ``path`` itself must also be listable (the read-only skill folder);
    without, only the way there matters (the work dir is handed to ``uid`` anyway).
    """
    path = path.resolve()
    for folder in reversed(path.parents):
        try:
            if not _allowed(folder.stat(), uid, gid, stat.S_IXOTH):
                return folder
        except OSError:
            return folder
    if read:
        try:
            if not _allowed(path.stat(), uid, gid, stat.S_IXOTH | stat.S_IROTH):
                return path
        except OSError:
            return path
    return None


def setpriv_argv(setpriv: str, uid: int, gid: int) -> list[str]:
    """A prefix that drops to ``uid`` with no supplementary groups, then execs the rest."""
    return [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]


def count_user_processes(uid: int) -> int:
    """How many processes ``uid`` has now (the kernel counts them all against RLIMIT_NPROC)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


@dataclass
class WorkDirLease:
    """The work dir, handed to the sandbox uid for one run.

    Walks with file descriptors and never follows a symlink, so a link planted in the
    work dir cannot redirect a chown onto a host file. Files with more than one link are
    left alone: a hardlink to a host file must never change owner.
    """

    root: Path
    uid: int
    gid: int
    owners: dict[tuple[int, int], tuple[int, int]]

    @classmethod
    def take(cls, root: Path, uid: int, gid: int) -> WorkDirLease:
        owners: dict[tuple[int, int], tuple[int, int]] = {}

        def give(name: str, dir_fd: int | None, st: os.stat_result) -> None:
            if stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1):
                owners[(st.st_dev, st.st_ino)] = (st.st_uid, st.st_gid)
                os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)

        _walk(root, give)
        return cls(root, uid, gid, owners)

    def give_back(self, owner: tuple[int, int]) -> None:
        """Everything the sandbox uid owns goes back to its old owner (new files: ``owner``),
        without a setuid or setgid bit."""

        def back(name: str, dir_fd: int | None, st: os.stat_result) -> None:
            if st.st_uid == self.uid or st.st_gid == self.gid:
                new_uid, new_gid = self.owners.get((st.st_dev, st.st_ino), owner)
                os.chown(name, new_uid, new_gid, dir_fd=dir_fd, follow_symlinks=False)
            _clear_setid(name, dir_fd, st)

        _walk(self.root, back)


def _clear_setid(name: str, dir_fd: int | None, st: os.stat_result) -> None:
    if stat.S_ISREG(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
        try:
            os.fchmod(fd, stat.S_IMODE(os.fstat(fd).st_mode) & ~0o6000)
        finally:
            os.close(fd)


def strip_setid_bits(root: Path) -> None:
    """A sandbox run as root could leave a setuid-root file in the work dir: clear the bits."""
    _walk(root, _clear_setid)


def _walk(root: Path, visit: Callable[[str, int | None, os.stat_result], None]) -> None:
    st = os.stat(root, follow_symlinks=False)
    visit(str(root), None, st)
    for _folder, dirs, files, dir_fd in os.fwalk(root, follow_symlinks=False):
        for name in [*dirs, *files]:
            try:
                entry = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if not stat.S_ISLNK(entry.st_mode):
                    visit(name, dir_fd, entry)
            except FileNotFoundError:
                continue


def require_reachable(paths: list[tuple[Path, bool]], uid: int, gid: int) -> None:
    """Fail closed, with the fix, when the sandbox uid cannot reach a folder it must mount."""
    for path, read in paths:
        blocked = unreachable_part(path, uid, gid, read=read)
        if blocked is not None:
            raise SandboxUnavailable(
                f"the sandbox runs as uid {uid} under root (for the process limit) and cannot "
                f"reach {path}: {blocked} is closed to it",
                file=blocked,
                field="sandbox.process_guard",
                fix=f"chmod o+x {blocked} (and o+r for the skill folder), move the workspace out "
                "of /root, or make a pids cgroup writable (see docs/sandbox.md)",
            )

"""Limits for the whole process tree of a run: a fresh cgroup with pids.max and a memory cap.

Resource limits set with prlimit are per process: eight children of 200 MB each passed a
256 MB RLIMIT_AS, and RLIMIT_NPROC does not bind uid 0 at all. A cgroup counts the tree
as one: every process the command starts, and the tmpfs pages it writes (/tmp, /dev/shm),
are charged to it. Each run gets its own cgroup under ``memento/`` in each hierarchy that
has the controller (cgroup v1 ``pids`` and ``memory``, or v2 with both enabled), made
next to our own cgroup where that is allowed (so a run's memory counts against whatever
limits the person's session has), else at the hierarchy's root.

Where no cgroup is writable (a normal user without delegation), the per-process rlimits
remain, and ``memory_note()`` says so for doctor.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_PROC_CGROUP = Path("/proc/self/cgroup")
_MOUNTINFO = Path("/proc/self/mountinfo")
_counter = itertools.count()
_lock = threading.Lock()

CONTROLLERS = ("pids", "memory")


@dataclass(frozen=True)
class Hierarchy:
    """Where run cgroups for some controllers are made: ``<parent>/run-...``."""

    parent: Path
    version: int
    controllers: tuple[str, ...]


@dataclass(frozen=True)
class CgroupSetup:
    hierarchies: tuple[Hierarchy, ...]

    def has(self, controller: str) -> bool:
        return any(controller in h.controllers for h in self.hierarchies)

    def new_run(self, *, max_pids: int, memory_bytes: int) -> RunCgroup:
        with _lock:
            name = f"run-{os.getpid()}-{next(_counter)}"
        _sweep()
        run = RunCgroup()
        try:
            for hierarchy in self.hierarchies:
                path = hierarchy.parent / name
                path.mkdir(mode=0o755)
                run.paths.append((path, hierarchy))
                if "pids" in hierarchy.controllers:
                    (path / "pids.max").write_text(str(max_pids))
                if "memory" in hierarchy.controllers:
                    _set_memory(path, hierarchy.version, memory_bytes)
        except OSError:
            run.remove()
            raise
        return run


def _set_memory(path: Path, version: int, limit: int) -> None:
    if version == 2:
        (path / "memory.max").write_text(str(limit))
        with contextlib.suppress(OSError):  # no swap accounting: then there is no swap to use
            (path / "memory.swap.max").write_text("0")
        return
    (path / "memory.limit_in_bytes").write_text(str(limit))
    with contextlib.suppress(OSError):  # memsw exists only with swap accounting on
        (path / "memory.memsw.limit_in_bytes").write_text(str(limit))


@dataclass
class RunCgroup:
    """One run's cgroups (one directory per hierarchy)."""

    paths: list[tuple[Path, Hierarchy]] = field(default_factory=list)

    def attach(self, pid: int) -> None:
        """Move ``pid`` in; its children, not yet born, will be in it too."""
        for path, _ in self.paths:
            (path / "cgroup.procs").write_text(str(pid))

    def _read(self, controller: str, name: str) -> str:
        for path, hierarchy in self.paths:
            if controller in hierarchy.controllers:
                with contextlib.suppress(OSError):
                    return (path / name).read_text()
        return ""

    def _counter(self, controller: str, name: str, key: str) -> int:
        for line in self._read(controller, name).splitlines():
            left, _, value = line.partition(" ")
            if left == key:
                with contextlib.suppress(ValueError):
                    return int(value)
        return 0

    def hit_pids_max(self) -> bool:
        """A fork was refused because pids.max was reached."""
        return self._counter("pids", "pids.events", "max") > 0

    def oom_killed(self) -> bool:
        """The kernel killed a process of the run for going over the memory cap."""
        version = next((h.version for _, h in self.paths if "memory" in h.controllers), 0)
        if version == 2:
            return self._counter("memory", "memory.events", "oom_kill") > 0
        return self._counter("memory", "memory.oom_control", "oom_kill") > 0

    def peak_memory(self) -> int | None:
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            text = self._read("memory", name).strip()
            if text.isdigit():
                return int(text)
        return None

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path, _ in self.paths:
            with contextlib.suppress(OSError, ValueError):
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill_all(self) -> None:
        for path, hierarchy in self.paths:
            if hierarchy.version == 2 and (path / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    (path / "cgroup.kill").write_text("1")
                    return
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, 9)

    def remove(self) -> None:
        """rmdir, once the dying processes have left; if they are slow, later."""
        for path, _ in self.paths:
            for attempt in range(5):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if attempt == 0:
                        self.kill_all()
                    time.sleep(0.001)
            else:
                with _lock:
                    _pending.append(path)


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


# -- finding where run cgroups can be made ---------------------------------------------------


def _mounts(fstype: str) -> list[tuple[Path, str, str]]:
    """(mount point, root inside the hierarchy, super options) of every mount of a type."""
    found: list[tuple[Path, str, str]] = []
    try:
        text = _MOUNTINFO.read_text()
    except OSError:
        return found
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) >= 5 and len(rfields) >= 3 and rfields[0] == fstype:
            found.append((Path(fields[4].replace("\\040", " ")), fields[3], rfields[2]))
    return found


def _own_paths() -> dict[str, str]:
    """Our cgroup per v1 controller, and under "" for v2."""
    own: dict[str, str] = {}
    try:
        lines = _PROC_CGROUP.read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            own[name] = path
    return own


def _candidates(mount: Path, mount_root: str, own: str | None) -> list[Path]:
    """``memento/`` next to our own cgroup first, then at the root of the hierarchy."""
    places = []
    if own and own != "/" and own.startswith(mount_root):
        inside = own[len(mount_root) :].strip("/")
        if inside:
            places.append(mount / inside / "memento")
    places.append(mount / "memento")
    return places


def _usable_v1(parent: Path, controller: str) -> bool:
    try:
        parent.mkdir(mode=0o755, exist_ok=True)
        probe = {"pids": "pids.max", "memory": "memory.limit_in_bytes"}[controller]
        return (parent / probe).exists() and os.access(parent, os.W_OK | os.X_OK)
    except OSError:
        return False


def _usable_v2(parent: Path, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """Enable ``wanted`` for children of ``parent``; return those that are on."""
    try:
        enable = " ".join(f"+{c}" for c in wanted)
        top = parent.parent
        if not set(wanted) <= set((top / "cgroup.subtree_control").read_text().split()):
            (top / "cgroup.subtree_control").write_text(enable)
        parent.mkdir(mode=0o755, exist_ok=True)
        if not set(wanted) <= set((parent / "cgroup.subtree_control").read_text().split()):
            (parent / "cgroup.subtree_control").write_text(enable)
        on = set((parent / "cgroup.subtree_control").read_text().split())
    except OSError:
        return ()
    return tuple(c for c in wanted if c in on)


def find_cgroups(wanted: tuple[str, ...] = CONTROLLERS) -> CgroupSetup:
    """Every writable place for per-run cgroups, one per controller at most."""
    own = _own_paths()
    found: list[Hierarchy] = []
    missing = list(wanted)
    for mount, root, options in _mounts("cgroup"):
        for controller in [c for c in missing if c in options.split(",")]:
            for parent in _candidates(mount, root, own.get(controller)):
                if _usable_v1(parent, controller):
                    found.append(Hierarchy(parent, 1, (controller,)))
                    missing.remove(controller)
                    break
    if missing:
        for mount, root, _ in _mounts("cgroup2"):
            try:
                available = (mount / "cgroup.controllers").read_text().split()
            except OSError:
                continue
            want = tuple(c for c in missing if c in available)
            if not want or not os.access(mount, os.W_OK):
                continue
            for parent in _candidates(mount, root, None):
                on = _usable_v2(parent, want)
                if on:
                    found.append(Hierarchy(parent, 2, on))
                    missing = [c for c in missing if c not in on]
                    break
    return CgroupSetup(tuple(found))


def memory_note(setup: CgroupSetup) -> str | None:
    """What doctor should say when memory is not capped for the tree as a whole."""
    if setup.has("memory"):
        return None
    return (
        "memory is capped per process (RLIMIT_AS), not for the run as a whole: no writable "
        "memory cgroup here (run as root, or give your user a delegated cgroup)"
    )

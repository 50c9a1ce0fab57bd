"""Start a process, read its output incrementally, and stop it at a limit.

Output is read as it comes (and streamed to ``on_output``) with a byte cap: past the cap
the run is killed, never buffered. The wall clock and the work dir's growth are watched
in the same loop. Killing means the whole process group (and, for bwrap, everything in
its pid namespace, which dies with it).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from memento_tui.domain import tree
from memento_tui.domain.sandbox.result import CANCELLED, DISK, FILES, OUTPUT, WALL_TIME

OnOutput = Callable[[str, str], None]

_READ_CHUNK = 65536
# After the main process ends, how long to keep reading what is still in the pipes.
_DRAIN_SECONDS = 0.5


@dataclass
class Spawn:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    pass_fds: Sequence[int] = ()
    user: int | None = None
    group: int | None = None
    preexec: Callable[[], None] | None = None


@dataclass
class Outcome:
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    killed_for: str | None
    duration: float
    truncated: bool = False
    streamed: dict[str, str] = field(default_factory=dict)


class DiskWatch:
    """How much disk the run uses in the work dir, as the filesystem counts it.

    Bytes are allocated blocks (a sparse file costs what it holds, not its length), each
    inode once however many links it has, plus files the sandbox deleted but still holds
    open or mapped: those take space until they are closed, and no walk sees them.
    """

    def __init__(
        self,
        root: Path,
        max_bytes: int,
        max_files: int,
        pids: Callable[[], list[int]] | None = None,
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.pids = pids
        self.interval = 0.2
        self.device = os.stat(root).st_dev
        started = time.monotonic()
        self.base_bytes, self.base_files = self._scan(limit=None)
        self._adapt(time.monotonic() - started)
        self.next_check = time.monotonic() + self.interval
        self.peak_bytes = 0

    def _adapt(self, cost: float) -> None:
        # Scanning a big tree is not free: never spend more than ~5% of the time on it.
        self.interval = max(0.2, cost * 20)

    def _scan(self, limit: int | None) -> tuple[int, int]:
        total, files = 0, 0
        seen: set[int] = set()

        def visit(entry: tree.Entry) -> None:
            nonlocal total, files
            files += 1
            if entry.st.st_nlink > 1 and not entry.is_dir:
                if entry.st.st_ino in seen:
                    return
                seen.add(entry.st.st_ino)
            total += entry.st.st_blocks * 512
            if limit is not None and files > limit:
                raise _Full

        with contextlib.suppress(_Full, OSError):
            tree.walk(self.root, visit)
        return total + self._held_open(), files

    def _held_open(self) -> int:
        """Blocks of deleted files on the work dir's filesystem that the run keeps alive."""
        if self.pids is None:
            return 0
        sizes: dict[int, int] = {}
        for pid in self.pids():
            for kind in ("fd", "map_files"):
                try:
                    names = os.listdir(f"/proc/{pid}/{kind}")
                except OSError:
                    continue
                for name in names:
                    try:
                        st = os.stat(f"/proc/{pid}/{kind}/{name}")
                    except OSError:
                        continue
                    if st.st_nlink == 0 and stat.S_ISREG(st.st_mode) and st.st_dev == self.device:
                        sizes[st.st_ino] = st.st_blocks * 512
        return sum(sizes.values())

    def check(self, now: float) -> str | None:
        if now < self.next_check:
            return None
        started = time.monotonic()
        total, files = self._scan(limit=self.base_files + self.max_files)
        self._adapt(time.monotonic() - started)
        self.next_check = time.monotonic() + self.interval
        self.peak_bytes = max(self.peak_bytes, total - self.base_bytes)
        if files - self.base_files > self.max_files:
            return FILES
        if total - self.base_bytes > self.max_bytes:
            return DISK
        return None


class _Full(Exception):
    pass


def _exited(proc: subprocess.Popen[bytes]) -> bool:
    """Has it ended? Without reaping it: while the zombie stays, its pid (and the process
    group id we kill by) cannot be handed to some unrelated process."""
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
    except OSError:
        pass
    return found


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat_line = handle.read()
    except OSError:
        return None
    fields = stat_line.rsplit(")", 1)[-1].split()
    return None if fields[0] == "Z" else fields[19]


def _descendants(pid: int) -> list[int]:
    seen: list[int] = []
    todo = _children(pid)
    while todo and len(seen) < 100_000:
        child = todo.pop()
        seen.append(child)
        todo.extend(_children(child))
    return seen


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group and every descendant, then wait until they are gone.

    For bwrap, its pid 1 takes the whole pid namespace down as it dies; waiting for that
    pid 1 means no sandboxed process is still running when the run returns. Without the
    sandbox this also catches children that left the process group with setsid."""
    tree = [(pid, _start_time(pid)) for pid in _descendants(proc.pid)]
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    for pid, _ in tree:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    for pid, started in tree:
        while started is not None and _start_time(pid) == started and time.monotonic() < deadline:
            time.sleep(0.002)


def _start(spawn: Spawn) -> subprocess.Popen[bytes]:
    extra: dict[str, object] = {}
    if spawn.user is not None:
        extra.update(user=spawn.user, group=spawn.group, extra_groups=[])
    proc: subprocess.Popen[bytes] = subprocess.Popen(
        spawn.argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        close_fds=True,
        pass_fds=tuple(spawn.pass_fds),
        env=spawn.env,
        cwd=spawn.cwd,
        start_new_session=True,  # its own process group, to kill as one; no terminal
        preexec_fn=spawn.preexec,
        **extra,  # type: ignore[call-overload]
    )
    return proc


class _Streams:
    """The command's stdout and stderr, read without blocking as they come: kept up to one
    byte budget shared by both, and passed on to ``on_output`` as text."""

    def __init__(self, proc: subprocess.Popen[bytes], budget: int, on_output: OnOutput | None) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self.names = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        self.chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
        self.decoders = {name: codecs.getincrementaldecoder("utf-8")(errors="replace") for name in self.chunks}
        self.budget = budget
        self.on_output = on_output
        self.selector = selectors.DefaultSelector()

    def open(self) -> None:
        for fd in self.names:
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)

    def is_open(self) -> bool:
        """Is either pipe still open (not yet at its end)?"""
        return bool(self.selector.get_map())

    def read(self, timeout: float) -> bool:
        """Read what is ready within ``timeout``; False once the output passed the budget."""
        for key, _ in self.selector.select(timeout):
            fd = key.fd
            try:
                data = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                continue
            if not data:
                self.selector.unregister(fd)
                continue
            name = self.names[fd]
            kept = data[: self.budget]
            self.budget -= len(kept)
            if kept:
                self.chunks[name].append(kept)
                self._emit(name, self.decoders[name].decode(kept))
            if len(kept) < len(data):
                return False
        return True

    def finish(self) -> None:
        """Pass on what the decoders still hold (a character cut off at the end)."""
        for name, decoder in self.decoders.items():
            self._emit(name, decoder.decode(b"", final=True))

    def joined(self, name: str) -> bytes:
        return b"".join(self.chunks[name])

    def _emit(self, name: str, text: str) -> None:
        if text and self.on_output is not None:
            self.on_output(name, text)


def _limit_hit(now: float, deadline: float, cancel: threading.Event | None, disk: DiskWatch | None) -> str | None:
    if now >= deadline:
        return WALL_TIME
    if cancel is not None and cancel.is_set():
        return CANCELLED
    if disk is not None:
        return disk.check(now)
    return None


def _pump(
    proc: subprocess.Popen[bytes],
    streams: _Streams,
    deadline: float,
    cancel: threading.Event | None,
    disk: DiskWatch | None,
) -> str | None:
    """Read until the process has ended and its pipes are drained; or until a limit is
    hit, which is returned (what the run is killed for)."""
    drain_until: float | None = None
    while True:
        now = time.monotonic()
        if _exited(proc):
            if drain_until is None:
                drain_until = now + _DRAIN_SECONDS
            if not streams.is_open() or now >= drain_until:
                return None
        killed_for = _limit_hit(now, deadline, cancel, disk)
        if killed_for:
            return killed_for
        timeout = min(deadline - now, 0.1)
        if not streams.is_open():
            time.sleep(min(timeout, 0.01))  # pipes closed early; poll for the exit
            continue
        if not streams.read(timeout):
            return OUTPUT


def run_collecting(
    spawn: Spawn,
    *,
    output_bytes: int,
    wall_seconds: float,
    on_output: OnOutput | None = None,
    disk: DiskWatch | None = None,
    after_exit: Callable[[], None] | None = None,
    on_started: Callable[[subprocess.Popen[bytes], float], None] | None = None,
    cancel: threading.Event | None = None,
) -> Outcome:
    """Run ``spawn`` to the end or to a limit; always leaves no process behind.

    ``on_started(proc, deadline)`` runs right after the start (to put the sandbox in its
    cgroup); if it raises, the process tree is killed and the error goes on. Setting
    ``cancel`` stops the command within a tenth of a second."""
    started = time.monotonic()
    deadline = started + wall_seconds
    proc = _start(spawn)
    assert proc.stdout is not None and proc.stderr is not None
    streams = _Streams(proc, output_bytes, on_output)
    if disk is not None and disk.pids is None:
        disk.pids = lambda: [proc.pid, *_descendants(proc.pid)]
    try:
        if on_started is not None:
            on_started(proc, deadline)
        streams.open()
        killed_for = _pump(proc, streams, deadline, cancel, disk)
    finally:
        # Always: nothing the command started may outlive the run.
        _kill_tree(proc)
        if after_exit is not None:
            after_exit()
        streams.selector.close()
        proc.stdout.close()
        proc.stderr.close()
        proc.wait()
    streams.finish()
    code = proc.returncode
    if code is not None and code < 0:
        code = 128 - code  # the shell's convention, the same as bwrap reports
    return Outcome(
        exit_code=None if killed_for else code,
        stdout=streams.joined("stdout"),
        stderr=streams.joined("stderr"),
        killed_for=killed_for,
        duration=time.monotonic() - started,
        truncated=killed_for == OUTPUT,
    )

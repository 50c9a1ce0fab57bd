"""One command from its checks to its outcome: limits, folders, descriptors, the command
line, the cgroup, the start, and the clean-up of everything made for it.

``Sandbox.run`` (runner.py) decides what may run; this makes it run, exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from memento_tui.domain import tree
from memento_tui.domain.sandbox import privilege, seccomp
from memento_tui.domain.sandbox.cgroups import CgroupSetup, RunCgroup
from memento_tui.domain.sandbox.errors import SandboxUnavailable
from memento_tui.domain.sandbox.execute import DiskWatch, Outcome, Spawn, run_collecting
from memento_tui.domain.sandbox.folders import readable_copy
from memento_tui.domain.sandbox.netproxy import FilteringProxy
from memento_tui.domain.sandbox.policy import NetworkGrant
from memento_tui.domain.sandbox.profile import (
    BWRAP_ENV,
    SKILL_MOUNT,
    WORK_MOUNT,
    Fds,
    Mounts,
    bwrap_argv,
    env_args,
    rlimit_argv,
)
from memento_tui.domain.sandbox.result import MEMORY, PROCESSES
from memento_tui.domain.sandbox.settings import SandboxSettings

MB = 1024 * 1024
OnOutput = Callable[[str, str], None]

# On top of what the command starts: bwrap's monitor (outside the run's cgroup, but counted
# by RLIMIT_NPROC), bwrap's pid 1, and the command itself.
_BWRAP_PROCESSES = {"cgroup": 2, "rlimit": 3}


@dataclass(frozen=True)
class Setup:
    """What was found when the sandbox was first needed (cached per Sandbox)."""

    bwrap: str | None
    bwrap_version: str
    prlimit: str
    guard: str  # "cgroup": processes and memory counted for the whole tree; "rlimit": per process
    cgroups: CgroupSetup
    uid: int | None  # under root, the unprivileged uid the sandbox runs as; None: as us
    gid: int | None
    seccomp: bool
    setpriv: str | None = None


@dataclass
class Launched:
    outcome: Outcome
    cgroup_limit: str | None  # what the run's cgroup says stopped it (memory, processes)
    proxy: FilteringProxy | None


@dataclass
class Launch:
    """Everything one sandboxed command needs, made and then undone."""

    setup: Setup
    settings: SandboxSettings
    command: list[str]
    work_dir: Path
    skill_dir: Path | None
    grant: NetworkGrant | None
    env: dict[str, str]
    wall_seconds: float
    on_output: OnOutput | None
    cancel: threading.Event | None
    _opened: list[int] = field(default_factory=list)  # descriptors, ours and bwrap's
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def run(self) -> Launched:
        setup, cfg = self.setup, self.settings
        processes = cfg.max_processes + _BWRAP_PROCESSES[setup.guard]
        run_cgroup: RunCgroup | None = None
        try:
            proxy = self._proxy()
            staged = self._folders(proxy)
            env_fd = _memfd("memento-env", env_args(self.env))
            self._opened.append(env_fd)
            seccomp_fd = seccomp.filter_fd() if setup.seccomp else None
            if seccomp_fd is not None:
                self._opened.append(seccomp_fd)
            info_r = info_w = block_r = block_w = None
            if setup.guard == "cgroup":
                run_cgroup = setup.cgroups.new_run(max_pids=processes, memory_bytes=cfg.memory_mb * MB)
                info_r, info_w = os.pipe()
                block_r, block_w = os.pipe()
                self._opened += [info_r, info_w, block_r, block_w]
            fds = Fds(env=env_fd, seccomp=seccomp_fd, info=info_w, block=block_r)
            spawn = Spawn(
                self._argv(staged, fds, processes),
                dict(BWRAP_ENV),
                self.work_dir,
                pass_fds=tuple(fd for fd in (env_fd, seccomp_fd, info_w, block_r) if fd is not None),
            )
            on_started = None
            if run_cgroup is not None and info_r is not None and block_w is not None:
                on_started = _join_cgroup(run_cgroup, info_r, block_w, (info_w, block_r), self._opened)
            disk = DiskWatch(
                self.work_dir, cfg.disk_mb * MB, cfg.max_files, pids=run_cgroup.pids if run_cgroup is not None else None
            )
            outcome = _start(spawn, cfg, self.wall_seconds, self.on_output, disk, run_cgroup, on_started, self.cancel)
            limit = None
            if run_cgroup is not None:
                limit = PROCESSES if run_cgroup.hit_pids_max() else None
                limit = MEMORY if run_cgroup.oom_killed() else limit
            return Launched(outcome, limit, proxy)
        finally:
            for fd in self._opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if run_cgroup is not None:
                run_cgroup.remove()
            for cleanup in self._cleanups:
                cleanup()

    def _proxy(self) -> FilteringProxy | None:
        if self.grant is None:
            return None
        setup = self.setup
        owner = (setup.uid, setup.gid or setup.uid) if setup.uid is not None else None
        proxy = FilteringProxy(self.grant.skill, self.grant.rules, owner)
        self._cleanups.append(proxy.close)
        return proxy

    def _folders(self, proxy: FilteringProxy | None) -> dict[str, privilege.Staged]:
        """What bwrap mounts, as it will find it: staged under root when a folder is closed
        to the sandbox uid, and a readable copy of a skill cloned with umask 077."""
        setup = self.setup
        skill = self.skill_dir
        if (
            skill is not None
            and setup.uid is not None
            and privilege.unreadable_part(skill, setup.uid, setup.gid or setup.uid)
        ):
            copy = readable_copy(skill)
            self._cleanups.append(lambda: tree.remove_tree_quietly(copy.parent))
            skill = copy
        folders: dict[str, tuple[Path, bool]] = {"work": (self.work_dir, False)}
        if skill is not None:
            folders["skill"] = (skill, True)
        if proxy is not None:
            folders["net"] = (proxy.folder, True)
        if setup.uid is None:
            return {k: privilege.Staged(p, str(p)) for k, (p, _) in folders.items()}
        return privilege.stage(folders, setup.uid, setup.gid or setup.uid)

    def _argv(self, staged: dict[str, privilege.Staged], fds: Fds, processes: int) -> list[str]:
        setup, cfg = self.setup, self.settings
        assert setup.bwrap is not None
        # With a cgroup, pids.max holds the tree; RLIMIT_NPROC would count every process
        # of the uid, other runs' too.
        nproc = (
            None
            if setup.guard == "cgroup"
            else processes + privilege.count_user_processes(setup.uid if setup.uid is not None else os.getuid())
        )
        limits = _limits(setup, cfg, nproc)
        mounts = Mounts(
            skill_dir=staged["skill"].seen_as if "skill" in staged else None,
            work_dir=staged["work"].seen_as,
            tmp_bytes=cfg.tmp_size_mb * MB,
            proxy_dir=staged["net"].seen_as if "net" in staged else None,
        )
        argv = limits + bwrap_argv(setup.bwrap, self.command, mounts, fds)
        if setup.uid is not None:
            argv = privilege.setpriv_argv(setup.setpriv or "setpriv", setup.uid, setup.gid or setup.uid) + argv
            argv = privilege.outer_argv(setup.bwrap, staged) + argv
        return argv


def _limits(setup: Setup, cfg: SandboxSettings, processes: int | None) -> list[str]:
    """prlimit's part of a command line: the workspace's limits, with ``processes`` (None:
    a cgroup holds the count instead)."""
    return rlimit_argv(
        setup.prlimit,
        cpu_seconds=cfg.cpu_seconds,
        memory_bytes=cfg.memory_mb * MB,
        file_size_bytes=cfg.file_size_mb * MB,
        open_files=cfg.open_files,
        processes=processes,
    )


def launch_unsandboxed(
    setup: Setup,
    cfg: SandboxSettings,
    command: list[str],
    work_dir: Path,
    skill_dir: Path | None,
    env: dict[str, str],
    wall_seconds: float,
    on_output: OnOutput | None,
    cancel: threading.Event | None,
) -> Launched:
    """--no-sandbox: the person's choice. prlimit's limits, a clean env, host paths."""
    limits = _limits(setup, cfg, cfg.max_processes + privilege.count_user_processes(os.getuid()))
    tmp_dir = Path(tempfile.mkdtemp(prefix="memento-tmp-"))
    try:
        env = {**env, "HOME": str(work_dir), "TMPDIR": str(tmp_dir)}
        argv = limits + [_host_paths(a, skill_dir, work_dir) for a in command]
        disk = DiskWatch(work_dir, cfg.disk_mb * MB, cfg.max_files)
        outcome = _start(Spawn(argv, env, work_dir), cfg, wall_seconds, on_output, disk, None, None, cancel)
        return Launched(outcome, None, None)
    finally:
        tree.remove_tree_quietly(tmp_dir)


def _memfd(name: str, data: bytes) -> int:
    """A descriptor holding ``data`` from its start (no pipe buffer to fill up)."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _join_cgroup(
    run_cgroup: RunCgroup,
    info_r: int,
    block_w: int,
    theirs: tuple[int | None, ...],
    opened: list[int],
) -> Callable[[subprocess.Popen[bytes], float], None]:
    """After the start: learn bwrap's child from --info-fd, move it into the run's cgroup,
    then let it go on (--block-fd). It forks nothing before that, so its whole tree is in."""

    def join(proc: subprocess.Popen[bytes], deadline: float) -> None:
        for fd in theirs:  # bwrap's ends: with ours closed, EOF tells us bwrap is gone
            if fd is not None and fd in opened:
                opened.remove(fd)
                os.close(fd)
        data = b""
        while True:
            ready, _, _ = select.select([info_r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise SandboxUnavailable("bwrap did not start in time", fix="run 'memento doctor'")
            chunk = os.read(info_r, 4096)
            if not chunk:
                break
            data += chunk
        if data:
            pid = int(json.loads(data)["child-pid"])
            run_cgroup.attach(pid)
            os.write(block_w, b"1")

    return join


def _start(
    spawn: Spawn,
    cfg: SandboxSettings,
    wall_seconds: float,
    on_output: OnOutput | None,
    disk: DiskWatch,
    run_cgroup: RunCgroup | None,
    on_started: Callable[[subprocess.Popen[bytes], float], None] | None,
    cancel: threading.Event | None,
) -> Outcome:
    try:
        return run_collecting(
            spawn,
            output_bytes=cfg.output_bytes,
            wall_seconds=wall_seconds,
            on_output=on_output,
            disk=disk,
            after_exit=run_cgroup.kill_all if run_cgroup else None,
            on_started=on_started,
            cancel=cancel,
        )
    except FileNotFoundError as err:  # the tool itself could not be started
        raise SandboxUnavailable(
            f"cannot start {spawn.argv[0]}: {err.strerror or err}",
            file=spawn.argv[0],
            fix="check that prlimit and bwrap are installed in a folder every user "
            "can read (e.g. /usr/bin); run 'memento doctor'",
        ) from None


_MOUNT_RE = re.compile(rf"(?<![\w./-])({SKILL_MOUNT}|{WORK_MOUNT})(?=/|\b|$)")


def _host_paths(arg: str, skill_dir: Path | None, work_dir: Path) -> str:
    """Without the sandbox there is no /skill or /work: point those paths at the real ones."""

    def swap(match: re.Match[str]) -> str:
        if match.group(1) == SKILL_MOUNT:
            return str(skill_dir) if skill_dir is not None else match.group(0)
        return str(work_dir)

    return _MOUNT_RE.sub(swap, arg)

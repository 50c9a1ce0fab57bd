"""``Sandbox``: every skill script and every agent command runs through ``Sandbox.run``."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memento_tui.domain import tree
from memento_tui.domain.sandbox import cgroups, handover, privilege, probe, seccomp
from memento_tui.domain.sandbox.cgroups import CgroupSetup, RunCgroup
from memento_tui.domain.sandbox.errors import SandboxRefused, SandboxUnavailable
from memento_tui.domain.sandbox.execute import DiskWatch, Outcome, Spawn, run_collecting
from memento_tui.domain.sandbox.netproxy import FilteringProxy
from memento_tui.domain.sandbox.policy import (
    NETWORK_DENIED_MARKER,
    NetworkGrant,
    Reviewed,
    network_allowed,
    network_denied_note,
    require_network_grant,
)
from memento_tui.domain.sandbox.profile import (
    BWRAP_ENV,
    NETWORK_ENV,
    SKILL_MOUNT,
    WORK_MOUNT,
    Fds,
    Mounts,
    bwrap_argv,
    env_args,
    rlimit_argv,
    sandbox_env,
)
from memento_tui.domain.sandbox.result import (
    CANCELLED,
    MEMORY,
    PROCESSES,
    SandboxResult,
    limit_from_exit,
    looks_like_network_failure,
)

MB = 1024 * 1024

UNSANDBOXED_WARNING = (
    "WARNING: running WITHOUT the sandbox (--no-sandbox was given): this command can read "
    "your files and keys, use the network and change anything you can. Limits still apply."
)

# On top of what the command starts: bwrap's monitor (outside the run's cgroup, but counted
# by RLIMIT_NPROC), bwrap's pid 1, and the command itself.
_BWRAP_PROCESSES = {"cgroup": 2, "rlimit": 3}

# Folders whose presence says "this is somebody's home", never to be mounted.
_HOME_MARKERS = (".ssh", ".aws", ".gnupg")


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


def _home_dirs() -> set[Path]:
    homes = set()
    for raw in (os.environ.get("HOME"), _passwd_home()):
        if raw:
            homes.add(Path(raw).resolve())
    return homes


def _passwd_home() -> str | None:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


def checked_dir(path: Path | str, role: str) -> Path:
    """A folder that may be mounted: it exists, holds no .git, and is not a home."""
    given = Path(path)
    if not given.is_dir():
        raise SandboxRefused(
            f"the {role} is not a folder", file=given, fix=f"create it, or pass an existing {role}"
        )
    real = given.resolve()
    if real == Path("/"):
        raise SandboxRefused(f"the {role} is /", file=given, fix=f"use a dedicated {role}")
    for home in _home_dirs():
        if real == home or real in home.parents:
            raise SandboxRefused(
                f"the {role} is (or contains) the home folder {home}",
                file=given,
                fix=f"use a dedicated {role}; nothing of $HOME is ever mounted in the sandbox",
            )
    if os.path.lexists(real / ".git"):
        raise SandboxRefused(
            f"the {role} holds a .git entry; a script could rewrite history or plant hooks",
            file=real / ".git",
            fix=f"use a {role} that is not a git repository (never the workspace root)",
        )
    for marker in _HOME_MARKERS:
        if os.path.lexists(real / marker):
            raise SandboxRefused(
                f"the {role} holds {marker}, so it looks like a home folder",
                file=real / marker,
                fix=f"use a dedicated {role}",
            )
    return real


class Sandbox:
    """Runs commands under the hardened bwrap profile, or refuses.

    ``allow_unsandboxed`` comes only from a person's ``--no-sandbox`` flag (see the
    services factory); nothing in the config, a skill, a task or the model can set it.
    ``reviewed`` says which skill folders a person has seen: only those get network.
    """

    def __init__(
        self, config: Any, allow_unsandboxed: bool = False, *, reviewed: Reviewed | None = None
    ) -> None:
        self.config = config
        self.allow_unsandboxed = bool(allow_unsandboxed)
        self.reviewed = reviewed
        self._setup: Setup | None = None
        self._lock = threading.Lock()
        self._quarantined: dict[Path, handover.Quarantined] = {}
        self._quarantine_lock = threading.Lock()

    # -- set-up -------------------------------------------------------------------------
    def check(self) -> Setup:
        """Find the tools, choose the guard and see a sandbox start; cached."""
        with self._lock:
            if self._setup is None:
                setup = self._find_setup()
                if setup.bwrap is not None:
                    self._self_test(setup)
                self._setup = setup
            return self._setup

    def _find_setup(self) -> Setup:
        bwrap, version = (None, "") if self.allow_unsandboxed else probe.find_bwrap()
        prlimit = probe.find_prlimit()
        choice = str(getattr(self.config, "process_guard", "auto"))
        found = cgroups.find_cgroups() if choice in ("auto", "cgroup") else CgroupSetup(())
        if choice == "cgroup" and not found.has("pids"):
            raise SandboxUnavailable(
                'process_guard = "cgroup" but no writable pids cgroup was found',
                field="sandbox.process_guard",
                fix='set process_guard = "auto" in .memento/config.toml, or mount the '
                "pids cgroup controller read-write",
            )
        guard = "cgroup" if found.has("pids") else "rlimit"
        uid = gid = None
        setpriv = None
        if os.geteuid() == 0 and not self.allow_unsandboxed:
            uid = gid = int(getattr(self.config, "sandbox_uid", 65534))
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise SandboxUnavailable(
                    "setpriv is not installed: under root the sandbox must run as an "
                    "unprivileged user, and setpriv is how it gets there",
                    fix="sudo apt-get install util-linux",
                )
        use_seccomp = bool(getattr(self.config, "seccomp", True)) and bwrap is not None
        has_filter = use_seccomp and seccomp.filter_bytes() is not None
        return Setup(bwrap, version, prlimit, guard, found, uid, gid, has_filter, setpriv)

    def _self_test(self, setup: Setup) -> None:
        """Start a real sandbox (fail closed, with the fix, when it cannot start)."""
        work = Path(tempfile.mkdtemp(prefix="memento-probe-"))
        try:
            work.chmod(0o755)
            outcome = self._spawn(
                setup, ["true"], work_dir=work, skill_dir=None, grant=None,
                env=sandbox_env(), wall_seconds=30.0, on_output=None,
            )[0]
        finally:
            tree.remove_tree_quietly(work)
        if outcome.exit_code != 0:
            raise probe.explain_start_failure(
                outcome.stderr.decode("utf-8", "replace"), outcome.exit_code
            )

    # -- running --------------------------------------------------------------------------
    def may_use_network(self, skill_dir: Path | None) -> bool:
        """Would a command of this skill folder get its network? (For callers that want it
        when it is there: the agent's commands, a skill's own tests.)"""
        if skill_dir is None or self.allow_unsandboxed:
            return False
        try:
            require_network_grant(skill_dir, self.config, self.reviewed)
        except SandboxRefused:
            return False
        except Exception:  # a broken SKILL.md: no network, and the run reports the rest
            return False
        return True

    def run(
        self,
        argv: Sequence[str],
        *,
        work_dir: Path,
        skill_dir: Path | None = None,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        wall_seconds: float | None = None,
        on_output: Callable[[str, str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> SandboxResult:
        """Run one command: the skill read-only at /skill, ``work_dir`` read-write at /work.
        Setting ``cancel`` kills it at once (the result says ``cancelled``)."""
        command = list(argv)
        if not command or not all(isinstance(a, str) and "\0" not in a for a in command):
            raise SandboxRefused(
                "the command must be a non-empty list of strings without NUL bytes",
                fix="pass argv as a list, e.g. ['python3', '/skill/scripts/x.py']",
            )
        work = checked_dir(work_dir, "work dir")
        skill = checked_dir(skill_dir, "skill folder") if skill_dir is not None else None
        if skill is not None and (skill == work or skill in work.parents or work in skill.parents):
            raise SandboxRefused(
                "the work dir and the skill folder overlap, which would make the skill writable",
                file=work,
                fix="use a separate work dir (e.g. .memento/runs/<id>/work)",
            )
        grant = None
        if network and not self.allow_unsandboxed:
            grant = require_network_grant(skill, self.config, self.reviewed)
        try:
            inner_env = sandbox_env({**dict(getattr(self.config, "env", {}) or {}), **dict(env or {})})
        except ValueError as err:
            raise SandboxRefused(str(err), field="sandbox.env", fix="use NAME=value with NAME "
                                 "made of letters, digits and '_'") from None
        if grant is not None:
            inner_env.update(NETWORK_ENV)
        wall = float(wall_seconds if wall_seconds is not None else self.config.wall_seconds)
        setup = self.check()
        warning = None
        if self.allow_unsandboxed:
            warning = UNSANDBOXED_WARNING
            if on_output is not None:
                on_output("stderr", warning + "\n")
        outcome, limit, proxy = self._spawn(
            setup, command, work_dir=work, skill_dir=skill, grant=grant,
            env=inner_env, wall_seconds=wall, on_output=on_output, cancel=cancel,
        )
        return self._result(outcome, limit, proxy=proxy, network=grant is not None, skill=skill,
                            warning=warning, on_output=on_output)

    def _spawn(
        self,
        setup: Setup,
        command: list[str],
        *,
        work_dir: Path,
        skill_dir: Path | None,
        grant: NetworkGrant | None,
        env: dict[str, str],
        wall_seconds: float,
        on_output: Callable[[str, str], None] | None,
        cancel: threading.Event | None = None,
    ) -> tuple[Outcome, str | None, FilteringProxy | None]:
        if setup.bwrap is None:
            return self._spawn_unsandboxed(setup, command, work_dir, skill_dir, env, wall_seconds,
                                           on_output, cancel)
        cfg = self.config
        processes = int(cfg.max_processes) + _BWRAP_PROCESSES[setup.guard]
        run_cgroup: RunCgroup | None = None
        if setup.guard == "cgroup":
            # pids.max holds the tree; RLIMIT_NPROC would count every process of the uid,
            # other runs' too.
            nproc = None
        else:
            nproc = processes + privilege.count_user_processes(
                setup.uid if setup.uid is not None else os.getuid()
            )
        limits = rlimit_argv(
            setup.prlimit,
            cpu_seconds=int(cfg.cpu_seconds),
            memory_bytes=int(cfg.memory_mb) * MB,
            file_size_bytes=int(cfg.file_size_mb) * MB,
            open_files=int(cfg.open_files),
            processes=nproc,
        )
        opened: list[int] = []  # our ends and bwrap's, closed at the end
        cleanups: list[Callable[[], None]] = []
        owners = None
        proxy = None
        try:
            self._restore(work_dir)
            if setup.uid is not None:
                owners = handover.take(work_dir, setup.uid, setup.gid or setup.uid)
            skill_source = skill_dir
            if skill_dir is not None and setup.uid is not None and privilege.unreadable_part(
                skill_dir, setup.uid, setup.gid or setup.uid
            ):
                skill_source = _readable_copy(skill_dir)
                cleanups.append(lambda: tree.remove_tree_quietly(skill_source.parent))
            if grant is not None:
                owner = (setup.uid, setup.gid or setup.uid) if setup.uid is not None else None
                proxy = FilteringProxy(grant.skill, grant.rules, owner)
                cleanups.append(proxy.close)
            folders: dict[str, tuple[Path, bool]] = {"work": (work_dir, False)}
            if skill_source is not None:
                folders["skill"] = (skill_source, True)
            if proxy is not None:
                folders["net"] = (proxy.folder, True)
            if setup.uid is not None:
                staged = privilege.stage(folders, setup.uid, setup.gid or setup.uid)
            else:
                staged = {k: privilege.Staged(p, str(p)) for k, (p, _) in folders.items()}
            env_fd = _memfd("memento-env", env_args(env))
            opened.append(env_fd)
            seccomp_fd = seccomp.filter_fd() if setup.seccomp else None
            if seccomp_fd is not None:
                opened.append(seccomp_fd)
            info_r = info_w = block_r = block_w = None
            if setup.guard == "cgroup":
                run_cgroup = setup.cgroups.new_run(
                    max_pids=processes, memory_bytes=int(cfg.memory_mb) * MB
                )
                info_r, info_w = os.pipe()
                block_r, block_w = os.pipe()
                opened += [info_r, info_w, block_r, block_w]
            mounts = Mounts(
                skill_dir=staged["skill"].seen_as if "skill" in staged else None,
                work_dir=staged["work"].seen_as,
                tmp_bytes=int(cfg.tmp_size_mb) * MB,
                proxy_dir=staged["net"].seen_as if "net" in staged else None,
            )
            fds = Fds(env=env_fd, seccomp=seccomp_fd, info=info_w, block=block_r)
            argv = limits + bwrap_argv(setup.bwrap, command, mounts, fds)
            if setup.uid is not None:
                argv = privilege.setpriv_argv(setup.setpriv or "setpriv", setup.uid,
                                              setup.gid or setup.uid) + argv
                argv = privilege.outer_argv(setup.bwrap, staged) + argv
            spawn = Spawn(argv, dict(BWRAP_ENV), work_dir,
                          pass_fds=tuple(fd for fd in (env_fd, seccomp_fd, info_w, block_r)
                                         if fd is not None))
            on_started = None
            if run_cgroup is not None and info_r is not None and block_w is not None:
                on_started = _join_cgroup(run_cgroup, info_r, block_w, (info_w, block_r), opened)
            disk = DiskWatch(work_dir, int(getattr(cfg, "disk_mb", 1024)) * MB,
                             int(getattr(cfg, "max_files", 10_000)),
                             pids=run_cgroup.pids if run_cgroup is not None else None)
            outcome = _start(spawn, cfg, wall_seconds, on_output, disk, run_cgroup, on_started,
                             cancel)
            limit = None
            if run_cgroup is not None:
                limit = PROCESSES if run_cgroup.hit_pids_max() else None
                limit = MEMORY if run_cgroup.oom_killed() else limit
            return outcome, limit, proxy
        finally:
            for fd in opened:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if run_cgroup is not None:
                run_cgroup.remove()
            for cleanup in cleanups:
                cleanup()
            self._settle(work_dir, setup, owners)

    def _spawn_unsandboxed(
        self, setup: Setup, command: list[str], work_dir: Path, skill_dir: Path | None,
        env: dict[str, str], wall_seconds: float, on_output: Callable[[str, str], None] | None,
        cancel: threading.Event | None,
    ) -> tuple[Outcome, str | None, FilteringProxy | None]:
        """--no-sandbox: the person's choice. prlimit's limits, a clean env, host paths."""
        cfg = self.config
        limits = rlimit_argv(
            setup.prlimit,
            cpu_seconds=int(cfg.cpu_seconds),
            memory_bytes=int(cfg.memory_mb) * MB,
            file_size_bytes=int(cfg.file_size_mb) * MB,
            open_files=int(cfg.open_files),
            processes=int(cfg.max_processes) + privilege.count_user_processes(os.getuid()),
        )
        tmp_dir = Path(tempfile.mkdtemp(prefix="memento-tmp-"))
        try:
            env = {**env, "HOME": str(work_dir), "TMPDIR": str(tmp_dir)}
            argv = limits + [_host_paths(a, skill_dir, work_dir) for a in command]
            disk = DiskWatch(work_dir, int(getattr(cfg, "disk_mb", 1024)) * MB,
                             int(getattr(cfg, "max_files", 10_000)))
            outcome = _start(Spawn(argv, env, work_dir), cfg, wall_seconds, on_output, disk,
                             None, None, cancel)
            return outcome, None, None
        finally:
            tree.remove_tree_quietly(tmp_dir)

    # -- the work dir between runs ---------------------------------------------------------
    def settle(self, work_dir: Path) -> None:
        """The after-run walk (setid bits, git directories) for a work dir that host-side
        tools wrote into after the last command: the agent's ``write_file`` could plant a
        ``.git/config`` as well as a command could."""
        settled = handover.settle(work_dir)
        if settled.quarantined.moves:
            with self._quarantine_lock:
                known = self._quarantined.setdefault(work_dir, handover.Quarantined())
                known.moves.extend(settled.quarantined.moves)

    def _restore(self, work_dir: Path) -> None:
        with self._quarantine_lock:
            quarantined = self._quarantined.pop(work_dir, None)
        if quarantined is not None:
            handover.restore(work_dir, quarantined)

    def _settle(self, work_dir: Path, setup: Setup, owners: dict[Any, Any] | None) -> None:
        ids = (setup.uid, setup.gid or setup.uid) if setup.uid is not None else None
        settled = handover.settle(
            work_dir, owners, sandbox_ids=ids, owner=(os.getuid(), os.getgid())
        )
        if settled.quarantined.moves:
            with self._quarantine_lock:
                self._quarantined[work_dir] = settled.quarantined

    # -- the result ----------------------------------------------------------------------
    def _result(
        self,
        outcome: Outcome,
        cgroup_limit: str | None,
        *,
        proxy: FilteringProxy | None,
        network: bool,
        skill: Path | None,
        warning: str | None,
        on_output: Callable[[str, str], None] | None,
    ) -> SandboxResult:
        stdout = outcome.stdout.decode("utf-8", "replace")
        stderr = outcome.stderr.decode("utf-8", "replace")
        cancelled = outcome.killed_for == CANCELLED
        limit = None if cancelled else outcome.killed_for or cgroup_limit
        if limit is None and not cancelled and outcome.exit_code not in (0, None):
            limit = limit_from_exit(outcome.exit_code, stderr, stdout)
        result = SandboxResult(
            exit_code=outcome.exit_code,
            stdout=stdout,
            stderr=stderr,
            limit=limit,
            duration=outcome.duration,
            sandboxed=not self.allow_unsandboxed,
            truncated=outcome.truncated,
            warning=warning,
            cancelled=cancelled,
        )
        notes: list[str] = []
        if proxy is not None:
            result.network_reached = sorted(set(proxy.log.reached))
            for where, why in proxy.log.refused:
                notes.append(f"{NETWORK_DENIED_MARKER} the proxy refused {where}: {why}")
                result.network_denied_hint = True
        elif not network and limit is None and looks_like_network_failure(
            outcome.exit_code, stdout, stderr
        ):
            notes.append(network_denied_note(skill.name if skill else None))
            result.network_denied_hint = True
        for note in dict.fromkeys(notes):
            result.notes.append(note)
            result.stderr += ("" if not result.stderr or result.stderr.endswith("\n") else "\n")
            result.stderr += note + "\n"
            if on_output is not None:
                on_output("stderr", note + "\n")
        return result

    def describe(self) -> str:
        """One line for doctor and traces: how runs are protected here."""
        setup = self.check()
        if self.allow_unsandboxed:
            return "UNSANDBOXED (--no-sandbox); limits via prlimit, per process"
        who = f"runs as uid {setup.uid}" if setup.uid is not None else "runs as you"
        if setup.guard == "cgroup":
            limits = "processes" + (" and memory" if setup.cgroups.has("memory") else "")
            tree_limits = f"{limits} counted for the whole run (cgroup)"
        else:
            tree_limits = "process limit RLIMIT_NPROC, memory per process"
        return (
            f"{setup.bwrap_version}; {who}; {tree_limits}"
            + ("; seccomp filter on" if setup.seccomp else "; no seccomp filter (libseccomp missing)")
        )


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


def _readable_copy(skill_dir: Path) -> Path:
    """A copy of a skill the sandbox uid can read (files cloned with umask 077 are not)."""
    base = Path(tempfile.mkdtemp(prefix="memento-skill-"))
    base.chmod(0o755)
    target = base / skill_dir.name
    shutil.copytree(skill_dir, target, symlinks=True)
    for rel, st in tree.files_under(target):
        os.chmod(target / rel, 0o755 if st.st_mode & 0o100 else 0o644)

    def open_dirs(entry: tree.Entry) -> None:
        if entry.is_dir:
            os.chmod(entry.name, 0o755, dir_fd=entry.dir_fd)

    target.chmod(0o755)
    tree.walk(target, open_dirs)
    return target


def _join_cgroup(
    run_cgroup: RunCgroup, info_r: int, block_w: int, theirs: tuple[int | None, ...],
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
            ready, _, _ = select.select([info_r], [], [], max(0.0, deadline - _now()))
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


def _now() -> float:
    return time.monotonic()


def _start(
    spawn: Spawn, cfg: Any, wall_seconds: float, on_output: Callable[[str, str], None] | None,
    disk: DiskWatch, run_cgroup: RunCgroup | None,
    on_started: Callable[[subprocess.Popen[bytes], float], None] | None,
    cancel: threading.Event | None,
) -> Outcome:
    try:
        return run_collecting(
            spawn,
            output_bytes=int(cfg.output_bytes),
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


__all__ = ["Sandbox", "Setup", "checked_dir", "network_allowed"]

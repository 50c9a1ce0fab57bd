"""``Sandbox``: every skill script and every agent command runs through ``Sandbox.run``."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from memento_tui.domain.sandbox import guard, probe, seccomp
from memento_tui.domain.sandbox.errors import SandboxRefused, SandboxUnavailable
from memento_tui.domain.sandbox.execute import DiskWatch, Outcome, Spawn, run_collecting
from memento_tui.domain.sandbox.guard import CgroupParent
from memento_tui.domain.sandbox.policy import network_denied_note, require_network_grant
from memento_tui.domain.sandbox.profile import (
    BWRAP_ENV,
    SKILL_MOUNT,
    WORK_MOUNT,
    Mounts,
    bwrap_argv,
    rlimit_argv,
    sandbox_env,
)
from memento_tui.domain.sandbox.result import (
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

_BWRAP_PROCESSES = 3

# Folders whose presence says "this is somebody's home", never to be mounted.
_HOME_MARKERS = (".ssh", ".aws", ".gnupg")


@dataclass(frozen=True)
class Setup:
    """What was found when the sandbox was first needed (cached per Sandbox)."""

    bwrap: str | None
    bwrap_version: str
    prlimit: str
    guard: str  # "rlimit" (not root), "cgroup", "uid", or "auto" (root: chosen per run)
    cgroup: CgroupParent | None
    uid: int
    gid: int
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
    """

    def __init__(self, config: Any, allow_unsandboxed: bool = False) -> None:
        self.config = config
        self.allow_unsandboxed = bool(allow_unsandboxed)
        self._setup: Setup | None = None
        self._lock = threading.Lock()

    # -- set-up -------------------------------------------------------------------------
    def check(self) -> Setup:
        """Find the tools, choose the process guard and see a sandbox start; cached."""
        with self._lock:
            if self._setup is None:
                setup = self._find_setup()
                if setup.bwrap is not None:
                    setup = self._self_test(setup)
                self._setup = setup
            return self._setup

    def _find_setup(self) -> Setup:
        bwrap, version = (None, "") if self.allow_unsandboxed else probe.find_bwrap()
        prlimit = probe.find_prlimit()
        choice = str(getattr(self.config, "process_guard", "auto"))
        uid = int(getattr(self.config, "sandbox_uid", 65534))
        cgroup = guard.find_pids_cgroup() if choice in ("auto", "cgroup") else None
        if os.geteuid() != 0:
            kind = "cgroup" if choice == "cgroup" and cgroup else "rlimit"
        elif self.allow_unsandboxed:
            kind = "cgroup" if cgroup else "rlimit"  # no bwrap, so no uid switch; warned
        elif choice == "cgroup" and cgroup is None:
            raise SandboxUnavailable(
                'process_guard = "cgroup" but no writable pids cgroup was found',
                field="sandbox.process_guard",
                fix='set process_guard = "auto" in .memento/config.toml, or mount the '
                "pids cgroup controller read-write",
            )
        else:
            kind = choice  # "auto" is settled per run: uid when it can reach the folders
        use_seccomp = bool(getattr(self.config, "seccomp", True)) and bwrap is not None
        has_filter = use_seccomp and seccomp.filter_bytes() is not None
        setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
        return Setup(bwrap, version, prlimit, kind, cgroup, uid, uid, has_filter, setpriv)

    def _guard_for(self, setup: Setup, work_dir: Path, skill_dir: Path | None) -> str:
        """Under root: the unprivileged uid whenever it can reach the folders (the sandbox's
        root is then nobody on the host), else a pids cgroup, else refuse."""
        if setup.guard != "auto":
            return setup.guard
        paths = [(work_dir, False)] + ([(skill_dir, True)] if skill_dir else [])
        try:
            guard.require_reachable(paths, setup.uid, setup.gid)
        except SandboxUnavailable:
            if setup.cgroup is not None:
                return "cgroup"
            raise
        return "uid"

    def _self_test(self, setup: Setup) -> Setup:
        """Start a real sandbox. Under root with "auto", if bwrap cannot run as the
        unprivileged uid here (user namespaces closed to non-root), settle on the cgroup."""
        kinds = [setup.guard]
        if setup.guard == "auto":
            kinds = ["uid", "cgroup"] if setup.cgroup is not None else ["uid"]
        first: Outcome | None = None
        for kind in kinds:
            work = Path(tempfile.mkdtemp(prefix="memento-probe-"))
            try:
                work.chmod(0o755)
                outcome = self._spawn(
                    setup, ["true"], work_dir=work, skill_dir=None, network=False,
                    env=sandbox_env(), wall_seconds=30.0, on_output=None, kind=kind,
                )[0]
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if outcome.exit_code == 0:
                return replace(setup, guard=kind) if kind == "cgroup" else setup
            first = first or outcome
        assert first is not None
        raise probe.explain_start_failure(first.stderr.decode("utf-8", "replace"), first.exit_code)

    # -- running --------------------------------------------------------------------------
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
    ) -> SandboxResult:
        """Run one command: the skill read-only at /skill, ``work_dir`` read-write at /work."""
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
        if network:
            require_network_grant(skill, self.config)
        try:
            inner_env = sandbox_env({**dict(getattr(self.config, "env", {}) or {}), **dict(env or {})})
        except ValueError as err:
            raise SandboxRefused(str(err), field="sandbox.env", fix="use NAME=value with NAME "
                                 "made of letters, digits and '_'") from None
        wall = float(wall_seconds if wall_seconds is not None else self.config.wall_seconds)
        setup = self.check()
        warning = None
        if self.allow_unsandboxed:
            warning = UNSANDBOXED_WARNING
            if on_output is not None:
                on_output("stderr", warning + "\n")
        outcome, cgroup_hit = self._spawn(
            setup, command, work_dir=work, skill_dir=skill, network=network,
            env=inner_env, wall_seconds=wall, on_output=on_output,
        )
        return self._result(outcome, cgroup_hit, network=network, skill=skill,
                            warning=warning, on_output=on_output)

    def _spawn(
        self,
        setup: Setup,
        command: list[str],
        *,
        work_dir: Path,
        skill_dir: Path | None,
        network: bool,
        env: dict[str, str],
        wall_seconds: float,
        on_output: Callable[[str, str], None] | None,
        kind: str | None = None,
    ) -> tuple[Outcome, bool]:
        cfg = self.config
        if kind is None:
            kind = setup.guard if setup.bwrap is None else self._guard_for(setup, work_dir, skill_dir)
        # bwrap, its pid 1 and the command itself are on top of what the script starts.
        processes = int(cfg.max_processes) + _BWRAP_PROCESSES
        if kind == "rlimit" and os.geteuid() != 0:
            # The kernel counts all of this user's processes against RLIMIT_NPROC.
            processes += guard.count_user_processes(os.getuid())
        limits = rlimit_argv(
            setup.prlimit,
            cpu_seconds=int(cfg.cpu_seconds),
            memory_bytes=int(cfg.memory_mb) * MB,
            file_size_bytes=int(cfg.file_size_mb) * MB,
            open_files=int(cfg.open_files),
            processes=processes,
        )
        seccomp_fd = seccomp.filter_fd() if setup.seccomp and not self.allow_unsandboxed else None
        tmp_dir: Path | None = None
        if self.allow_unsandboxed or setup.bwrap is None:
            tmp_dir = Path(tempfile.mkdtemp(prefix="memento-tmp-"))
            env = {**env, "HOME": str(work_dir), "TMPDIR": str(tmp_dir)}
            argv = limits + [_host_paths(a, skill_dir, work_dir) for a in command]
            spawn = Spawn(argv, env, work_dir)
        else:
            mounts = Mounts(skill_dir, work_dir, int(cfg.tmp_size_mb) * MB, network)
            argv = limits + bwrap_argv(setup.bwrap, command, mounts, env, seccomp_fd=seccomp_fd)
            spawn = Spawn(argv, dict(BWRAP_ENV), work_dir,
                          pass_fds=(seccomp_fd,) if seccomp_fd is not None else ())
        lease = None
        run_cgroup = None
        try:
            # Both guards wrap the command line rather than using Popen(user=...) or a
            # preexec_fn: either of those makes Python fork() instead of vfork(), which
            # costs 10+ ms in a process the size of the TUI.
            if kind == "uid":
                paths = [(work_dir, False)] + ([(skill_dir, True)] if skill_dir else [])
                guard.require_reachable(paths, setup.uid, setup.gid)
                lease = guard.WorkDirLease.take(work_dir, setup.uid, setup.gid)
                if setup.setpriv:
                    spawn.argv = guard.setpriv_argv(setup.setpriv, setup.uid, setup.gid) + spawn.argv
                else:
                    spawn.user, spawn.group = setup.uid, setup.gid
            elif kind == "cgroup" and setup.cgroup is not None:
                run_cgroup = setup.cgroup.new_run(processes)
                spawn.argv = run_cgroup.join_argv() + spawn.argv
            disk = DiskWatch(work_dir, int(getattr(cfg, "disk_mb", 1024)) * MB,
                             int(getattr(cfg, "max_files", 10_000)))
            try:
                outcome = run_collecting(
                    spawn,
                    output_bytes=int(cfg.output_bytes),
                    wall_seconds=wall_seconds,
                    on_output=on_output,
                    disk=disk,
                    after_exit=run_cgroup.kill_all if run_cgroup else None,
                )
            except OSError as err:  # the tool itself could not be started
                raise SandboxUnavailable(
                    f"cannot start {spawn.argv[0]}: {err.strerror or err}",
                    file=spawn.argv[0],
                    fix="check that prlimit and bwrap are installed in a folder every user "
                    "can read (e.g. /usr/bin); run 'memento doctor'",
                ) from None
            hit = run_cgroup.hit_max() if run_cgroup else False
            return outcome, hit
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)
            if run_cgroup is not None:
                run_cgroup.remove()
            if lease is not None:
                lease.give_back((os.getuid(), os.getgid()))  # clears setuid/setgid bits too
            elif os.geteuid() == 0:
                guard.strip_setid_bits(work_dir)
            if tmp_dir is not None:
                shutil.rmtree(tmp_dir, ignore_errors=True)

    def _result(
        self,
        outcome: Outcome,
        cgroup_hit: bool,
        *,
        network: bool,
        skill: Path | None,
        warning: str | None,
        on_output: Callable[[str, str], None] | None,
    ) -> SandboxResult:
        stdout = outcome.stdout.decode("utf-8", "replace")
        stderr = outcome.stderr.decode("utf-8", "replace")
        limit = outcome.killed_for
        if limit is None and outcome.exit_code not in (0, None):
            limit = PROCESSES if cgroup_hit else limit_from_exit(outcome.exit_code, stderr, stdout)
        result = SandboxResult(
            exit_code=outcome.exit_code,
            stdout=stdout,
            stderr=stderr,
            limit=limit,
            duration=outcome.duration,
            sandboxed=not self.allow_unsandboxed,
            truncated=outcome.truncated,
            warning=warning,
        )
        if not network and limit is None and looks_like_network_failure(
            outcome.exit_code, stdout, stderr
        ):
            note = network_denied_note(skill.name if skill else None)
            result.network_denied_hint = True
            result.notes.append(note)
            result.stderr += ("" if not stderr or stderr.endswith("\n") else "\n") + note + "\n"
            if on_output is not None:
                on_output("stderr", note + "\n")
        return result

    def describe(self) -> str:
        """One line for doctor and traces: how runs are protected here."""
        setup = self.check()
        if self.allow_unsandboxed:
            return f"UNSANDBOXED (--no-sandbox); limits via prlimit, process guard {setup.guard}"
        guards = {
            "auto": f"runs as uid {setup.uid}"
            + (", pids cgroup where that uid cannot reach a folder" if setup.cgroup else ""),
            "uid": f"runs as uid {setup.uid}",
            "cgroup": "pids cgroup",
            "rlimit": "RLIMIT_NPROC",
        }
        return (
            f"{setup.bwrap_version}; process limit: {guards[setup.guard]}"
            + ("; seccomp filter on" if setup.seccomp else "; no seccomp filter (libseccomp missing)")
        )


_MOUNT_RE = re.compile(rf"(?<![\w./-])({SKILL_MOUNT}|{WORK_MOUNT})(?=/|\b|$)")


def _host_paths(arg: str, skill_dir: Path | None, work_dir: Path) -> str:
    """Without the sandbox there is no /skill or /work: point those paths at the real ones."""

    def swap(match: re.Match[str]) -> str:
        if match.group(1) == SKILL_MOUNT:
            return str(skill_dir) if skill_dir is not None else match.group(0)
        return str(work_dir)

    return _MOUNT_RE.sub(swap, arg)

"""``Sandbox``: every skill script and every agent command runs through ``Sandbox.run``.

It decides what may run (the folders, the network grant, the environment) and settles the
work dir afterwards; ``launch.py`` makes the command run; ``result.py`` says how it ended.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from memento_tui.domain import tree
from memento_tui.domain.sandbox import cgroups, handover, probe, seccomp
from memento_tui.domain.sandbox.cgroups import CgroupSetup
from memento_tui.domain.sandbox.errors import SandboxRefused, SandboxUnavailable
from memento_tui.domain.sandbox.folders import checked_dir
from memento_tui.domain.sandbox.launch import Launch, Launched, Setup, launch_unsandboxed
from memento_tui.domain.sandbox.policy import (
    NetworkGrant,
    Reviewed,
    UnreviewedCopy,
    network_allowed,
    network_denied_note,
    require_network_grant,
    unreviewed_network_note,
)
from memento_tui.domain.sandbox.profile import NETWORK_ENV, sandbox_env
from memento_tui.domain.sandbox.result import SandboxResult, build_result
from memento_tui.domain.sandbox.settings import SandboxSettings

UNSANDBOXED_WARNING = (
    "WARNING: running WITHOUT the sandbox (--no-sandbox was given): this command can read "
    "your files and keys, use the network and change anything you can. Limits still apply."
)


class Sandbox:
    """Runs commands under the hardened bwrap profile, or refuses.

    ``allow_unsandboxed`` comes only from a person's ``--no-sandbox`` flag (see the
    services factory); nothing in the config, a skill, a task or the model can set it.
    ``reviewed`` says which skill folders a person has seen: only those get network.
    """

    def __init__(
        self,
        config: SandboxSettings,
        allow_unsandboxed: bool = False,
        *,
        reviewed: Reviewed | None = None,
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
        choice = self.config.process_guard
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
            uid = gid = self.config.sandbox_uid
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise SandboxUnavailable(
                    "setpriv is not installed: under root the sandbox must run as an "
                    "unprivileged user, and setpriv is how it gets there",
                    fix="sudo apt-get install util-linux",
                )
        use_seccomp = self.config.seccomp and bwrap is not None
        has_filter = use_seccomp and seccomp.filter_bytes() is not None
        return Setup(bwrap, version, prlimit, guard, found, uid, gid, has_filter, setpriv)

    def _self_test(self, setup: Setup) -> None:
        """Start a real sandbox (fail closed, with the fix, when it cannot start)."""
        work = Path(tempfile.mkdtemp(prefix="memento-probe-"))
        try:
            work.chmod(0o755)
            outcome = self._launch(setup, ["true"], work, None, None, sandbox_env(), 30.0, None, None).outcome
        finally:
            tree.remove_tree_quietly(work)
        if outcome.exit_code != 0:
            raise probe.explain_start_failure(outcome.stderr.decode("utf-8", "replace"), outcome.exit_code)

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
            inner_env = sandbox_env({**dict(self.config.env), **dict(env or {})})
        except ValueError as err:
            raise SandboxRefused(
                str(err), field="sandbox.env", fix="use NAME=value with NAME made of letters, digits and '_'"
            ) from None
        if grant is not None:
            inner_env.update(NETWORK_ENV)
        wall = float(wall_seconds if wall_seconds is not None else self.config.wall_seconds)
        setup = self.check()
        warning = None
        if self.allow_unsandboxed:
            warning = UNSANDBOXED_WARNING
            if on_output is not None:
                on_output("stderr", warning + "\n")
        launched = self._launch(setup, command, work, skill, grant, inner_env, wall, on_output, cancel)
        return build_result(
            launched.outcome,
            launched.cgroup_limit,
            proxy_log=launched.proxy.log if launched.proxy is not None else None,
            network=grant is not None,
            skill_name=skill.name if skill else None,
            sandboxed=not self.allow_unsandboxed,
            warning=warning,
            on_output=on_output,
            denied_note=lambda: self._denied_note(skill),
        )

    def _denied_note(self, skill: Path | None) -> str:
        """Why a command that seems to have wanted the network had none, and what would
        change that: a grant, or (for a patch's copy of a granted skill) a person's review."""
        if skill is not None:
            try:
                require_network_grant(skill, self.config, self.reviewed)
            except UnreviewedCopy:
                return unreviewed_network_note(skill.name)
            except Exception:  # not granted, or a broken SKILL.md: the usual note
                pass
        return network_denied_note(skill.name if skill else None)

    def _launch(
        self,
        setup: Setup,
        command: list[str],
        work_dir: Path,
        skill_dir: Path | None,
        grant: NetworkGrant | None,
        env: dict[str, str],
        wall_seconds: float,
        on_output: Callable[[str, str], None] | None,
        cancel: threading.Event | None,
    ) -> Launched:
        if setup.bwrap is None:
            return launch_unsandboxed(
                setup, self.config, command, work_dir, skill_dir, env, wall_seconds, on_output, cancel
            )
        owners = None
        try:
            self._restore(work_dir)
            if setup.uid is not None:
                owners = handover.take(work_dir, setup.uid, setup.gid or setup.uid)
            return Launch(
                setup, self.config, command, work_dir, skill_dir, grant, env, wall_seconds, on_output, cancel
            ).run()
        finally:
            self._settle(work_dir, setup, owners)

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
        settled = handover.settle(work_dir, owners, sandbox_ids=ids, owner=(os.getuid(), os.getgid()))
        if settled.quarantined.moves:
            with self._quarantine_lock:
                self._quarantined[work_dir] = settled.quarantined

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
        return f"{setup.bwrap_version}; {who}; {tree_limits}" + (
            "; seccomp filter on" if setup.seccomp else "; no seccomp filter (libseccomp missing)"
        )


__all__ = ["Sandbox", "Setup", "checked_dir", "network_allowed"]

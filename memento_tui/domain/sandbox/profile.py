"""The bwrap command line. The one place in Memento that knows bubblewrap's flags.

bubblewrap "is not a complete, ready-made sandbox": all the protection is in these
arguments. Each flag is here for a reason that was seen to matter (see docs/sandbox.md
and ../shared/SECURITY.md); change one only together with tests/security/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SKILL_MOUNT = "/skill"
WORK_MOUNT = "/work"

# The whole environment a script sees, before [sandbox] env adds to it.
BASE_ENV: dict[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": WORK_MOUNT,
    "LANG": "C.UTF-8",
    "TMPDIR": "/tmp",
}

# bwrap itself starts with only this, so not even its own /proc/<pid>/environ holds a secret.
BWRAP_ENV: dict[str, str] = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}

ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# On merged-/usr systems these are symlinks into /usr; elsewhere they are real folders.
_TOP_DIRS = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")

# Read-only pieces of /etc that ordinary programs need. Nothing with secrets.
_ETC_ALWAYS = ("alternatives", "ld.so.cache", "localtime", "ssl", "ca-certificates")
# Only with network: name resolution.
_ETC_NETWORK = ("resolv.conf", "hosts", "nsswitch.conf", "gai.conf", "host.conf", "services",
                "protocols")


@dataclass(frozen=True)
class Mounts:
    skill_dir: Path | None
    work_dir: Path
    tmp_bytes: int
    network: bool = False


@lru_cache(maxsize=1)
def _root_dirs() -> tuple[str, ...]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_DIRS:
        host = Path("/") / name
        if host.is_symlink():
            target = str(host.readlink())
            if target.startswith("/"):
                target = target.lstrip("/")
            if target.startswith("usr/"):
                args += ["--symlink", target, f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    return tuple(args)


def _etc(names: Sequence[str]) -> list[str]:
    args: list[str] = []
    for name in names:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def sandbox_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment inside: BASE_ENV plus what the config (and caller) add."""
    env = dict(BASE_ENV)
    for key, value in (extra or {}).items():
        if not ENV_NAME_RE.match(key) or "\0" in value:
            raise ValueError(f"bad environment variable name or value: {key!r}")
        env[key] = value
    return env


def bwrap_argv(
    bwrap: str,
    command: Sequence[str],
    mounts: Mounts,
    env: Mapping[str, str],
    *,
    seccomp_fd: int | None = None,
) -> list[str]:
    """The full bwrap invocation for one command."""
    args = [
        bwrap,
        # Every namespace: user, pid, net, ipc, uts, cgroup. --unshare-user explicitly,
        # because a root caller otherwise gets none and keeps real root.
        "--unshare-all",
        "--unshare-user",
        # No nested user namespaces (unshare -Ur inside), so no way to regain capabilities.
        "--disable-userns",
        # A uid-0 caller would otherwise keep capabilities and could remount /skill rw.
        "--cap-drop", "ALL",
        # setsid(): no controlling terminal, so no TIOCSTI keystroke injection (CVE-2017-5226).
        "--new-session",
        # Nothing outlives the run: the sandbox dies with bwrap, and bwrap with us.
        "--die-with-parent",
        "--clearenv",
    ]
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += _root_dirs()
    args += _etc(_ETC_ALWAYS)
    if mounts.network:
        # Shares the host's network namespace: the person granted this skill network.
        args += ["--share-net", *_etc(_ETC_NETWORK)]
    args += [
        "--proc", "/proc",
        # Read-only: bwrap does not cover /proc/sys for a root caller, and the sandbox's
        # uid 0 is then host root: it could write kernel.core_pattern (a host root shell).
        "--remount-ro", "/proc",
        "--dev", "/dev",
        # /dev is a tmpfs with no size limit: give shared memory a bounded tmpfs of its
        # own, then make /dev itself read-only so nothing can fill memory through it.
        "--perms", "1777", "--size", str(mounts.tmp_bytes), "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev",
        "--perms", "1777", "--size", str(mounts.tmp_bytes), "--tmpfs", "/tmp",
    ]
    if mounts.skill_dir is not None:
        args += ["--ro-bind", str(mounts.skill_dir), SKILL_MOUNT]
    args += [
        "--bind", str(mounts.work_dir), WORK_MOUNT,
        "--chdir", WORK_MOUNT,
        "--hostname", "sandbox",
    ]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    # '--' ends bwrap's options: a command starting with '--bind / /host' stays a command.
    args.append("--")
    args += list(command)
    return args


def rlimit_argv(
    prlimit: str,
    *,
    cpu_seconds: int,
    memory_bytes: int,
    file_size_bytes: int,
    open_files: int,
    processes: int,
) -> list[str]:
    """prlimit prefix. CPU soft < hard, so the first signal is SIGXCPU (recognisable)."""
    return [
        prlimit,
        f"--cpu={cpu_seconds}:{cpu_seconds + 1}",
        f"--as={memory_bytes}",
        f"--fsize={file_size_bytes}",
        f"--nofile={open_files}",
        f"--nproc={processes}",
        "--core=0",
        "--",
    ]

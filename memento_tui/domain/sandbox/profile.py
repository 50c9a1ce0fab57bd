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


# A granted skill's only way out: the bridge listens here and hands connections to the
# filtering proxy, whose socket folder is bound at PROXY_MOUNT (see netproxy.py).
PROXY_MOUNT = "/run/memento-net"
PROXY_PORT = 3128
_PROXY_URL = f"http://127.0.0.1:{PROXY_PORT}"
NETWORK_ENV: dict[str, str] = {
    name: _PROXY_URL for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
} | {"NO_PROXY": "", "no_proxy": ""}
_BRIDGE_SOURCE = (Path(__file__).parent / "netbridge.py").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Mounts:
    """What to mount, as bwrap will find it (a staged path under root, see privilege.py)."""

    skill_dir: str | None
    work_dir: str
    tmp_bytes: int
    proxy_dir: str | None = None  # only for a granted skill: the proxy's socket folder


@dataclass(frozen=True)
class Fds:
    """Descriptors handed to bwrap: the environment (as --args), the seccomp filter, and
    the info/block pair that lets the runner put the sandbox in its cgroup before it runs."""

    env: int | None = None
    seccomp: int | None = None
    info: int | None = None
    block: int | None = None


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


def env_args(env: Mapping[str, str]) -> bytes:
    """``--setenv`` pairs for bwrap's ``--args FD``: values from [sandbox] env may be
    secrets, and bwrap's own command line is readable by every local user (ps)."""
    parts: list[str] = []
    for key, value in env.items():
        parts += ["--setenv", key, value]
    return b"".join(p.encode("utf-8") + b"\0" for p in parts)


def network_command(command: Sequence[str]) -> list[str]:
    """The command, run under the bridge to the proxy (system python3, no site, isolated)."""
    socket_path = f"{PROXY_MOUNT}/proxy.sock"
    return ["/usr/bin/python3", "-I", "-S", "-c", _BRIDGE_SOURCE, str(PROXY_PORT), socket_path, *command]


# Over 60 lines on purpose, the house rule's allowed exception: this is the whole sandbox
# profile, the security boundary, and bwrap applies its options in the order given (each
# --remount-ro only covers mounts made before it, '--' must come last). Kept in one
# function so the full profile and that order can be audited in a single read; split
# into helpers, a reviewer would have to reassemble it to check it.
def bwrap_argv(bwrap: str, command: Sequence[str], mounts: Mounts, fds: Fds) -> list[str]:
    """The full bwrap invocation for one command."""
    args = [
        bwrap,
        # Every namespace: user, pid, net, ipc, uts, cgroup. --unshare-user explicitly,
        # because a root caller otherwise gets none and keeps real root. The network
        # namespace is always new: even a granted skill reaches the world only through
        # the proxy, never the host's loopback or abstract sockets.
        "--unshare-all",
        "--unshare-user",
        # No nested user namespaces (unshare -Ur inside), so no way to regain capabilities.
        "--disable-userns",
        # A uid-0 caller would otherwise keep capabilities and could remount /skill rw.
        "--cap-drop",
        "ALL",
        # setsid(): no controlling terminal, so no TIOCSTI keystroke injection (CVE-2017-5226).
        "--new-session",
        # Nothing outlives the run: the sandbox dies with bwrap, and bwrap with us.
        "--die-with-parent",
        "--clearenv",
    ]
    if fds.env is not None:
        args += ["--args", str(fds.env)]
    args += _root_dirs()
    args += _etc(_ETC_ALWAYS)
    args += [
        "--proc",
        "/proc",
        # Read-only: bwrap does not cover /proc/sys for a root caller.
        "--remount-ro",
        "/proc",
        "--dev",
        "/dev",
        # /dev is a tmpfs with no size limit: give shared memory a bounded tmpfs of its
        # own, then make /dev itself read-only so nothing can fill memory through it.
        "--perms",
        "1777",
        "--size",
        str(mounts.tmp_bytes),
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(mounts.tmp_bytes),
        "--tmpfs",
        "/tmp",
    ]
    if mounts.skill_dir is not None:
        args += ["--ro-bind", mounts.skill_dir, SKILL_MOUNT]
    if mounts.proxy_dir is not None:
        args += ["--ro-bind", mounts.proxy_dir, PROXY_MOUNT]
    args += [
        "--bind",
        mounts.work_dir,
        WORK_MOUNT,
        # The sandbox's / is a tmpfs in host memory with no size: 60 MB files there raised
        # host shared memory by 480 MB. Nothing needs to write to it once the mounts exist.
        "--remount-ro",
        "/",
        "--chdir",
        WORK_MOUNT,
        "--hostname",
        "sandbox",
    ]
    if fds.info is not None and fds.block is not None:
        args += ["--info-fd", str(fds.info), "--block-fd", str(fds.block)]
    if fds.seccomp is not None:
        args += ["--seccomp", str(fds.seccomp)]
    # '--' ends bwrap's options: a command starting with '--bind / /host' stays a command.
    args.append("--")
    if mounts.proxy_dir is not None:
        args += network_command(command)
    else:
        args += list(command)
    return args


def rlimit_argv(
    prlimit: str,
    *,
    cpu_seconds: int,
    memory_bytes: int,
    file_size_bytes: int,
    open_files: int,
    processes: int | None,
) -> list[str]:
    """prlimit prefix. CPU soft < hard, so the first signal is SIGXCPU (recognisable).
    ``processes`` None: a pids cgroup holds the tree instead of RLIMIT_NPROC."""
    args = [
        prlimit,
        f"--cpu={cpu_seconds}:{cpu_seconds + 1}",
        f"--as={memory_bytes}",
        f"--fsize={file_size_bytes}",
        f"--nofile={open_files}",
    ]
    if processes is not None:  # (raising it to "unlimited" needs a privilege nobody has)
        args.append(f"--nproc={processes}")
    return [*args, "--core=0", "--"]

"""Fail closed: find bwrap and prlimit, check the version, and see a sandbox really start.

Every refusal says exactly what to run to fix it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from memento_tui.domain.sandbox.errors import SandboxUnavailable

MIN_BWRAP = (0, 8, 0)  # --disable-userns and --size appeared in 0.8.0

_NO_SANDBOX_HINT = "; or, only if you accept running skill scripts unprotected, pass --no-sandbox yourself"


def parse_version(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(g) for g in match.groups() if g is not None) if match else ()


def find_bwrap() -> tuple[str, str]:
    """(path, version text) of a usable bwrap, or SandboxUnavailable."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so skill scripts cannot run",
            fix="sudo apt-get install bubblewrap (Fedora: sudo dnf install bubblewrap; "
            "Arch: sudo pacman -S bubblewrap)" + _NO_SANDBOX_HINT,
        )
    try:
        out = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SandboxUnavailable(
            f"{path} does not run: {err}",
            file=path,
            fix="reinstall it: sudo apt-get install --reinstall bubblewrap",
        ) from None
    text = (out.stdout or out.stderr).strip()
    version = parse_version(text)
    if out.returncode != 0 or not version:
        raise SandboxUnavailable(
            f"{path} --version failed: {text[:200] or out.returncode}",
            file=path,
            fix="reinstall it: sudo apt-get install --reinstall bubblewrap",
        )
    if version < MIN_BWRAP:
        need = ".".join(map(str, MIN_BWRAP))
        raise SandboxUnavailable(
            f"{text} is too old: the sandbox needs bubblewrap {need} or newer (for --disable-userns and --size)",
            file=path,
            fix=f"install bubblewrap {need}+ (Debian 12 / Ubuntu 24.04 have it: "
            "sudo apt-get install bubblewrap), or build it from "
            "https://github.com/containers/bubblewrap" + _NO_SANDBOX_HINT,
        )
    return path, text


def find_prlimit() -> str:
    path = shutil.which("prlimit")
    if path is None:
        raise SandboxUnavailable(
            "prlimit is not installed, so the sandbox cannot set its resource limits",
            fix="sudo apt-get install util-linux",
        )
    return path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def userns_fix() -> str:
    """The sysctl that is blocking user namespaces here, as a command."""
    fixes = []
    if _read("/proc/sys/user/max_user_namespaces") == "0":
        fixes.append("sudo sysctl -w user.max_user_namespaces=15000")
    if _read("/proc/sys/kernel/unprivileged_userns_clone") == "0":
        fixes.append("sudo sysctl -w kernel.unprivileged_userns_clone=1")
    if _read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1":
        fixes.append(
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 "
            "(or install the AppArmor profile for bwrap: sudo apt-get install apparmor-profiles)"
        )
    if not fixes:
        fixes.append(
            "allow user namespaces: sudo sysctl -w user.max_user_namespaces=15000; in a "
            "container, run it with a seccomp profile that allows unshare/clone "
            "(docker run --security-opt seccomp=unconfined ...)"
        )
    return "; ".join(fixes) + " (make it permanent in /etc/sysctl.d/)"


def explain_start_failure(stderr: str, returncode: int | None) -> SandboxUnavailable:
    text = stderr.strip().splitlines()
    first = text[-1] if text else f"exit code {returncode}"
    if re.search(r"namespace|uid map|setting up|Operation not permitted|Permission denied", stderr):
        return SandboxUnavailable(
            f"the sandbox cannot start here: user namespaces are blocked ({first})",
            field="kernel",
            fix=userns_fix() + _NO_SANDBOX_HINT,
        )
    return SandboxUnavailable(
        f"the sandbox cannot start here: {first}",
        fix="run 'memento doctor' for details; check that bwrap works: "
        "bwrap --unshare-all --ro-bind /usr /usr --symlink usr/bin /bin true" + _NO_SANDBOX_HINT,
    )

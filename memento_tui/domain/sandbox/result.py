"""What a sandboxed run produced, and which limit (if any) stopped it."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Limit names, as they appear in results, traces and the TUI.
WALL_TIME = "wall_time"
OUTPUT = "output"
CPU = "cpu"
MEMORY = "memory"
FILE_SIZE = "file_size"
PROCESSES = "processes"
DISK = "disk"
FILES = "files"
OPEN_FILES = "open_files"
TMP_SPACE = "tmp_space"
# Not a limit: the person stopped the run (Ctrl-C, ctrl+x in the app).
CANCELLED = "cancelled"

LIMITS = (WALL_TIME, OUTPUT, CPU, MEMORY, FILE_SIZE, PROCESSES, DISK, FILES, OPEN_FILES, TMP_SPACE)

# bwrap and shells report "killed by signal N" as exit code 128 + N.
_SIGNAL_LIMITS = {signal.SIGXCPU: CPU, signal.SIGXFSZ: FILE_SIZE}

# What programs print when a limit bites. Only consulted for a run that failed.
_STDERR_LIMITS = (
    (MEMORY, re.compile(r"MemoryError|Cannot allocate memory|out of memory|bad_alloc|memory exhausted", re.I)),
    (FILE_SIZE, re.compile(r"File too large|File size limit exceeded")),
    (PROCESSES, re.compile(r"Cannot fork|fork: retry|Resource temporarily unavailable|BlockingIOError|can't fork")),
    (CPU, re.compile(r"CPU time limit exceeded")),
    (OPEN_FILES, re.compile(r"Too many open files|EMFILE")),
    # /tmp and /dev/shm are the only small filesystems a script can fill (/ is read-only,
    # /work is watched as disk).
    (TMP_SPACE, re.compile(r"No space left on device|ENOSPC")),
)

# A failed run without network that shows one of these was most likely denied network.
NETWORK_FAILURE_RE = re.compile(
    r"Network is unreachable|Temporary failure in name resolution|Name or service not known"
    r"|Could not resolve host|getaddrinfo failed|No address associated with hostname"
    r"|nodename nor servname|unable to resolve host|Connection refused|NameResolutionError"
    r"|Failed to establish a new connection|network is unreachable",
)


@dataclass
class SandboxResult:
    exit_code: int | None
    stdout: str
    stderr: str
    limit: str | None
    duration: float
    sandboxed: bool = True
    network_denied_hint: bool = False
    truncated: bool = False
    warning: str | None = None
    notes: list[str] = field(default_factory=list)
    network_reached: list[str] = field(default_factory=list)  # host:port through the proxy
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.limit is None and not self.cancelled

    def summary(self) -> str:
        """One line for traces and progress: how it ended and how long it took."""
        if self.cancelled:
            how = "cancelled"
        elif self.limit is not None:
            how = f"stopped by the {self.limit} limit"
            if self.exit_code is not None:
                how += f" (exit {self.exit_code})"
        else:
            how = f"exit {self.exit_code}"
        parts = [f"{how} in {self.duration:.2f}s"]
        if self.truncated:
            parts.append("output cut")
        if self.network_denied_hint:
            parts.append("network denied")
        if not self.sandboxed:
            parts.append("UNSANDBOXED")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "limit": self.limit,
            "duration": round(self.duration, 4),
            "sandboxed": self.sandboxed,
            "network_denied_hint": self.network_denied_hint,
            "truncated": self.truncated,
            "warning": self.warning,
            "notes": list(self.notes),
            "network_reached": list(self.network_reached),
            "cancelled": self.cancelled,
        }


def limit_from_exit(exit_code: int | None, stderr: str, stdout: str = "") -> str | None:
    """Name the rlimit a failed run most likely hit, from its exit status and last words."""
    if exit_code is None or exit_code == 0:
        return None
    for number, name in _SIGNAL_LIMITS.items():
        if exit_code in (128 + number, -number):
            return name
    for tail in (stderr[-4000:], stdout[-1000:]):
        for name, pattern in _STDERR_LIMITS:
            if pattern.search(tail):
                return name
    return None


def looks_like_network_failure(exit_code: int | None, stdout: str, stderr: str) -> bool:
    if exit_code == 0:
        return False
    return bool(NETWORK_FAILURE_RE.search(stderr[-8000:]) or NETWORK_FAILURE_RE.search(stdout[-2000:]))


def build_result(
    outcome: Any,
    cgroup_limit: str | None,
    *,
    proxy_log: Any,
    network: bool,
    skill_name: str | None,
    sandboxed: bool,
    warning: str | None,
    on_output: Callable[[str, str], None] | None,
    denied_note: Callable[[], str] | None = None,
) -> SandboxResult:
    """How a run ended, in words: the limit that stopped it (from the kill, the cgroup, or
    the exit and the program's last words), and notes about network it was denied
    (``denied_note`` says why it had none, asked only when it seems to have wanted some)."""
    from memento_tui.domain.sandbox.policy import NETWORK_DENIED_MARKER, network_denied_note

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
        sandboxed=sandboxed,
        truncated=outcome.truncated,
        warning=warning,
        cancelled=cancelled,
    )
    notes: list[str] = []
    if proxy_log is not None:
        result.network_reached = sorted(set(proxy_log.reached))
        for where, why in proxy_log.refused:
            notes.append(f"{NETWORK_DENIED_MARKER} the proxy refused {where}: {why}")
            result.network_denied_hint = True
    elif not network and limit is None and looks_like_network_failure(outcome.exit_code, stdout, stderr):
        notes.append(denied_note() if denied_note is not None else network_denied_note(skill_name))
        result.network_denied_hint = True
    for note in dict.fromkeys(notes):
        result.notes.append(note)
        result.stderr += "" if not result.stderr or result.stderr.endswith("\n") else "\n"
        result.stderr += note + "\n"
        if on_output is not None:
            on_output("stderr", note + "\n")
    return result

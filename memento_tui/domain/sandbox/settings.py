"""What the sandbox reads from ``[sandbox]``: a Protocol that ``config.SandboxConfig`` meets.

The sandbox package does not import pydantic or the config module: a test runs it from the
system python as an unprivileged user, and any object with these attributes will do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class SandboxSettings(Protocol):
    """Read-only: the sandbox never changes its settings."""

    @property
    def cpu_seconds(self) -> int: ...

    @property
    def memory_mb(self) -> int: ...

    @property
    def max_processes(self) -> int: ...

    @property
    def file_size_mb(self) -> int: ...

    @property
    def open_files(self) -> int: ...

    @property
    def output_bytes(self) -> int: ...

    @property
    def wall_seconds(self) -> float: ...

    @property
    def tmp_size_mb(self) -> int: ...

    @property
    def disk_mb(self) -> int: ...

    @property
    def max_files(self) -> int: ...

    @property
    def process_guard(self) -> str: ...

    @property
    def sandbox_uid(self) -> int: ...

    @property
    def seccomp(self) -> bool: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def network(self) -> Sequence[str]: ...

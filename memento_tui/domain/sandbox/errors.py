"""The sandbox's refusals. Each says what is wrong and the command that fixes it."""

from __future__ import annotations

from memento_tui.domain.errors import MementoError


class SandboxUnavailable(MementoError):
    """bwrap is missing, too old, or cannot start here. Skill scripts must not run."""


class SandboxRefused(MementoError):
    """This particular run is not allowed: a bad folder, or network that was not granted."""

"""The sandbox: the one module that owns the bubblewrap command line.

    from memento_tui.domain.sandbox import Sandbox, network_allowed
    result = Sandbox(config.sandbox).run(["python3", "/skill/scripts/x.py"],
                                         work_dir=work, skill_dir=skill.dir)

See docs/sandbox.md for the profile and why each flag is there.
"""

from __future__ import annotations

from memento_tui.domain.sandbox.errors import SandboxRefused, SandboxUnavailable
from memento_tui.domain.sandbox.policy import NETWORK_DENIED_MARKER, network_allowed
from memento_tui.domain.sandbox.profile import SKILL_MOUNT, WORK_MOUNT
from memento_tui.domain.sandbox.result import LIMITS, SandboxResult
from memento_tui.domain.sandbox.runner import UNSANDBOXED_WARNING, Sandbox

__all__ = [
    "LIMITS",
    "NETWORK_DENIED_MARKER",
    "SKILL_MOUNT",
    "UNSANDBOXED_WARNING",
    "WORK_MOUNT",
    "Sandbox",
    "SandboxRefused",
    "SandboxResult",
    "SandboxUnavailable",
    "network_allowed",
]

"""One factory builds everything, for the CLI, the TUI and the tests alike.

Widgets and commands receive a ``Services`` and never construct git, LLM or sandbox
clients themselves. Each part is built on first use, so a command pays only for what
it touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memento_tui.domain.skills import SkillLibrary
from memento_tui.domain.workspace import Workspace


@dataclass
class Services:
    workspace: Workspace
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _once(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def library(self) -> SkillLibrary:
        """A fresh read of skills/ (cheap; the files are the truth)."""
        return self.workspace.library()


def make_services(workspace: Workspace | Path | None = None) -> Services:
    if workspace is None:
        workspace = Workspace.find()
    elif isinstance(workspace, Path):
        workspace = Workspace.at(workspace)
    workspace.ensure_state()
    return Services(workspace=workspace)

"""One factory builds everything, for the CLI, the TUI and the tests alike.

Widgets and commands receive a ``Services`` and never construct git, LLM or sandbox
clients themselves. Each part is built on first use (and its heavy imports happen
then), so a command pays only for what it touches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from memento_tui.domain.paths import WorkspacePaths
from memento_tui.domain.skills import SkillLibrary
from memento_tui.domain.workspace import Workspace

if TYPE_CHECKING:
    from memento_tui.domain.agent.loop import Agent
    from memento_tui.domain.agent.runs import RunStore
    from memento_tui.domain.llm import ModelClient
    from memento_tui.domain.patches import PatchStore
    from memento_tui.domain.retrieval import SkillIndex
    from memento_tui.domain.sandbox import Sandbox

T = TypeVar("T")


@dataclass
class Services:
    workspace: Workspace
    # Set only by a person's explicit --no-sandbox flag; never by config, model or skill.
    allow_unsandboxed: bool = False
    # Which skill folders a person has seen (only those get network); None: this
    # workspace's own skills/. An eval's clone says "the same as the person's".
    reviewed: Callable[[Path], bool] | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def _once(self, key: str, build: Callable[[], T]) -> T:
        # The TUI's thread workers ask for parts at the same time: build each one once
        # (two search indexes on one folder would fight over its lock).
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    @property
    def paths(self) -> WorkspacePaths:
        return self.workspace.paths

    def library(self) -> SkillLibrary:
        """A fresh read of skills/ (the files are the truth)."""
        return self.workspace.library()

    def index(self) -> SkillIndex:
        """The search index over skills/, rebuilt when missing, stale or corrupt."""
        from memento_tui.domain.retrieval import SkillIndex

        return self._once("index", lambda: SkillIndex.open(self.workspace.paths, self.workspace.config.retrieval))

    def sandbox(self) -> Sandbox:
        from memento_tui.domain.sandbox import Sandbox
        from memento_tui.domain.sandbox.policy import in_folder

        reviewed = self.reviewed or in_folder(self.workspace.paths.skills)
        return self._once(
            "sandbox",
            lambda: Sandbox(
                self.workspace.config.sandbox,
                allow_unsandboxed=self.allow_unsandboxed,
                reviewed=reviewed,
            ),
        )

    def patches(self) -> PatchStore:
        from memento_tui.domain.patches import PatchStore

        return self._once("patches", lambda: PatchStore(self.workspace))

    def runs(self) -> RunStore:
        from memento_tui.domain.agent.runs import RunStore

        return self._once("runs", lambda: RunStore(self.workspace.paths))

    def model(self) -> ModelClient:
        """The configured model (``[model]`` in the config, or a --model flag)."""
        from memento_tui.domain.llm import ModelClient
        from memento_tui.domain.llm.local import LocalModelClient, is_local

        cfg = self.workspace.config.model
        if is_local(cfg.name):  # a llama.cpp server memento starts on first use; close() stops it
            return self._once("model", lambda: LocalModelClient.for_config(cfg))
        return self._once("model", lambda: ModelClient(cfg))

    def judge_model(self) -> ModelClient | None:
        from memento_tui.domain.llm import ModelClient
        from memento_tui.domain.llm.local import LocalModelClient, is_local

        name = self.workspace.config.model.judge
        if not name:
            return None
        cfg = self.workspace.config.model.model_copy(update={"name": name})
        if is_local(name):  # shares the main model's server when it is the same file
            main = self.model()
            share = main if isinstance(main, LocalModelClient) else None
            return self._once("judge_model", lambda: LocalModelClient.for_config(cfg, share=share))
        return self._once("judge_model", lambda: ModelClient(cfg))

    def agent(self) -> Agent:
        from memento_tui.domain.agent.loop import Agent

        return self._once(
            "agent",
            lambda: Agent(
                model=self.model(),
                library=self.library,
                index=self.index(),
                sandbox=self.sandbox(),
                runs=self.runs(),
                config=self.workspace.config,
                judge_model=self.judge_model(),
            ),
        )

    def mark_run(self, run_id: str, *, passed: bool, note: str = "") -> Any:
        """A person's verdict on a run; retrieval learns from it like any other verdict."""
        record = self.runs().mark(run_id, passed, note)
        if self.workspace.config.retrieval.learn and not record.replay_of:
            for name in record.skills_used:
                if passed:
                    self.index().record_success(record.task, name)
                else:
                    self.index().record_failure(record.task, name)
        return record

    def reload_config(self) -> None:
        """Re-read the config (the TUI notices a save); parts built from it are rebuilt on
        next use. Raises ConfigError, leaving the old config in place, if the file is bad."""
        config = self.workspace.read_config()
        self.workspace._config = config
        for key in ("model", "judge_model", "agent", "sandbox"):
            part = self._cache.pop(key, None)
            closer = getattr(part, "close", None)
            if callable(closer):
                closer()

    def close(self) -> None:
        """Stop whatever the parts started (watchers, local model servers)."""
        for part in self._cache.values():
            closer = getattr(part, "close", None)
            if callable(closer):
                closer()
        self._cache.clear()


def make_services(
    workspace: Workspace | Path | None = None,
    *,
    allow_unsandboxed: bool = False,
    reviewed: Callable[[Path], bool] | None = None,
) -> Services:
    if workspace is None:
        workspace = Workspace.find()
    elif isinstance(workspace, Path):
        workspace = Workspace.at(workspace)
    workspace.ensure_state()
    return Services(workspace=workspace, allow_unsandboxed=allow_unsandboxed, reviewed=reviewed)

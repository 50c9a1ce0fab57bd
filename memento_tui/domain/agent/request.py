"""What a run is asked to do, and whom it tells as it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from memento_tui.domain.agent.trace import TraceEvent
from memento_tui.domain.tasks import check_task


@dataclass
class RunRequest:
    task: str
    check: str | None = None
    inputs: list[Path] = field(default_factory=list)
    replay_of: str | None = None
    patch_id: str | None = None
    # Replays run a patched skill from a temp dir: name -> folder.
    skill_overrides: dict[str, Path] = field(default_factory=dict)
    learn: bool = True  # teach retrieval from the verdict (never for replays)

    def __post_init__(self) -> None:
        # The same check wherever a run starts (CLI, app, eval, replay), before any token.
        self.task = check_task(self.task)


@dataclass
class RunCallbacks:
    on_event: Callable[[TraceEvent], None] | None = None
    on_text: Callable[[str], None] | None = None
    on_output: Callable[[str, str], None] | None = None

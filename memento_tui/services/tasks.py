"""Run a task, then learn from it when it failed: the rule both front ends follow.

The CLI calls ``run_task`` for both halves. The app runs them in two workers, so the run's
end shows before learning starts, and asks ``learning_plan`` the same question in between.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from memento_tui.domain.agent.request import RunCallbacks, RunRequest
from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.learning.outcome import LearningOutcome
from memento_tui.services.factory import Services

LEARNING_OFF = "learning is off ([learning] enabled = false)"


@dataclass(frozen=True)
class LearningPlan:
    learn: bool
    note: str = ""  # why a failed run is not learned from, for the person


@dataclass(frozen=True)
class TaskOutcome:
    record: RunRecord
    learning: LearningOutcome | None = None


def learning_plan(services: Services, record: RunRecord, *, asked: bool = True) -> LearningPlan:
    """Whether a finished run is learned from: only a failure (never a pass, an error, or a
    person's cancel), only when the person did not say no and the workspace allows it."""
    if record.status != "failed":
        return LearningPlan(learn=False)
    if not asked:  # the person said so (--no-learn): nothing to tell them
        return LearningPlan(learn=False)
    if not services.workspace.config.learning.enabled:
        return LearningPlan(learn=False, note=LEARNING_OFF)
    return LearningPlan(learn=True)


def run_task(
    services: Services,
    request: RunRequest,
    callbacks: RunCallbacks | None = None,
    cancel: threading.Event | None = None,
    *,
    learn: bool = True,
    on_learning: Callable[[str], None] | None = None,
) -> TaskOutcome:
    """Run the task; on failure reflect on it and propose a patch for review."""
    from memento_tui.services.learning import learn_from_run

    record = services.agent().run(request, callbacks, cancel)
    plan = learning_plan(services, record, asked=learn)
    if plan.note and on_learning is not None:
        on_learning(f"  {plan.note}; reflect on it later with: memento reflect {record.id}")
    if not plan.learn:
        return TaskOutcome(record)
    return TaskOutcome(record, learn_from_run(services, record.id, on_progress=on_learning))

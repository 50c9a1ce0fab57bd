"""Which finished runs are learned from: the one rule the CLI's run_task and the app's Run
screen both follow (services/tasks.py)."""

from __future__ import annotations

import pytest

from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.tasks import LEARNING_OFF, LearningPlan, learning_plan


@pytest.mark.parametrize("status", ["passed", "cancelled", "error", "running"])
def test_only_a_failure_is_learned_from(workspace: Workspace, status: str) -> None:
    services = make_services(workspace)
    try:
        plan = learning_plan(services, RunRecord(id="r1", task="t", status=status))
    finally:
        services.close()
    assert not plan.learn and plan.note == ""


def test_a_failure_is_learned_from_unless_the_person_or_the_config_says_no(workspace: Workspace) -> None:
    failed = RunRecord(id="r1", task="t", status="failed")
    services = make_services(workspace)
    try:
        assert learning_plan(services, failed).learn
        # --no-learn: the person said so, nothing to tell them.
        assert learning_plan(services, failed, asked=False) == LearningPlan(learn=False)
        services.workspace.config.learning.enabled = False
        off = learning_plan(services, failed)
    finally:
        services.close()
    assert not off.learn and off.note == LEARNING_OFF

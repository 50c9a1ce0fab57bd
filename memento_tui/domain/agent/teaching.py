"""What retrieval learns from one finished run (the rule the agent loop, a person's mark
and an eval's round all use).

A pass makes the task a trigger of every skill used; a failure pushes those skills down
for similar tasks. A pass a guard stopped teaches nothing: the check proved the files
right, but the run got there by looping or running out of budget, and retrieval should
not steer similar tasks toward that path. Replays never teach (they ran a patch, not the
library). Errors and cancelled runs say nothing about the skills.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from memento_tui.domain.agent.runs import RunRecord
    from memento_tui.domain.retrieval import SkillIndex

Lesson = tuple[Literal["success", "failure"], str]


def lessons(record: Any) -> list[Lesson]:
    """(kind, skill) rows a finished run teaches, in the order its skills were used."""
    if getattr(record, "replay_of", None):
        return []
    status = getattr(record, "status", "")
    if status == "passed" and getattr(record, "guard", None):
        return []
    if status == "passed":
        return [("success", name) for name in record.skills_used]
    if status == "failed":
        return [("failure", name) for name in record.skills_used]
    return []


def teach(index: SkillIndex, record: RunRecord) -> None:
    """Record the run's lessons in the search index (and its outcomes file)."""
    for kind, skill in lessons(record):
        if kind == "success":
            index.record_success(record.task, skill)
        else:
            index.record_failure(record.task, skill)

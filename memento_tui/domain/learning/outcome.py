"""What learning from one failed run came to: the one record the CLI, the app and eval read
(and ``memento reflect --json`` prints), instead of a dict read by string keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from memento_tui.domain.learning.models import Reflection
from memento_tui.domain.patches.model import RegressionResult

LearningStatus = Literal[
    "patched",  # a patch branch with its evidence waits for review
    "no_fix",  # the reflection found nothing a skill could change
    "permission_requested",  # the fix needs a grant only a person gives
    "reflection_failed",  # the model's reflection could not be read (recorded)
    "skill_not_committed",  # a skill differs on disk from main: commit it first
    "no_patch",  # the reflection named a skill that cannot be patched
    "write_failed",  # the written fix could not be used, or changed nothing
    "write_refused",  # the written fix broke a rule (paths, protection, verify)
]

# Said to a person in a line each (the app's learning panel, eval's log).
STATUS_TEXT: dict[str, str] = {
    "patched": "a patch is ready for review",
    "no_fix": "the reflection proposes no change",
    "permission_requested": "a permission request was recorded (memento never grants it itself)",
    "reflection_failed": "the reflection could not be used",
    "skill_not_committed": "a skill is not committed: commit it, then reflect again",
    "write_failed": "the fix could not be used",
    "write_refused": "the fix broke a rule and was refused",
    "no_patch": "no patch was made",
}


class PermissionRequest(BaseModel):
    """A row of .memento/state/requests.jsonl: a grant the reflection asked a person for."""

    at: float
    run_id: str
    skill: str | None = None
    permission: str
    summary: str = ""


class LearningOutcome(BaseModel):
    run_id: str
    status: LearningStatus
    tokens: int = 0
    cost_usd: float = 0.0
    reflection: Reflection | None = None
    error: str | None = None
    # A patch, when one was made:
    patch_id: str | None = None
    branch: str | None = None
    skill: str | None = None
    protected: str | None = None  # the protected skill a companion skill's fix stands in for
    validated: bool | None = None
    replay: str | None = None
    regressions: list[RegressionResult] = Field(default_factory=list)
    # A permission request, or the files to commit first:
    request: PermissionRequest | None = None
    files: list[str] = Field(default_factory=list)
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        """For --json: what was found, without the fields that do not apply."""
        return self.model_dump(mode="json", exclude_none=True)

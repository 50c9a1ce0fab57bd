"""Patch branches as data: evidence, the records kept in ``.memento/``, and the errors.

Three file formats live here, each a pydantic model:

    PatchEvidence      why a patch exists and what replay showed (written by the learning code)
    PatchRecord        .memento/patches/<id>.json: the branch, its base, files and evidence
    ReviewRecord       one line of .memento/reviews.jsonl: a merge, reject or undo decision
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from memento_tui.domain.errors import MementoError
from memento_tui.domain.formats import Versioned

PatchStatus = Literal["pending", "merged", "rejected", "reverted", "gone"]
ID_RE = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4,16}$")
BRANCH_PREFIX = "memento/patch/"


class PatchError(MementoError):
    """A patch operation that cannot go ahead; nothing was changed."""


class PatchRefused(PatchError):
    """A patch that breaks a rule (paths, modes, sizes, SKILL.md); the reason says which."""


class PatchNotFound(PatchError):
    """No patch with that id, or its branch was deleted outside memento."""


class PatchConflict(PatchError):
    """The patch does not merge cleanly into main; ``files`` lists the conflicts."""

    def __init__(self, message: str, *, files: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.files = files


def now_utc() -> datetime:
    return datetime.now(UTC)


class ReplayResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    result: Literal["passed", "failed", "not-run"] = "not-run"
    run_id: str | None = None


class RegressionResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    run_id: str
    task: str = ""
    passed: bool


class Cost(BaseModel):
    model_config = ConfigDict(extra="allow")

    tokens: int = Field(default=0, ge=0)
    usd: float = Field(default=0.0, ge=0)


class PatchEvidence(BaseModel):
    """Why a patch exists: the failed run, the reflection, and what replay showed.

    Extra keys are kept as they are, and ``details`` holds anything else the learning
    code wants to carry along.
    """

    model_config = ConfigDict(extra="allow")

    run_id: str
    task: str = ""
    failure_category: str = ""
    weak_skill: str | None = None
    reflection_summary: str = ""
    decision_step: int | None = None
    replay: ReplayResult = Field(default_factory=ReplayResult)
    regressions: list[RegressionResult] = Field(default_factory=list)
    validated: bool = False
    kind: Literal["patch", "new-skill"] = "patch"
    cost: Cost = Field(default_factory=Cost)
    created_at: datetime = Field(default_factory=now_utc)
    details: dict[str, Any] = Field(default_factory=dict)

    def regressions_text(self) -> str:
        if not self.regressions:
            return "none run"
        passed = sum(1 for r in self.regressions if r.passed)
        return f"{passed}/{len(self.regressions)} passed"

    def replay_text(self) -> str:
        if self.replay.result == "not-run":
            return "not run"
        return self.replay.result + (f" (run {self.replay.run_id})" if self.replay.run_id else "")

    def summary(self) -> str:
        """One line for lists and for later reflections."""
        parts = [self.failure_category or "uncategorised"]
        if self.reflection_summary:
            parts.append(" ".join(self.reflection_summary.split()))
        return ": ".join(parts)


class PatchRecord(Versioned):
    """``.memento/patches/<id>.json``."""

    model_config = ConfigDict(extra="allow")
    FORMAT = "patch"
    id: str
    skill: str
    branch: str
    base: str
    head: str
    created_at: datetime
    files: list[str]
    subject: str = ""
    evidence: PatchEvidence
    made_by: str = ""  # "Name <email>" of the person whose Memento made it


ReviewAction = Literal["merge", "reject", "undo", "revert"]


class ReviewRecord(Versioned):
    """One line of ``.memento/reviews.jsonl`` (append-only)."""

    model_config = ConfigDict(extra="allow")
    FORMAT = "review"
    action: ReviewAction
    id: str
    skill: str
    branch: str
    head: str | None = None
    at: datetime = Field(default_factory=now_utc)
    reason: str | None = None
    main: str = "main"
    # For a merge: main before and after (after is None when main already had the patch).
    # For an undo: main before the undo (the merge commit) and after (the pre-merge commit).
    # For a revert: main before, and the revert commit made on top of it.
    main_before: str | None = None
    main_after: str | None = None
    files: list[str] = Field(default_factory=list)
    summary: str = ""
    failure_category: str = ""


class Patch(BaseModel):
    """A patch as the reviewer sees it: branch, evidence and where it stands."""

    id: str
    skill: str
    branch: str
    base: str
    head: str
    created_at: datetime
    status: PatchStatus
    files: list[str]
    subject: str = ""
    evidence: PatchEvidence
    # Set for merged and rejected patches.
    decided_at: datetime | None = None
    reason: str | None = None
    merge_commit: str | None = None
    # False when the JSON record is missing and the evidence was read from the commit's trailers.
    has_record: bool = True
    made_by: str = ""  # "Name <email>" of the person whose Memento made it


class Rejection(BaseModel):
    """A rejected idea, for later reflections on the same skill."""

    id: str
    skill: str
    reason: str
    summary: str
    failure_category: str = ""
    files: list[str] = Field(default_factory=list)
    rejected_at: datetime


class MergeResult(BaseModel):
    id: str
    skill: str
    main: str
    main_before: str
    merge_commit: str | None
    # True when main was checked out and the person's files were updated.
    checked_out: bool
    worktree: str | None = None


class UndoResult(BaseModel):
    id: str
    skill: str
    main: str
    restored: str
    undone_commit: str
    branch: str
    checked_out: bool

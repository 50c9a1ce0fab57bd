"""The fixed schemas the model answers in, for reflection and for writing a fix."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal[
    "ambiguous_goal",
    "missing_permission",
    "wrong_data_format_assumption",
    "wrong_skill_chosen",
    "bug_in_skill",
    "missing_skill",
    "environment",
    "model_error",
]
FixKind = Literal["patch_skill", "create_skill", "request_permission", "none"]

CATEGORY_LABELS: dict[str, str] = {
    "ambiguous_goal": "ambiguous goal",
    "missing_permission": "missing permission",
    "wrong_data_format_assumption": "wrong data-format assumption",
    "wrong_skill_chosen": "wrong skill chosen",
    "bug_in_skill": "bug in skill",
    "missing_skill": "missing skill",
    "environment": "environment",
    "model_error": "model error",
}


class Reflection(BaseModel):
    model_config = ConfigDict(extra="ignore")

    category: Category
    weak_skill: str | None = Field(default=None, description="the skill that was weak, or null")
    decision_step: int | None = Field(default=None, description="the trace step that went wrong")
    missing_or_assumed: str = Field(description="the missing information or the false assumption")
    fix_kind: FixKind
    new_skill_name: str | None = Field(default=None, description="for create_skill: the new skill's name")
    permission: str | None = Field(default=None, description="for request_permission: what to grant")
    summary: str = Field(description="two or three sentences a reviewer reads first")


class FileChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(description="path inside the skill folder, e.g. SKILL.md or scripts/x.py")
    content: str = Field(description="the whole new content of the file")


class SkillEdit(BaseModel):
    model_config = ConfigDict(extra="ignore")

    files: list[FileChange] = Field(min_length=1)
    message: str = Field(default="", description="one line saying what the change does")

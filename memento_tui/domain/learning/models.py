"""The fixed schemas the model answers in, for reflection and for writing a fix."""

from __future__ import annotations

from typing import Any, Literal

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
# Categories that blame a skill: a reflection in one of them names it.
SKILL_CATEGORIES = [
    "ambiguous_goal",
    "wrong_data_format_assumption",
    "wrong_skill_chosen",
    "bug_in_skill",
]

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


# Caps for structured output (characters): under a grammar a small model can otherwise
# write one string until max_tokens runs out. They shape the request only; a longer
# answer from a model that ignores them still validates.
_REFLECTION_CAPS = {"missing_or_assumed": 600, "summary": 600, "permission": 300}
_EDIT_CAPS = {"path": 200, "message": 300}
_SKILL_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 64}


def reflection_schema(skills: list[str]) -> dict[str, Any]:
    """The Reflection schema as sent to a server that constrains replies (a grammar on
    llama.cpp): a failure blamed on a skill names one of the skills involved; a new
    skill's name has the form names take; the two explanations are not left empty."""
    data = Reflection.model_json_schema()
    props = data["properties"]
    props["new_skill_name"] = {**props["new_skill_name"], "anyOf": [_SKILL_NAME, {"type": "null"}]}
    _cap(props, _REFLECTION_CAPS)
    for name in ("missing_or_assumed", "summary"):
        props[name]["minLength"] = 10
    # Every field asked for (null allowed): under a grammar a model may leave out whatever
    # is optional, and a small one then never names the skill.
    required = [*data["required"], "weak_skill", "decision_step"]
    if not skills:
        props["weak_skill"] = {"type": "null"}
        return {**data, "required": required}
    named = {**props, "category": {"enum": SKILL_CATEGORIES}, "weak_skill": {"enum": skills}}
    other = [c for c in CATEGORY_LABELS if c not in SKILL_CATEGORIES]
    unnamed = {
        **props,
        "category": {"enum": other},
        "weak_skill": {"anyOf": [{"enum": skills}, {"type": "null"}]},
    }
    return {
        "title": data["title"],
        "anyOf": [
            {"type": "object", "properties": named, "required": required},
            {"type": "object", "properties": unnamed, "required": required},
        ],
    }


def edit_schema() -> dict[str, Any]:
    """The SkillEdit schema as sent: short fields capped, file contents left whole."""
    data = SkillEdit.model_json_schema()
    _cap(data["properties"], _EDIT_CAPS)
    _cap(data["$defs"]["FileChange"]["properties"], _EDIT_CAPS)
    return data


def _cap(props: dict[str, Any], caps: dict[str, int]) -> None:
    for name, limit in caps.items():
        if name not in props:
            continue
        prop = props[name]
        for variant in [prop, *prop.get("anyOf", [])]:
            if variant.get("type") == "string":
                variant["maxLength"] = limit

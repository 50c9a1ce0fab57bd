"""The format of every record Memento saves, so a newer Memento reads an older workspace
and an older one refuses a newer file instead of misreading it.

Each record (run.json, a patch record, a review decision, an outcome row, an eval's state)
carries ``version``; files written before versions existed read as version 1. A newer
Memento that changes a format raises its number here and adds the step that upgrades
the previous one to ``UPGRADES`` (applied on read; files are never rewritten behind the
person's back). A file newer than this Memento knows is refused with the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, model_validator

from memento_tui.domain.errors import MementoError

CURRENT: dict[str, int] = {
    "run": 1,
    "patch": 1,
    "review": 1,
    "outcome": 1,
    "eval": 2,
    "reflection": 1,
}

# (kind, version) -> what turns a record of that version into the next one.
UPGRADES: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


class NewerFormat(MementoError):
    """A record written by a newer Memento."""


def upgrade(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` brought to this Memento's format, or NewerFormat."""
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise NewerFormat(
            f"the {kind} record has a bad format version {version!r}",
            field="version",
            fix="restore the file from git or delete it",
        )
    current = CURRENT[kind]
    if version > current:
        raise NewerFormat(
            f"this {kind} record was written by a newer Memento (format {version}; this Memento reads up to {current})",
            field="version",
            fix="upgrade Memento: pip install --upgrade memento-tui",
        )
    while version < current:
        data = UPGRADES[(kind, version)](data)
        version += 1
        data["version"] = version
    return data


class Versioned(BaseModel):
    """A saved record with a format version (subclasses set FORMAT)."""

    FORMAT: ClassVar[str] = ""
    version: int = 1

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.FORMAT:
            return upgrade(cls.FORMAT, dict(data))
        return data

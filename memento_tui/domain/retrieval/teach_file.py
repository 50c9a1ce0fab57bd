"""The teach file: what a person teaches retrieval in bulk (``memento skills teach --from``).

    {"query": "the task text", "skill": "skill-name"}                  a trigger
    {"query": "...", "skill": "...", "outcome": "failure"}             push the skill down

A file is checked whole before anything is taught: every bad line and unknown skill is
reported as FILE:LINE with the fix, and nothing is taught, so a half-taught file never has
to be untangled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills import did_you_mean


class TeachLine(BaseModel):
    """One line of a teach file."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    skill: str = Field(min_length=1)
    outcome: Literal["success", "failure"] = "success"


class TeachFileError(MementoError):
    """The file cannot be taught; ``problems`` holds one error per bad line."""

    def __init__(self, message: str, problems: list[MementoError], *, file: Path, fix: str) -> None:
        super().__init__(message, file=file, fix=fix)
        self.problems = problems


def unknown_skill(
    name: str,
    known: list[str],
    *,
    file: Path | None = None,
    line: int | None = None,
    field: str = "NAME",
) -> MementoError:
    close = did_you_mean(name, known)
    return MementoError(
        f"no skill named {name!r}",
        file=file,
        line=line,
        field=field,
        fix=f"did you mean {', '.join(close)}?" if close else "run 'memento skills list' for the names",
    )


def read_teach_file(path: Path, known: set[str]) -> list[TeachLine]:
    """Every line parsed and checked; all problems at once (TeachFileError), or the lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise MementoError(f"cannot read the file: {err}", file=path, fix="give a UTF-8 JSONL file") from None
    lines: list[TeachLine] = []
    problems: list[MementoError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = TeachLine.model_validate(json.loads(raw))
        except json.JSONDecodeError as err:
            problems.append(
                MementoError(
                    f"not JSON ({err.msg} at column {err.colno})",
                    file=path,
                    line=number,
                    fix='write one object per line: {"query": "the task", "skill": "skill-name"}',
                )
            )
            continue
        except ValidationError as err:
            first = err.errors()[0]
            problems.append(
                MementoError(
                    first["msg"],
                    file=path,
                    line=number,
                    field=".".join(str(p) for p in first["loc"]) or "line",
                    fix='each line needs "query" (the task text) and "skill" (a skill name); '
                    'optional "outcome": "success" or "failure"',
                )
            )
            continue
        if line.skill not in known:
            problems.append(unknown_skill(line.skill, sorted(known), file=path, line=number, field="skill"))
            continue
        lines.append(line)
    if problems:
        raise TeachFileError(
            f"{len(problems)} line(s) cannot be taught; nothing was taught",
            problems,
            file=path,
            fix="fix the lines and run the same command again",
        )
    if not lines:
        raise MementoError(
            "the file has no lines to teach", file=path, fix='add lines like {"query": "...", "skill": "..."}'
        )
    return lines

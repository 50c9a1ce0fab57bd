"""``memento skills teach``: a person teaches retrieval through the API a successful run uses.

    memento skills teach NAME "TASK TEXT"        one trigger
    memento skills teach --from FILE.jsonl       lines of {"query": ..., "skill": ...}

A file is checked whole before anything is written: a bad line or an unknown skill name is
reported as FILE:LINE with the fix, and nothing is taught, so a half-taught file never has
to be untangled.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memento_tui.cli.common import safe, services_from
from memento_tui.domain.errors import MementoError

MAX_REPORTED = 20


class TeachLine(BaseModel):
    """One line of a teach file."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1)
    skill: str = Field(min_length=1)
    outcome: Literal["success", "failure"] = "success"


def add_teach_parser(skills_sub: argparse._SubParsersAction) -> None:
    p = skills_sub.add_parser(
        "teach",
        help="teach retrieval that a task goes with a skill",
        description="Record that TASK was done with skill NAME, as a successful run would; "
        "the task text becomes one of the skill's triggers. --from FILE.jsonl teaches many "
        'lines of {"query": "...", "skill": "..."} (optionally "outcome": "failure").',
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="the skill")
    p.add_argument("task", nargs="?", metavar="TASK", help="the task text")
    p.add_argument("--from", dest="from_file", metavar="FILE.jsonl", help="teach every line of a JSONL file")
    p.add_argument("--failure", action="store_true", help="record a failure instead: push NAME down for TASK")
    p.set_defaults(handler=cmd_teach)


def cmd_teach(args: argparse.Namespace) -> int:
    from memento_tui.domain.retrieval.learned import make_row

    if args.from_file and (args.name or args.task):
        raise MementoError(
            "give either NAME and TASK, or --from FILE, not both",
            fix='memento skills teach NAME "TASK" or memento skills teach --from FILE.jsonl',
        )
    if not args.from_file and not (args.name and args.task):
        raise MementoError(
            "nothing to teach",
            fix='memento skills teach NAME "TASK TEXT", or --from FILE.jsonl',
        )
    services = services_from(args)
    try:
        index = services.index()
        known = index.skill_names()
        if args.from_file:
            lines = read_teach_file(Path(args.from_file), set(known))
            rows = [make_row(line.outcome, line.query, line.skill, source="teach") for line in lines]
        else:
            check_known(args.name, known)
            kind: Literal["success", "failure"] = "failure" if args.failure else "success"
            rows = [make_row(kind, args.task, args.name, source="teach")]
        index.record_many(rows)
        skills = {row.skill for row in rows}
        failures = sum(row.kind == "failure" for row in rows)
        what = f"{len(rows) - failures} trigger(s)" + (f" and {failures} failure(s)" if failures else "")
        print(f"taught {what} to {len(skills)} skill(s); saved in {index.store.file}")
        return 0
    finally:
        services.close()


def check_known(name: str, known: list[str]) -> None:
    if name not in known:
        raise MementoError(
            f"no skill named {name!r}",
            field="NAME",
            fix=_did_you_mean(name, known),
        )


def read_teach_file(path: Path, known: set[str]) -> list[TeachLine]:
    """Every line parsed and checked; all problems reported at once, or none taught."""
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
            field = ".".join(str(p) for p in first["loc"]) or "line"
            problems.append(
                MementoError(
                    first["msg"],
                    file=path,
                    line=number,
                    field=field,
                    fix='each line needs "query" (the task text) and "skill" (a skill name); '
                    'optional "outcome": "success" or "failure"',
                )
            )
            continue
        if line.skill not in known:
            problems.append(
                MementoError(
                    f"no skill named {line.skill!r}",
                    file=path,
                    line=number,
                    field="skill",
                    fix=_did_you_mean(line.skill, sorted(known)),
                )
            )
            continue
        lines.append(line)
    if problems:
        for problem in problems[:MAX_REPORTED]:
            print(f"memento: {safe(problem)}", file=sys.stderr)
        more = len(problems) - MAX_REPORTED
        raise MementoError(
            f"{len(problems)} line(s) cannot be taught"
            + (f" ({more} more not shown)" if more > 0 else "")
            + "; nothing was taught",
            file=path,
            fix="fix the lines above and run the same command again",
        )
    if not lines:
        raise MementoError("the file has no lines to teach", file=path, fix='add lines like {"query": "...", "skill": "..."}')
    return lines


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    return f"did you mean {', '.join(close)}?" if close else "run 'memento skills list' for the names"

"""A task suite for ``memento eval``: a YAML file of tasks with deterministic checks.

    name: starter                      # optional; the file name without .yaml otherwise
    description: ...
    tasks:
      - id: dates-uk-invoices          # lowercase letters, digits and hyphens; unique
        prompt: Normalise the dates ...  # what the agent is told
        inputs: [starter/invoices.csv]   # files or folders, relative to the suite file
        check: python3 -c "..."          # run in the sandbox in the work dir; exit 0 = pass
        tags: [data-format]
        probes: what this task tests     # for people (the README), never for the agent
        reference: sh command            # a correct solution, for the suite's own test
        naive: {skill: date-normalize, command: ...}  # what the starter skill does unaided

The agent sees only ``prompt`` and the input files; ``check``, ``reference``, ``naive``
and ``probes`` stay with the harness.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from memento_tui.domain.errors import MementoError

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_SUITE_BYTES = 2 * 1024 * 1024


class SuiteError(MementoError):
    """A suite file that cannot be used; names the file, the line and the field."""


class NaiveRun(BaseModel):
    """What a starter skill produces when used the obvious way (the check must fail it)."""

    model_config = ConfigDict(extra="forbid")

    skill: str | None = Field(default=None, description="skill mounted at /skill, or none")
    command: str = Field(min_length=1)


class SuiteTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: str = Field(min_length=1)
    inputs: list[str] = Field(default_factory=list)
    check: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    probes: str = ""
    reference: str | None = None
    naive: NaiveRun | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ValueError("must be 1-64 lowercase letters, digits and hyphens, starting with a letter or digit")
        return value


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    tasks: list[SuiteTask] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return self.suite.name

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def tasks(self) -> list[SuiteTask]:
        return self.suite.tasks

    def input_paths(self, task: SuiteTask) -> list[Path]:
        return [(self.dir / rel).resolve() for rel in task.inputs]

    def select(self, ids: list[str] | None = None, tags: list[str] | None = None) -> list[SuiteTask]:
        """The tasks to run: by id and/or tag; unknown ids are an error."""
        tasks = self.tasks
        if ids:
            known = {t.id for t in tasks}
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise SuiteError(
                    f"no task {unknown[0]!r} in the suite",
                    file=self.path,
                    fix=f"known ids: {', '.join(sorted(known))}",
                )
            tasks = [t for t in tasks if t.id in ids]
        if tags:
            tasks = [t for t in tasks if set(tags) & set(t.tags)]
        return tasks


def _duplicate_keys(node: Any) -> tuple[str, int] | None:
    """The first key written twice in any mapping (PyYAML would keep the last silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                return str(key.value), key.start_mark.line + 1
            seen.add(key.value)
            found = _duplicate_keys(value)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _duplicate_keys(item)
            if found:
                return found
    return None


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through the YAML nodes to a line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                key = next((k for k, _ in node.value if k.value == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _field_name(loc: tuple[Any, ...], data: Any) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    # Name the task by id too, which a person finds faster than an index.
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
        try:
            task_id = data["tasks"][loc[1]]["id"]
            out += f" (task {task_id!r})"
        except (KeyError, IndexError, TypeError):
            pass
    return out


_FIXES = {
    "extra_forbidden": "remove it; a task has id, prompt, inputs, check, tags, probes, reference, naive",
    "missing": "add it",
}


def load_suite(path: Path) -> LoadedSuite:
    """Read and check a suite file: the YAML, the schema, unique ids, the input files."""
    path = path.resolve()
    raw = _read_suite(path)
    node, data = _parse_yaml(raw, path)
    suite = _validate(data, node, path)
    if not suite.name:
        suite.name = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-") or "suite"
    _check_tasks(suite, node, path)
    return LoadedSuite(suite, path, hashlib.sha256(raw).hexdigest())


def _read_suite(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError(
            "no such suite file",
            file=path,
            fix="give the path of a suite .yaml, e.g. benchmarks/suites/starter.yaml",
        ) from None
    except OSError as err:
        raise SuiteError(f"cannot read the suite: {err}", file=path, fix="check the path") from None
    if len(raw) > MAX_SUITE_BYTES:
        raise SuiteError("the suite file is larger than 2 MiB", file=path, fix="split it into several suites")
    return raw


def _parse_yaml(raw: bytes, path: Path) -> tuple[Any, dict[Any, Any]]:
    """The YAML's node tree (for line numbers) and its data, a mapping with no key twice."""
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise SuiteError("the suite is not UTF-8 text", file=path, fix="save it as UTF-8") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise SuiteError(
            f"not valid YAML: {getattr(err, 'problem', None) or err}",
            file=path,
            line=mark.line + 1 if mark is not None else None,
            fix="check the indentation and quoting there; block scalars (|) suit long commands",
        ) from None
    duplicate = _duplicate_keys(node)
    if duplicate:
        raise SuiteError(
            f"the key {duplicate[0]!r} is written twice",
            file=path,
            line=duplicate[1],
            fix="keep one of them",
        )
    if not isinstance(data, dict):
        raise SuiteError(
            "a suite is a mapping with a 'tasks' list",
            file=path,
            line=1,
            fix="start the file with 'tasks:'",
        )
    return node, data


def _validate(data: dict[Any, Any], node: Any, path: Path) -> Suite:
    try:
        return Suite.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first["loc"])
        raise SuiteError(
            first["msg"].removeprefix("Value error, "),
            file=path,
            line=_line_of(node, loc),
            field=_field_name(loc, data),
            fix=_FIXES.get(first["type"], "see docs/insights.md for the suite format"),
        ) from None


def _check_tasks(suite: Suite, node: Any, path: Path) -> None:
    """Every task id used once; every input a file inside the suite's folder."""
    seen: dict[str, int] = {}
    for index, task in enumerate(suite.tasks):
        if task.id in seen:
            raise SuiteError(
                f"task id {task.id!r} is used twice (first by task {seen[task.id]})",
                file=path,
                line=_line_of(node, ("tasks", index, "id")),
                field=f"tasks[{index}].id",
                fix="give every task its own id",
            )
        seen[task.id] = index
        for number, rel in enumerate(task.inputs):
            _check_input(path, node, index, number, task.id, rel)


def _check_input(path: Path, node: Any, index: int, number: int, task_id: str, rel: str) -> None:
    where: dict[str, Any] = {
        "file": path,
        "line": _line_of(node, ("tasks", index, "inputs", number)),
        "field": f"tasks[{index}].inputs[{number}] (task {task_id!r})",
    }
    if Path(rel).is_absolute():
        raise SuiteError(
            f"{rel!r} is an absolute path",
            **where,
            fix="write input paths relative to the suite file",
        )
    target = (path.parent / rel).resolve()
    if path.parent.resolve() not in target.parents:
        raise SuiteError(
            f"{rel!r} points outside the suite's folder",
            **where,
            fix="keep input files next to the suite file (e.g. in a folder named after it)",
        )
    if not target.exists():
        raise SuiteError(f"input {rel!r} does not exist", **where, fix=f"create {target} or fix the path")

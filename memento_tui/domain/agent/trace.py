"""Trace events: every decision point of a run, appended to ``trace.jsonl`` as it happens.

The file is append-only and flushed after every event, so a run killed mid-way leaves a
readable trace; a torn last line (the process died mid-write) is skipped on reading.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_OUTPUT_CHARS = 20_000  # per tool output in the trace; the model sees less


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ts: float = Field(default_factory=time.time)
    step: int = 0


class RunStarted(_Event):
    type: Literal["run_started"] = "run_started"
    run_id: str
    task: str
    model: str
    check: str | None = None
    inputs: list[str] = Field(default_factory=list)
    pid: int = Field(default_factory=os.getpid)
    replay_of: str | None = None


class SkillsRetrieved(_Event):
    type: Literal["skills_retrieved"] = "skills_retrieved"
    hits: list[dict[str, Any]]  # name, score, description, why


class ModelTurn(_Event):
    type: Literal["model_turn"] = "model_turn"
    text: str = ""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)  # id, name, arguments
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration: float = 0.0
    protocol_error: str = ""


class ToolCalled(_Event):
    type: Literal["tool_called"] = "tool_called"
    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolResult(_Event):
    type: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str
    ok: bool
    output: str
    exit_code: int | None = None
    limit: str | None = None
    skill: str | None = None
    duration: float = 0.0
    sandboxed: bool | None = None
    # Why the call was not carried out, in words for a person (a repeat the loop refused);
    # empty when it ran, or when a tool refused it (the output says why).
    not_run: str = ""


class Note(_Event):
    """Something the program told the model (budget warnings, repeated calls)."""

    type: Literal["note"] = "note"
    message: str


class VerdictGiven(_Event):
    type: Literal["verdict"] = "verdict"
    passed: bool
    source: Literal["check", "person", "llm-judge", "agent", "guard"]
    detail: str = ""
    check_output: str = ""
    # A guard stopped the run (repeated calls, a budget, unreadable replies): what it said.
    # Such a run passes only on a check, and its verdict says so.
    guard: str = ""


class RunFailed(_Event):
    """What ended the run early: an error (model unreachable, sandbox missing), the person
    (kind "cancelled"), or a guard (kind "guard"; ``guard`` says which, see guards.py)."""

    type: Literal["run_error"] = "run_error"
    kind: str
    message: str
    guard: str | None = None
    fix: str = ""


class RunFinished(_Event):
    type: Literal["run_finished"] = "run_finished"
    status: Literal["passed", "failed", "error", "cancelled"]
    answer: str = ""
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration: float = 0.0
    skills_used: list[str] = Field(default_factory=list)
    guard: str | None = None  # the guard that stopped the run, if one did


TraceEvent = Annotated[
    RunStarted | SkillsRetrieved | ModelTurn | ToolCalled | ToolResult | Note | VerdictGiven | RunFailed | RunFinished,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(TraceEvent)


def cap(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n… [{len(text) - limit} characters cut] …\n{text[-half:]}"


class TraceWriter:
    """Append events to a JSONL file, one flushed line per event."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("a", encoding="utf-8")

    def write(self, event: _Event) -> None:
        self._file.write(event.model_dump_json() + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


def read_trace(path: Path) -> tuple[list[Any], list[str]]:
    """All events that parse, and a note for each line that does not (torn or foreign)."""
    events: list[Any] = []
    problems: list[str] = []
    if not path.exists():
        return events, [f"{path}: no trace file"]
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                events.append(_ADAPTER.validate_python(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as err:
                problems.append(f"{path}:{number}: skipped a line that does not parse ({type(err).__name__})")
    return events, problems

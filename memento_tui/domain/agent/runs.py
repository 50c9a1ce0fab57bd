"""Runs on disk: ``.memento/runs/<id>/`` holds trace.jsonl (the truth), run.json (a summary
rebuilt from the trace when missing or broken) and work/ (the task's files).
"""

from __future__ import annotations

import builtins
import json
import os
import secrets
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from memento_tui.domain.agent.run_folder import RunFolder
from memento_tui.domain.agent.trace import (
    ModelTurn,
    RunFailed,
    RunFinished,
    RunStarted,
    SkillsRetrieved,
    TraceWriter,
    VerdictGiven,
    read_trace,
)
from memento_tui.domain.errors import MementoError
from memento_tui.domain.files import atomic_write
from memento_tui.domain.formats import Versioned
from memento_tui.domain.paths import WorkspacePaths
from memento_tui.domain.tree import remove_tree_quietly
from memento_tui.domain.tree_copy import copy_tree

# cancelled: the person stopped it (ctrl+x, Ctrl-C); interrupted: the process died.
RunStatus = Literal["running", "passed", "failed", "error", "cancelled", "interrupted"]
# What a skill's own figures count (the Skills screen, Insights): an error (the model
# unreachable, no sandbox), a cancel or a run still going is no skill's pass or failure.
JUDGED: tuple[RunStatus, ...] = ("passed", "failed")


class RunRecord(Versioned):
    FORMAT = "run"
    id: str
    task: str
    status: RunStatus = "running"
    model: str = ""
    check: str | None = None
    inputs: list[str] = Field(default_factory=list)
    started: float = Field(default_factory=time.time)
    finished: float | None = None
    pid: int = Field(default_factory=os.getpid)
    verdict_source: str | None = None
    verdict_detail: str = ""
    note: str = ""
    answer: str = ""
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    skills_retrieved: list[str] = Field(default_factory=list)
    skills_used: list[str] = Field(default_factory=list)
    replay_of: str | None = None  # a replay made while validating a patch
    patch_id: str | None = None
    failure_category: str | None = None
    critical: bool = False
    # The guard that stopped the run (agent/guards.py), and what it said.
    guard: str | None = None
    guard_message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _copy_input(path: Path, target: Path) -> None:
    """A person's input into a run's folder. Inside a folder, links are left out: in the
    sandbox they would lead out of /work, and a loop among them would never end."""
    try:
        if path.is_dir():
            copy_tree(path, target)
        else:
            shutil.copy2(path, target)
    except (OSError, RecursionError) as err:
        raise MementoError(
            f"cannot copy the input: {getattr(err, 'strerror', None) or err}",
            file=path,
            fix="give a plain file, or a folder of files",
        ) from None


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    def __init__(self, paths: WorkspacePaths) -> None:
        self.paths = paths

    def dir(self, run_id: str) -> Path:
        return self.paths.run_dir(run_id)

    def folder(self, run_id: str) -> RunFolder:
        """The run's folder, with the names of what is in it."""
        return RunFolder(self.paths.run_dir(run_id))

    def create(self, record: RunRecord, inputs: Sequence[Path] = ()) -> tuple[Path, TraceWriter]:
        """Make the run's folder. Inputs go, untouched, to inputs/ so a replay can start from
        exactly what this run started from, and from there to work/ for the agent. An input
        that cannot be copied stops the run before it is recorded."""
        run = self.folder(record.id)
        folder = run.path
        try:
            for path in inputs:
                run.inputs.mkdir(parents=True, exist_ok=True)
                _copy_input(path, run.inputs / path.name)
        except MementoError:
            remove_tree_quietly(folder)
            raise
        run.work.mkdir(parents=True, exist_ok=False)
        for path in inputs:
            _copy_input(run.inputs / path.name, run.work / path.name)
        self.save(record)
        return folder, TraceWriter(run.trace)

    def save(self, record: RunRecord) -> None:
        atomic_write(self.folder(record.id).record, record.model_dump_json(indent=2).encode("utf-8"))

    def ids(self) -> list[str]:
        if not self.paths.runs.is_dir():
            return []
        return sorted(
            (p.name for p in self.paths.runs.iterdir() if RunFolder(p).is_run()),
            reverse=True,
        )

    def list(
        self, *, limit: int | None = None, failed_only: bool = False, include_replays: bool = True
    ) -> list[RunRecord]:
        out: list[RunRecord] = []
        for run_id in self.ids():
            record = self.load(run_id)
            if failed_only and record.status not in ("failed", "error", "interrupted"):
                continue
            if not include_replays and record.replay_of:
                continue
            out.append(record)
            if limit is not None and len(out) >= limit:
                break
        return out

    def resolve(self, given: str) -> str:
        """A run id from its start (``20261123-18``) or its random end (``3e2f``)."""
        ids = self.ids()
        wanted = given.strip()
        if wanted in ids:
            return wanted
        matches = sorted(i for i in ids if wanted and (i.startswith(wanted) or i.rsplit("-", 1)[-1] == wanted))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise MementoError(
                f"no run {given!r}",
                file=self.paths.runs,
                fix="see 'memento runs list' for run ids (the start of one, or its last part, is enough)",
            )
        shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
        raise MementoError(f"{given!r} matches {len(matches)} runs: {shown}", fix="give more of the id")

    def load(self, run_id: str) -> RunRecord:
        folder = self.dir(run_id)
        record: RunRecord | None = None
        try:
            record = RunRecord.model_validate_json(RunFolder(folder).record.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            record = self._rebuild(run_id)
        if record.status == "running" and not _pid_alive(record.pid):
            record.status = "interrupted"
        return record

    def _rebuild(self, run_id: str) -> RunRecord:
        """run.json is missing or broken: derive it from the trace."""
        events, _ = read_trace(self.folder(run_id).trace)
        record = RunRecord(id=run_id, task="(unknown task)", pid=-1)
        for event in events:
            if isinstance(event, RunStarted):
                record = RunRecord(
                    id=run_id,
                    task=event.task,
                    model=event.model,
                    check=event.check,
                    started=event.ts,
                    pid=event.pid,
                    inputs=event.inputs,
                    replay_of=event.replay_of,
                )
            elif isinstance(event, SkillsRetrieved):
                record.skills_retrieved = [h["name"] for h in event.hits]
            elif isinstance(event, ModelTurn):
                record.prompt_tokens += event.prompt_tokens
                record.completion_tokens += event.completion_tokens
                record.cost_usd += event.cost_usd
            elif isinstance(event, RunFailed) and event.guard:
                record.guard, record.guard_message = event.guard, event.message
            elif isinstance(event, VerdictGiven):
                record.status = "passed" if event.passed else "failed"
                record.verdict_source = event.source
                record.verdict_detail = event.detail
            elif isinstance(event, RunFinished):
                record.status = event.status
                record.finished = event.ts
                record.steps = event.steps
                record.skills_used = event.skills_used
                record.answer = event.answer
        return record

    def trace(self, run_id: str) -> tuple[builtins.list[Any], builtins.list[str]]:
        return read_trace(self.folder(run_id).trace)

    def mark(self, run_id: str, passed: bool, note: str = "") -> RunRecord:
        """A person's verdict: the strongest source there is. Appended to the trace."""
        run_id = self.resolve(run_id)
        record = self.load(run_id)
        writer = TraceWriter(self.folder(run_id).trace)
        try:
            writer.write(VerdictGiven(passed=passed, source="person", detail=note))
        finally:
            writer.close()
        record.status = "passed" if passed else "failed"
        record.verdict_source = "person"
        record.verdict_detail = note
        record.note = note
        self.save(record)
        return record

    def update(self, run_id: str, **fields: Any) -> RunRecord:
        record = self.load(run_id)
        for key, value in fields.items():
            setattr(record, key, value)
        self.save(record)
        return record


def trace_to_json_lines(events: list[Any]) -> str:
    return "\n".join(json.dumps(e.model_dump()) for e in events)

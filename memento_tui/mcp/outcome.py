"""``report_outcome``: the calling agent's verdict on a task, recorded as a run.

A run like the agent's own (``.memento/runs/<id>/``: trace, run.json, an empty work dir),
so everything that reads runs sees it: ``memento runs``, the Runs and Insights screens,
``memento stats``, ``memento search --eval`` (a passed run with its skill is a labelled
query) and ``memento reflect`` (a failed one, its note read as a person's would be). Its
trace holds what this client did with the skill since its last report (loads, reads and
commands, as the agent's tool calls), so a reflection has steps to point at, and the files
those commands were given are its inputs, so a replay starts where the client started. The verdict's
source is ``agent``: the agent's own report, the weakest source there is, which a person's
``memento runs mark`` overrides. Retrieval learns from it as from any run
(``teaching.teach``): a pass makes the task a trigger of the skill, a failure pushes the
skill down for similar tasks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from memento_tui.domain.agent.run_folder import RunFolder
from memento_tui.domain.agent.runs import RunRecord, new_run_id
from memento_tui.domain.agent.teaching import lessons, teach
from memento_tui.domain.agent.trace import (
    Note,
    RunFinished,
    RunStarted,
    SkillsRetrieved,
    ToolCalled,
    ToolResult,
    TraceWriter,
    VerdictGiven,
)
from memento_tui.domain.confined import ConfinedPath
from memento_tui.domain.errors import SkillError
from memento_tui.mcp import checks
from memento_tui.mcp.session import McpSession, Step
from memento_tui.mcp.skill_tools import find_skill
from memento_tui.services.factory import Services

MODEL_PREFIX = "mcp"


def _keep_inputs(folder: Path, inputs: dict[str, bytes]) -> None:
    """The commands' input files as the run's inputs (what a replay starts from) and in its
    work dir, written by the same rules as when they were first given."""
    run = RunFolder(folder)
    for root in (run.inputs, run.work):
        root.mkdir(exist_ok=True)
        for path, data in inputs.items():
            ConfinedPath(root, tuple(path.split("/")), path).write(data)


def report(session: McpSession, task: str, skill: str, passed: bool, note: str | None = "") -> dict[str, Any]:
    text = checks.task(task)
    chosen = find_skill(session, skill)
    if not isinstance(passed, bool):
        raise checks.CallRefused(
            "passed must be true or false", field="passed", fix="true when the task was done, false when it was not"
        )
    said = checks.text(note, "note", required=False)
    who = session.client or "an MCP client"
    services = session.services
    record = RunRecord(id=new_run_id(), task=text, model=f"{MODEL_PREFIX}:{session.client or 'client'}")
    hits = session.search_for(text)
    steps, inputs = session.take_steps(chosen.name)
    record.inputs = sorted(inputs)
    folder, writer = services.runs().create(record)
    _keep_inputs(folder, inputs)
    detail = f"reported over MCP by {who}" + (f": {said}" if said else "")
    try:
        _write_trace(
            writer,
            record,
            TraceInput(hits=hits, steps=steps, skill=chosen.name, who=who, passed=passed, detail=detail, said=said),
        )
    finally:
        writer.close()
    record.status = "passed" if passed else "failed"
    record.verdict_source = "agent"
    record.verdict_detail = detail
    record.note = said
    record.answer = said
    record.steps = len(steps)
    record.skills_used = [chosen.name]
    record.skills_retrieved = [h["name"] for h in hits] if hits else []
    record.finished = time.time()
    services.runs().save(record)
    learned = _teach(services, record, chosen.name)
    if not passed:
        session.note_failure(chosen.name, record.id)
    answer: dict[str, Any] = {
        "run_id": record.id,
        "status": record.status,
        "steps_recorded": len(steps),
        "retrieval_learned": learned,
        "run_folder": str(folder.relative_to(services.paths.root)),
    }
    if not passed:
        answer["next"] = (
            f"propose_patch(skill={chosen.name!r}, ...) with your fix (it is tied to this run), "
            f"or let a person run 'memento reflect {record.id}'"
        )
    return answer


@dataclass(frozen=True)
class TraceInput:
    """What a reported run's trace is made of."""

    hits: list[dict[str, Any]] | None
    steps: list[Step]
    skill: str
    who: str
    passed: bool
    detail: str
    said: str


def _write_trace(writer: TraceWriter, record: RunRecord, given: TraceInput) -> None:
    """The run's trace as a run of Memento's own would have it: the client's calls with
    their results, then its verdict (the agent's own report, the weakest source)."""
    writer.write(RunStarted(run_id=record.id, task=record.task, model=record.model))
    if given.hits is not None:
        writer.write(SkillsRetrieved(hits=given.hits))
    writer.write(
        Note(
            message=f"the task was done by {given.who} through memento mcp; its own "
            "reasoning is not in this trace, only its calls"
        )
    )
    for number, step in enumerate(given.steps, 1):
        call_id = f"mcp-{number}"
        writer.write(ToolCalled(step=number, call_id=call_id, name=step.tool, arguments=step.arguments))
        writer.write(
            ToolResult(
                step=number,
                call_id=call_id,
                name=step.tool,
                ok=step.ok,
                output=step.output,
                exit_code=step.exit_code,
                limit=step.limit,
                skill=given.skill,
                duration=step.duration,
                sandboxed=step.sandboxed,
            )
        )
    last = len(given.steps)
    writer.write(VerdictGiven(step=last, passed=given.passed, source="agent", detail=given.detail))
    status: Literal["passed", "failed"] = "passed" if given.passed else "failed"
    writer.write(RunFinished(step=last, status=status, answer=given.said, steps=last, skills_used=[given.skill]))


def _teach(services: Services, record: RunRecord, skill: str) -> list[str]:
    """Retrieval learns from the reported outcome as from a run; what it learned, in words."""
    if not services.workspace.config.retrieval.learn:
        return []
    index = services.index()
    try:
        teach(index, record)
    except SkillError:  # made since the index last looked: read it, then learn
        index.update_skill(skill)
        teach(index, record)
    return [f"{kind}: {name}" for kind, name in lessons(record)]

"""Hand-written run folders (run.json + trace.jsonl, as the agent loop writes them) and a
real patch branch whose evidence points at them: the failed run, its replay, a regression."""

from __future__ import annotations

from typing import Any

from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.agent.trace import (
    ModelTurn,
    RunFinished,
    RunStarted,
    ToolCalled,
    ToolResult,
    VerdictGiven,
)
from memento_tui.domain.patches.model import Patch, RegressionResult, ReplayResult
from memento_tui.services.factory import Services
from tests.ui.conftest import evidence, make_patch

FAILED = "20260101-000000-abcd"
REPLAY = "20260101-000100-bbbb"
REGRESSION = "20260101-000200-cccc"
TASK = "convert people.csv to JSON"
# What the failing script printed: a terminal escape and a bidi override among it.
OUTPUT = "Traceback (most recent call last):\ncsv.Error: field larger than field limit \x1b[2J\u202eredacted"


def write_run(services: Services, run_id: str, task: str, events: list[Any], status: str) -> None:
    store = services.runs()
    _, writer = store.create(RunRecord(id=run_id, task=task, pid=-1))
    for event in [RunStarted(run_id=run_id, task=task, model="scripted"), *events]:
        writer.write(event)
    writer.close()
    store.update(run_id, status=status, skills_used=["csv-json"], finished=1.0)


def failed_run_events() -> list[Any]:
    return [
        ModelTurn(step=1),
        ToolCalled(step=1, call_id="c1", name="load_skill", arguments={"name": "csv-json"}),
        ToolResult(step=1, call_id="c1", name="load_skill", ok=True, output="# csv-json"),
        ModelTurn(step=2),
        ToolCalled(
            step=2, call_id="c2", name="run", arguments={"command": "python3 /skill/scripts/csv2json.py people.csv"}
        ),
        ToolResult(step=2, call_id="c2", name="run", ok=False, output=OUTPUT, exit_code=1, skill="csv-json"),
        ModelTurn(step=3),
        ToolCalled(step=3, call_id="c3", name="finish", arguments={"answer": "done"}),
        ToolResult(step=3, call_id="c3", name="finish", ok=True, output="finished"),
        VerdictGiven(
            step=3,
            passed=False,
            source="check",
            detail="check exited 1",
            check_output="AssertionError: expected 3 records, got 1",
        ),
        RunFinished(step=3, status="failed"),
    ]


def passing_events(detail: str = "check exited 0") -> list[Any]:
    return [
        ModelTurn(step=1),
        ToolCalled(
            step=1,
            call_id="c1",
            name="run",
            arguments={"command": "python3 /skill/scripts/csv2json.py --delimiter ';' people.csv"},
        ),
        ToolResult(step=1, call_id="c1", name="run", ok=True, output="wrote people.json", exit_code=0),
        VerdictGiven(step=1, passed=True, source="check", detail=detail),
        RunFinished(step=1, status="passed"),
    ]


def patch_with_runs(services: Services, *, marker: str = "Semicolons too") -> Patch:
    """The three runs on disk and a real patch branch whose evidence names them."""
    write_run(services, FAILED, TASK, failed_run_events(), "failed")
    write_run(services, REPLAY, TASK, passing_events(), "passed")
    regression = passing_events("check exited 1")
    regression[-2] = VerdictGiven(step=1, passed=False, source="check", detail="check exited 1")
    write_run(services, REGRESSION, "convert orders.csv to JSON", regression, "failed")
    ev = evidence(
        run_id=FAILED,
        decision_step=2,
        replay=ReplayResult(result="passed", run_id=REPLAY),
        regressions=[RegressionResult(run_id=REGRESSION, task="convert orders.csv to JSON", passed=False)],
        validated=False,
    )
    return make_patch(services, marker=marker, ev=ev)

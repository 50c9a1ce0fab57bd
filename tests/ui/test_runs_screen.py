"""Runs: history with verdicts and costs, failures only, a readable trace, a person's verdict
with a note, reflection on a failure; Insights: counts from the same history."""

from __future__ import annotations

from textual.widgets import DataTable, Input, RichLog, Static

from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.agent.trace import (
    ModelTurn,
    RunFinished,
    RunStarted,
    SkillsRetrieved,
    ToolCalled,
    ToolResult,
    VerdictGiven,
)
from memento_tui.services.factory import Services
from memento_tui.ui.screens.dialogs import ReasonScreen
from memento_tui.ui.screens.insights import InsightsScreen
from memento_tui.ui.screens.learn import LearnScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.screens.trace import TraceScreen
from tests.ui.conftest import drive


def add_run(
    services: Services, run_id: str, task: str, passed: bool, skill: str = "csv-json", category: str | None = None
) -> RunRecord:
    store = services.runs()
    status = "passed" if passed else "failed"
    record = RunRecord(id=run_id, task=task, model="openai/scripted", pid=-1)
    _, writer = store.create(record)
    for event in (
        RunStarted(run_id=run_id, task=task, model="openai/scripted", pid=-1),
        SkillsRetrieved(hits=[{"name": skill, "score": 3.5, "description": "x", "why": ["name"]}]),
        ModelTurn(text="Loading the skill.", prompt_tokens=100, completion_tokens=20, cost_usd=0.001, duration=0.5),
        ToolCalled(call_id="c1", name="run", arguments={"command": "python3 /skill/scripts/csv2json.py in.csv"}),
        ToolResult(call_id="c1", name="run", ok=passed, output="converted 2 rows", exit_code=0 if passed else 1),
        VerdictGiven(passed=passed, source="check", detail="check exited 0" if passed else "check exited 1"),
        RunFinished(
            status=status, steps=2, prompt_tokens=100, completion_tokens=20, cost_usd=0.001, skills_used=[skill]
        ),
    ):
        writer.write(event)
    writer.close()
    record.status = status  # type: ignore[assignment]
    record.verdict_source = "check"
    record.verdict_detail = "check exited 0" if passed else "check exited 1"
    record.skills_used = [skill]
    record.prompt_tokens, record.completion_tokens, record.cost_usd = 100, 20, 0.001
    record.failure_category = category
    store.save(record)
    return record


def _ids(screen: RunsScreen) -> list[str]:
    return [str(k.value) for k in screen.query_one("#runs-table", DataTable).rows]


async def test_history_filter_and_a_readable_trace(services: Services) -> None:
    add_run(services, "20260101-000001-aaaa", "convert a.csv", True)
    add_run(services, "20260101-000002-bbbb", "convert b.csv", False)
    async with drive(services, mode="runs") as d:
        screen = d.app.screen
        await d.until(lambda: d.seen(RunsScreen.RunsLoaded))
        assert _ids(screen) == ["20260101-000002-bbbb", "20260101-000001-aaaa"]
        assert "2 runs (all runs) · 1 failed · $0.0020" in str(screen.query_one("#runs-count", Static).render())
        detail = str(screen.query_one("#run-detail", Static).render())
        assert "convert b.csv" in detail and "check exited 1" in detail and "cost: $0.0010" in detail
        await d.press("f")
        await d.until(lambda: _ids(screen) == ["20260101-000002-bbbb"])
        await d.press("enter")
        trace = d.app.screen
        assert isinstance(trace, TraceScreen)
        await d.until(lambda: d.seen(TraceScreen.TraceLoaded))
        lines = [s.text for s in trace.query_one("#trace-log", RichLog).lines]
        text = "\n".join(lines)
        assert "skills: csv-json 3.50" in text and "→ run" in text and "verdict FAIL by check" in text
        await d.press("escape")
        assert isinstance(d.app.screen, RunsScreen)


async def test_mark_a_run_with_a_note_and_reflect_only_on_failures(services: Services) -> None:
    add_run(services, "20260101-000001-aaaa", "convert a.csv", True)
    async with drive(services, mode="runs") as d:
        screen = d.app.screen
        await d.until(lambda: d.seen(RunsScreen.RunsLoaded))
        await d.press("l")  # a passed run: nothing to reflect on, and the key says why
        assert any("reflection learns from failed runs" in n for n in d.notifications())
        await d.press("F")
        dialog = d.app.screen
        assert isinstance(dialog, ReasonScreen)
        dialog.query_one("#reason", Input).value = "the JSON keys were wrong"
        await d.press("enter")
        await d.until(lambda: d.seen(RunsScreen.RunMarked), "the verdict")
        marked = services.runs().load("20260101-000001-aaaa")
        assert (
            marked.status == "failed"
            and marked.verdict_source == "person"
            and marked.note == "the JSON keys were wrong"
        )
        await d.until(lambda: screen.current is not None and screen.current.status == "failed")
        # With no model configured, reflection says what is missing.
        await d.press("l")
        assert any("no model is configured" in n for n in d.notifications())
        assert not isinstance(d.app.screen, LearnScreen)


async def test_insights_counts_runs_by_status(services: Services) -> None:
    add_run(services, "20260101-000001-aaaa", "convert a.csv", True)
    add_run(services, "20260101-000002-bbbb", "convert b.csv", False, category="bug_in_skill")
    add_run(services, "20260101-000003-cccc", "stats", True, skill="text-stats")
    async with drive(services, mode="insights") as d:
        screen = d.app.screen
        await d.until(lambda: d.seen(InsightsScreen.CountsLoaded))
        await d.until(lambda: len(screen.query(DataTable)) > 0)
        table = screen.query(DataTable).first()
        status = {str(row[0]): str(row[1]) for row in (table.get_row_at(i) for i in range(table.row_count))}
        assert status == {"passed": "2", "failed": "1"}
        assert "3 runs recorded" in str(screen.query_one("#insights-summary", Static).render())

"""Failure causes per skill and the skill-listing cost, on runs written by hand.

Expected figures are worked out by hand in the comments.
"""

from __future__ import annotations

import json

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.runs import RunRecord, RunStore
from memento_tui.domain.agent.trace import RunFailed, RunStarted, SkillsRetrieved, ToolResult
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.insights import load_insights
from tests.conftest import write_skill

CSV = ("csv-json", "Convert CSV.")  # "- csv-json: Convert CSV." is 24 characters: 6 tokens


def _run(
    store: RunStore,
    run_id: str,
    *,
    task: str,
    status: str,
    started: float,
    used: list[str],
    shown: list[tuple[str, str]],
    events: list,
    reflection: dict | None = None,
    replay_of: str | None = None,
) -> None:
    record = RunRecord(
        id=run_id,
        task=task,
        status=status,
        started=started,
        pid=-1,
        skills_used=used,  # type: ignore[arg-type]
        skills_retrieved=[n for n, _ in shown],
        replay_of=replay_of,
    )
    _, writer = store.create(record)
    writer.write(RunStarted(run_id=run_id, task=task, model="m"))
    writer.write(SkillsRetrieved(hits=[{"name": n, "score": 1.0, "description": d, "why": []} for n, d in shown]))
    for event in events:
        writer.write(event)
    writer.close()
    if reflection is not None:
        (store.dir(run_id) / "reflection.json").write_text(json.dumps({"ok": True, "reflection": reflection}))


@pytest.fixture
def history(empty_workspace: Workspace) -> Workspace:
    ws = empty_workspace
    write_skill(ws.paths.skills, "csv-json", "name: csv-json\ndescription: Convert CSV.\n")
    write_skill(ws.paths.skills, "date-normalize", "name: date-normalize\ndescription: Fix dates.\n")
    store = RunStore(ws.paths)
    # A: failed with json-query; B later passed the same task with csv-json, which A never
    # retrieved -> retrieval miss, charged to csv-json.
    _run(
        store,
        "20260101-000001-aaaa",
        task="turn data.csv into JSON",
        status="failed",
        started=1.0,
        used=["json-query"],
        shown=[("json-query", "Query JSON.")],
        events=[],
    )
    _run(
        store,
        "20260101-000002-bbbb",
        task="Turn data.csv into  JSON",
        status="passed",
        started=2.0,
        used=["csv-json"],
        shown=[CSV],
        events=[],
    )
    # C: a date-normalize script exited 2 -> script error, charged to date-normalize.
    _run(
        store,
        "20260101-000003-cccc",
        task="fix dates",
        status="failed",
        started=3.0,
        used=["date-normalize"],
        shown=[CSV],
        events=[ToolResult(call_id="1", name="run", ok=False, output="boom", exit_code=2, skill="date-normalize")],
    )
    # D: the script ran fine but the check failed; reflection names date-normalize -> instruction.
    _run(
        store,
        "20260101-000004-dddd",
        task="UK dates",
        status="failed",
        started=4.0,
        used=["date-normalize"],
        shown=[CSV],
        events=[ToolResult(call_id="1", name="run", ok=True, output="", exit_code=0, skill="date-normalize")],
        reflection={"category": "wrong_data_format_assumption", "weak_skill": "date-normalize"},
    )
    # E: the model fell over -> outside the skill, charged to no skill; it was shown nothing.
    _run(
        store,
        "20260101-000005-eeee",
        task="anything",
        status="error",
        started=5.0,
        used=[],
        shown=[],
        events=[RunFailed(kind="model_server", message="the model server failed")],
    )
    # F: a replay: left out of every figure.
    _run(
        store,
        "20260101-000006-ffff",
        task="fix dates",
        status="failed",
        started=6.0,
        used=["date-normalize"],
        shown=[CSV],
        events=[ToolResult(call_id="1", name="run", ok=False, output="", exit_code=1, skill="date-normalize")],
        replay_of="20260101-000003-cccc",
    )
    return ws


def test_each_failed_run_is_charged_to_one_skill_and_one_cause(history: Workspace) -> None:
    insights = load_insights(make_services(history))
    rows = {c.skill: c.counts for c in insights.causes}
    assert rows == {
        "date-normalize": {"retrieval_miss": 0, "script_error": 1, "instruction": 1, "outside": 0},
        "csv-json": {"retrieval_miss": 1, "script_error": 0, "instruction": 0, "outside": 0},
        "(none)": {"retrieval_miss": 0, "script_error": 0, "instruction": 0, "outside": 1},
    }
    assert [c.skill for c in insights.causes] == ["date-normalize", "(none)", "csv-json"]


def test_listing_cost_against_listing_every_skill(history: Workspace) -> None:
    listing = load_insights(make_services(history)).listing
    # A was shown "- json-query: Query JSON." (25 characters: 7 tokens), B-D csv-json (6 tokens
    # each), E nothing: 25 / 5 = 5.0 tokens a run.
    assert listing.runs == 5
    assert listing.average_listed == pytest.approx(5.0)
    # "- csv-json: Convert CSV.\n- date-normalize: Fix dates." is 53 characters: 14 tokens.
    assert listing.all_skills == 14 and listing.skills == 2
    assert listing.saved_share == pytest.approx(1 - 5.0 / 14)


def test_stats_prints_the_split_and_the_listing_cost(history: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(history.root), "stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["causes"][0] == {
        "skill": "date-normalize",
        "counts": {"retrieval_miss": 0, "script_error": 1, "instruction": 1, "outside": 0},
        "total": 2,
        "fix": "the code",
    }
    assert data["listing"]["all_skills"] == 14
    assert main(["-C", str(history.root), "stats"]) == 0
    out = capsys.readouterr().out
    assert "Why skills fail" in out
    assert "retrieval miss" in out
    assert "≈5 tokens a run for the retrieved skills, against ≈14 to list all 2 skills" in out

"""memento search --eval: leave-one-out retrieval quality on a workspace with known runs.

Skills have disjoint words, so every rank below is worked out by hand:

    alpha "apples bananas"   beta "carrots daikon"   gamma "eggs flour"   delta "honey jam"

    R1 "apples please"    -> alpha   rank 1 (its description)
    R2 "bananas"          -> alpha   rank 1
    R3 "flour"            -> delta   not found: gamma's description wins, and delta's only
                                     trigger is R3's own, which leave-one-out removes
    R4 "dill weed"        -> beta    rank 1, through R5's trigger "dill weed sauce"
    R5 "dill weed sauce"  -> beta    rank 1, through R4's trigger "dill weed"

    overall: Recall@1 4/5 = 0.8, Recall@5 0.8, MRR (1+1+0+1+1)/5 = 0.8
"""

from __future__ import annotations

import json

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.runs import RunRecord, RunStore
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from tests.conftest import write_skill

SKILLS = {"alpha": "apples bananas", "beta": "carrots daikon", "gamma": "eggs flour", "delta": "honey jam"}
RUNS = [
    ("20260101-000001-0001", "apples please", "alpha"),
    ("20260101-000002-0002", "bananas", "alpha"),
    ("20260101-000003-0003", "flour", "delta"),
    ("20260101-000004-0004", "dill weed", "beta"),
    ("20260101-000005-0005", "dill weed sauce", "beta"),
]


@pytest.fixture
def history(empty_workspace: Workspace) -> Workspace:
    ws = empty_workspace
    for name, words in SKILLS.items():
        write_skill(ws.paths.skills, name, f"name: {name}\ndescription: {words}\n", body="# Notes\n")
    store = RunStore(ws.paths)
    services = make_services(ws)
    for run_id, task, skill in RUNS:
        store.create(RunRecord(id=run_id, task=task, status="passed", pid=-1, skills_used=[skill]))[1].close()
        services.index().record_success(task, skill)  # what a passing run teaches
    # A replay that passed is not a labelled query.
    store.create(
        RunRecord(
            id="20260101-000006-0006", task="honey", status="passed", pid=-1, skills_used=["delta"], replay_of="x"
        )
    )[1].close()
    services.close()
    return ws


def test_leave_one_out_figures_match_the_hand_worked_ones(
    history: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-C", str(history.root), "search", "--eval", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["queries"] == 5
    assert (data["recall_at_1"], data["recall_at_5"], data["mrr"]) == (0.8, 0.8, 0.8)
    skills = {s["skill"]: s for s in data["skills"]}
    assert [s["skill"] for s in data["skills"]] == ["delta", "alpha", "beta"]
    assert skills["delta"]["never_found"] is True
    assert skills["delta"]["recall_at_1"] == 0.0
    assert skills["delta"]["misses"][0]["winner"] == "gamma"
    assert skills["delta"]["suggested_words"] == ["flour"]
    assert skills["beta"]["recall_at_1"] == 1.0 and skills["beta"]["queries"] == 2
    assert skills["alpha"]["mrr"] == 1.0


def test_the_report_lists_the_never_found_skill_first_with_the_fix(
    history: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-C", str(history.root), "search", "--eval"]) == 0
    out = capsys.readouterr().out
    assert "5 past tasks, each searched leave-one-out:  Recall@1 0.80  Recall@5 0.80  MRR 0.80" in out
    lines = [line for line in out.splitlines() if line.startswith("  ") and "tasks" in line]
    assert lines[0].split()[0] == "delta" and "never first for its own tasks" in lines[0]
    assert "lost to gamma; its description lacks: flour" in out


def test_without_runs_it_says_what_it_needs(empty_workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(empty_workspace.root), "search", "--eval"]) == 0
    assert "no passed runs yet" in capsys.readouterr().out


def test_the_agents_second_stage_is_measured_on_the_same_runs(
    history: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # The sentence model ranks the same candidates; delta's one task ("flour") still has
    # nothing pointing at delta once its own success is left out, so it stays missed.
    assert main(["-C", str(history.root), "search", "--eval", "--json"]) == 0
    agent = json.loads(capsys.readouterr().out)["agent"]
    assert agent["queries"] == 5
    skills = {s["skill"]: s for s in agent["skills"]}
    assert skills["delta"]["never_found"] is True
    assert skills["alpha"]["recall_at_1"] == 1.0 and skills["beta"]["recall_at_1"] == 1.0
    assert main(["-C", str(history.root), "search", "--eval"]) == 0
    out = capsys.readouterr().out
    assert "the agent's ranking (second stage, the sentence model), same tasks:  Recall@1 0.80" in out

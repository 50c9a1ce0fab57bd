"""A newer Memento reads an older workspace: the fixture was written in December 2026 by
format 1 of every record (tests/fixtures/workspace_v1/make.py). And a record newer than
this Memento knows is refused with the fix, never misread."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.evaluation.state import EvalState
from memento_tui.domain.formats import CURRENT, NewerFormat
from memento_tui.domain.retrieval.learned import LearnedStore
from memento_tui.services.factory import make_services

FIXTURE = Path(__file__).parent / "fixtures" / "workspace_v1" / "workspace.tar.gz"


@pytest.fixture
def old_workspace(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "ws"


def test_a_workspace_of_format_1_reads_whole(old_workspace: Path, capsys) -> None:
    services = make_services(old_workspace)
    runs = services.runs().list(include_replays=False)
    assert sorted(r.status for r in runs) == ["failed", "passed"]
    assert all(r.version == 1 for r in runs)
    events, problems = services.runs().trace(runs[0].id)
    assert problems == [] and events[0].type == "run_started"
    patches = {p.status: p for p in services.patches().list("all")}
    assert set(patches) == {"merged", "rejected", "pending"}
    assert patches["rejected"].reason == "not the real problem"
    assert "Note 2." in services.patches().diff_text(patches["pending"].id)
    learned = LearnedStore(old_workspace / ".memento" / "learned")
    assert [r.kind for r in learned.rows] == ["success", "failure"] and learned.problems == []
    state = EvalState.model_validate_json((old_workspace / ".memento" / "eval-state-sample.json").read_text())
    assert state.rounds_target == 3
    assert main(["-C", str(old_workspace), "search", "convert a csv file to json"]) == 0
    assert "csv-json" in capsys.readouterr().out


def test_every_record_kind_has_a_version_and_today_is_format_1() -> None:
    # eval is at 2: its rounds say which tasks retrieval already learned from one by one.
    assert CURRENT == {"run": 1, "patch": 1, "review": 1, "outcome": 1, "eval": 2, "reflection": 1}


def test_an_eval_round_begun_before_round_end_teaching_is_not_taught_twice() -> None:
    base = {
        "id": "e1",
        "suite_name": "s",
        "suite_path": "s.yaml",
        "suite_sha256": "x",
        "task_ids": ["a", "b", "c"],
        "rounds_target": 3,
        "source_root": "/ws",
        "source_main": "c0ffee",
        "clone": "/ws/.memento/eval/s-e1",
    }
    tasks = {name: {"task_id": name, "run_id": f"r-{name}", "status": "passed"} for name in ("b", "a")}
    older = {**base, "version": 1, "rounds": [{"number": 1, "tasks": tasks}]}
    # Such a Memento taught each task as it finished: a and b are taught, c is still to run.
    assert EvalState.model_validate(older).rounds[0].taught_tasks == ["a", "b"]
    # A version-1 round that already knew round-end teaching is left as it was.
    newer = {**base, "version": 1, "rounds": [{"number": 1, "taught": False, "tasks": tasks}]}
    assert EvalState.model_validate(newer).rounds[0].taught_tasks == []


def test_a_record_from_a_newer_memento_is_refused_with_the_fix(old_workspace: Path, capsys) -> None:
    services = make_services(old_workspace)
    run = services.runs().list(include_replays=False)[0]
    path = services.runs().dir(run.id) / "run.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "version": 2}))
    with pytest.raises(NewerFormat, match="written by a newer Memento"):
        services.runs().load(run.id)
    assert main(["-C", str(old_workspace), "runs", "show", run.id]) == 2
    assert "upgrade Memento" in capsys.readouterr().err
    # An outcome row from a teammate's newer Memento is skipped and said, the rest is used.
    outcomes = old_workspace / ".memento" / "learned" / "outcomes.jsonl"
    with outcomes.open("a") as handle:
        handle.write(json.dumps({"version": 9, "kind": "success", "task": "x", "skill": "csv-json"}) + "\n")
    learned = LearnedStore(outcomes.parent)
    assert len(learned.rows) == 2
    assert "newer Memento" in learned.problems[0].message

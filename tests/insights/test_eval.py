"""``memento eval`` end to end: scripted model through litellm, real sandbox, real git clone.

The scripted model answers by reading each request, like a real model would: the agent
part follows what the loaded SKILL.md says (so a merged patch changes what it does), and
the reflection and writer parts answer in their schemas.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from memento_tui.domain.workspace import Workspace
from memento_tui.services.evaluation import EvalOptions, run_eval
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import ScriptedServer, Step, call, say

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

PITFALL = (
    "## Day-first sources\n\nUK and European files write dates day-first: when the task says "
    "UK, British or European, pass `--dayfirst`."
)
UK_CHECK = (
    "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; "
    "assert d == ['2024-04-03', '2024-02-01'], d\""
)
US_CHECK = (
    "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; assert d == ['2024-03-04'], d\""
)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def _suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suites"
    (folder / "mini").mkdir(parents=True)
    (folder / "mini" / "invoices.csv").write_text("id,date\n1,03/04/2024\n2,01/02/2024\n")
    (folder / "mini" / "orders.csv").write_text("id,date\n7,03/04/2024\n")
    suite = folder / "mini.yaml"
    suite.write_text(
        textwrap.dedent(
            f"""\
            name: mini
            tasks:
              - id: uk-dates
                prompt: Normalise the dates in the UK invoice file invoices.csv to ISO 8601 and save as out.csv
                inputs: [mini/invoices.csv]
                check: {json.dumps(UK_CHECK)}
                tags: [data-format]
              - id: us-dates
                prompt: Normalise the dates in the US orders file orders.csv to ISO 8601 and save as out.csv
                inputs: [mini/orders.csv]
                check: {json.dumps(US_CHECK)}
            """
        )
    )
    return suite


class Model:
    """One scripted model for the agent, the reflection and the writer."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, body: dict[str, Any]) -> Step:
        messages = body["messages"]
        system = messages[0]["content"] if messages[0]["role"] == "system" else ""
        if system.startswith("You are reviewing a failed run"):
            self.seen.append("reflect")
            return say(
                json.dumps(
                    {
                        "category": "wrong_data_format_assumption",
                        "weak_skill": "date-normalize",
                        "decision_step": 2,
                        "missing_or_assumed": "The UK file is day-first; the skill read it month-first.",
                        "fix_kind": "patch_skill",
                        "summary": "date-normalize assumes month-first dates; UK data is day-first.",
                    }
                )
            )
        if system.startswith("You fix a skill"):
            self.seen.append("write")
            text = messages[1]["content"]
            start = text.index("--- SKILL.md ---\n") + len("--- SKILL.md ---\n")
            end = text.find("\n\n--- ", start)
            current = text[start : end if end != -1 else None]
            edit = {
                "files": [{"path": "SKILL.md", "content": current.rstrip("\n") + "\n\n" + PITFALL + "\n"}],
                "message": "Say when to pass --dayfirst",
            }
            return say(json.dumps(edit))
        self.seen.append("agent")
        task = messages[1]["content"]
        source = "invoices.csv" if "invoices.csv" in task else "orders.csv"
        turns = sum(1 for m in messages if m["role"] == "assistant")
        if turns == 0:
            return call("load_skill", name="date-normalize")
        if turns == 1:
            skill_text = "\n".join(m.get("content") or "" for m in messages if m["role"] == "tool")
            flag = " --dayfirst" if "Day-first sources" in skill_text and "UK" in task else ""
            return call(
                "run",
                command=f"python3 /skill/scripts/normalize_dates.py {source} --column date -o out.csv{flag}",
            )
        return call("finish", answer="wrote out.csv", success=True)


def test_two_rounds_learn_in_the_clone_and_leave_main_alone(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    model = Model()
    scripted.add(model)
    scripted.repeat_last = True
    root = workspace.root
    head, status = _git(root, "rev-parse", "main"), _git(root, "status", "--porcelain")
    branches = _git(root, "branch", "--list")
    lines: list[str] = []

    outcome = run_eval(make_services(workspace), _suite(tmp_path), EvalOptions(rounds=2), lines.append)

    state = outcome.state
    r1, r2 = state.rounds
    assert {k: v.status for k, v in r1.tasks.items()} == {
        "uk-dates": "failed",
        "us-dates": "passed",
    }
    assert {k: v.status for k, v in r2.tasks.items()} == {
        "uk-dates": "passed",
        "us-dates": "passed",
    }
    learned = r1.learned["uk-dates"]
    assert learned.status == "patched" and learned.validated and learned.skill == "date-normalize"
    assert learned.category == "wrong_data_format_assumption"
    assert (r1.proposed, r1.validated, r1.merged) == (1, 1, 1)
    assert r2.learning_done is False and r2.learned == {}  # no learning after the last round
    assert state.first_passed() == {"uk-dates": 2, "us-dates": 1}
    assert "reflect" in model.seen and "write" in model.seen

    # The patch reached the clone's main, and only the clone's.
    clone = Path(state.clone)
    assert clone.parent == workspace.paths.eval
    assert PITFALL.splitlines()[0] in (clone / "skills/date-normalize/SKILL.md").read_text()
    merge = _git(clone, "log", "-1", "--format=%s", "main")
    assert merge == f"Merge memento patch {learned.patch_id} for date-normalize into main"
    assert _git(clone, "remote") == ""
    assert _git(root, "rev-parse", "main") == head
    assert _git(root, "status", "--porcelain") == status
    assert _git(root, "branch", "--list") == branches
    assert PITFALL.splitlines()[0] not in (root / "skills/date-normalize/SKILL.md").read_text()

    # Reports: JSON, Markdown, and the progress lines as they went.
    data = json.loads(outcome.report_json.read_text())
    assert [r["success_rate"] for r in data["rounds"]] == [0.5, 1.0]
    assert data["rounds"][0]["patches_merged"] == 1 and data["rounds"][0]["skills"] >= 1
    assert data["rounds"][0]["tokens"] > data["rounds"][0]["run_tokens"]  # learning counted
    assert {t["id"]: t["first_passed_round"] for t in data["tasks"]} == {
        "uk-dates": 2,
        "us-dates": 1,
    }
    md = outcome.report_md.read_text()
    assert "| 1 | 50% | 1/2 |" in md and "| 2 | 100% | 2/2 |" in md and "█" in md
    assert any("merged into the eval clone" in line for line in lines)


def test_an_interrupted_eval_resumes_where_it_stopped(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.add(Model())
    scripted.repeat_last = True
    suite = _suite(tmp_path)
    calls = {"n": 0}

    def stop_after_first_task(line: str) -> None:
        if "[1/2]" in line:
            calls["n"] += 1
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(
            make_services(workspace),
            suite,
            EvalOptions(rounds=2, learn=False, jobs=1),
            stop_after_first_task,
        )

    lines: list[str] = []
    outcome = run_eval(make_services(workspace), suite, EvalOptions(rounds=2, learn=False, jobs=1), lines.append)
    assert outcome.resumed and any(line.startswith("resuming eval") for line in lines)
    state = outcome.state
    assert state.status == "finished" and [len(r.tasks) for r in state.rounds] == [2, 2]
    # 4 finished task runs in all: the task finished before the interruption was not run
    # again (one that had just started was stopped, and ran again).
    clone_runs = make_services(Path(state.clone)).runs().list(include_replays=False)
    assert len([r for r in clone_runs if r.status in ("passed", "failed")]) == 4
    assert all(r.status in ("passed", "failed", "cancelled", "error") for r in clone_runs)
    assert not state.learn or all(not r.learned for r in state.rounds)
    assert len(list(workspace.paths.eval.iterdir())) == 1

    # A finished eval is not resumed: the same command starts a new one.
    again = run_eval(make_services(workspace), suite, EvalOptions(rounds=1, learn=False))
    assert not again.resumed and again.state.id != state.id


def test_eval_cli_lists_and_reports(
    workspace: Workspace,
    scripted: ScriptedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from memento_tui.cli.main import main

    scripted.add(Model())
    scripted.repeat_last = True
    suite = _suite(tmp_path)
    code = main(["-C", str(workspace.root), "eval", str(suite), "--rounds", "1", "--task", "us-dates"])
    out = capsys.readouterr().out
    assert code == 0
    assert "round 1  " in out and "100%  (1/1)" in out and "report:" in out
    assert main(["-C", str(workspace.root), "eval", "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["suite"] == "mini" and listed[0]["status"] == "finished"
    assert main(["-C", str(workspace.root), "eval", str(suite), "--task", "nope"]) == 2
    assert "no task 'nope'" in capsys.readouterr().err


def test_jobs_run_a_round_at_once_with_the_same_results_as_one_at_a_time(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    """Nothing a task does reaches another of the same round: retrieval learns at the round's
    end in the suite's order, merges happen between rounds."""
    scripted.add(Model())
    scripted.repeat_last = True
    suite = _suite(tmp_path)
    outcomes = {}
    for jobs in (1, 2):
        lines: list[str] = []
        outcome = run_eval(make_services(workspace), suite, EvalOptions(rounds=2, new=True, jobs=jobs), lines.append)
        state = outcome.state
        outcomes[jobs] = [
            ({k: v.status for k, v in r.tasks.items()}, (r.proposed, r.validated, r.merged), r.taught)
            for r in state.rounds
        ]
        assert sum(line.strip().startswith("started ") for line in lines) == 4
        if jobs == 2:
            assert any("2 at a time" in line for line in lines)
        clone = make_services(Path(state.clone))
        triggers = clone.index().triggers("date-normalize")
        assert any("US orders" in t for t in triggers)  # round 1's pass was taught
    assert outcomes[1] == outcomes[2]
    assert outcomes[1][0][0] == {"uk-dates": "failed", "us-dates": "passed"}


def test_an_interrupted_eval_of_many_jobs_stops_its_running_tasks_and_resumes(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    """Ctrl-C with tasks running side by side: they stop at once; the ones that had not
    finished run again on resume, the finished one does not."""
    scripted.add(Model())
    scripted.repeat_last = True
    suite = _suite(tmp_path)

    def stop_after_first_task(line: str) -> None:
        if "/2] " in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(make_services(workspace), suite, EvalOptions(rounds=1, learn=False, jobs=2), stop_after_first_task)
    outcome = run_eval(make_services(workspace), suite, EvalOptions(rounds=1, learn=False, jobs=2))
    assert outcome.resumed and outcome.state.status == "finished"
    assert sorted(outcome.state.rounds[0].tasks) == ["uk-dates", "us-dates"]

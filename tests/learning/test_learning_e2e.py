"""Reflect → Write → Replay end to end: scripted model through litellm, real sandbox, real git."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.learning import learn_from_run
from memento_tui.testing.scripted_server import ScriptedServer
from tests.learning.scripted_models import (
    ALWAYS_PITFALL,
    DAYFIRST_PITFALL,
    Router,
    current_skill_md,
    date_agent,
    reflection,
    skill_edit,
)

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

UK_TASK = "Normalise the dates in the UK invoice file invoices.csv to ISO 8601 and save as out.csv"
UK_CHECK = "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; assert d == ['2024-04-03', '2024-02-01'], d\""
US_TASK = "Normalise the dates in the US orders file orders.csv to ISO 8601 and save as out.csv"
US_CHECK = (
    "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; assert d == ['2024-03-04'], d\""
)


def _git(ws: Workspace, *args: str) -> str:
    return subprocess.run(["git", "-C", str(ws.root), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def invoices(tmp_path: Path) -> Path:
    path = tmp_path / "invoices.csv"
    path.write_text("id,date\n1,03/04/2024\n2,01/02/2024\n")
    return path


@pytest.fixture
def orders(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("id,date\n7,03/04/2024\n")
    return path


def test_a_wrong_date_assumption_becomes_a_validated_patch_that_fixes_the_task(
    workspace: Workspace, scripted: ScriptedServer, invoices: Path
) -> None:
    router = Router(
        date_agent("invoices.csv", "out.csv"),
        reflection=[reflection()],
        writes=[lambda body: skill_edit(current_skill_md(body), DAYFIRST_PITFALL)],
    )
    scripted.add(*[router] * 40)
    services = make_services(workspace)
    main_before = _git(workspace, "rev-parse", "main")

    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    assert failed.status == "failed"
    result = learn_from_run(services, failed.id)

    assert result.status == "patched"
    assert result.reflection.weak_skill == "date-normalize"
    assert result.reflection.category == "wrong_data_format_assumption"
    assert result.validated is True and result.replay == "passed"
    assert router.seen[:5] == ["agent", "agent", "agent", "reflect", "write"]
    # The branch edits only that skill, and the person's checkout did not move.
    branch = result.branch
    assert branch.startswith("memento/patch/date-normalize/")
    changed = _git(workspace, "diff", "--name-only", f"main...{branch}").splitlines()
    assert changed == ["skills/date-normalize/SKILL.md"]
    assert _git(workspace, "rev-parse", "main") == main_before
    assert _git(workspace, "status", "--porcelain", "--", "skills") == ""
    assert services.runs().load(failed.id).failure_category == "wrong_data_format_assumption"
    replay = services.runs().load(services.patches().get(result.patch_id).evidence.replay.run_id)
    assert replay.replay_of == failed.id and replay.status == "passed"

    services.patches().merge(result.patch_id)
    fresh = make_services(workspace)
    again = fresh.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    assert again.status == "passed"
    assert again.patch_id is None and again.replay_of is None


def test_a_patch_that_breaks_an_earlier_success_is_not_validated(
    workspace: Workspace, scripted: ScriptedServer, invoices: Path, orders: Path
) -> None:
    us_agent = date_agent("orders.csv", "out.csv")
    uk_agent = date_agent("invoices.csv", "out.csv")

    def agent(body: dict) -> object:
        return uk_agent(body) if "invoices.csv" in body["messages"][1]["content"] else us_agent(body)

    router = Router(
        agent, reflection=[reflection()], writes=[lambda body: skill_edit(current_skill_md(body), ALWAYS_PITFALL)]
    )  # type: ignore[arg-type]
    scripted.add(*[router] * 40)
    services = make_services(workspace)
    earlier = services.agent().run(RunRequest(task=US_TASK, check=US_CHECK, inputs=[orders]))
    assert earlier.status == "passed"
    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    result = learn_from_run(services, failed.id)

    assert result.status == "patched"
    assert result.replay == "passed"
    assert [r.model_dump() for r in result.regressions] == [
        {"run_id": result.regressions[0].run_id, "task": US_TASK, "passed": False}
    ]
    assert result.validated is False
    evidence = services.patches().get(result.patch_id).evidence
    assert evidence.validated is False and evidence.regressions[0].passed is False


def test_garbage_reflection_is_retried_once_then_recorded_with_nothing_committed(
    workspace: Workspace, scripted: ScriptedServer, invoices: Path
) -> None:
    router = Router(date_agent("invoices.csv", "out.csv"), reflection=["lol no", '{"category": "vibes"}'], writes=[])
    scripted.add(*[router] * 10)
    services = make_services(workspace)
    branches_before = _git(workspace, "branch", "--list")
    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    result = learn_from_run(services, failed.id)

    assert result.status == "reflection_failed"
    assert router.seen.count("reflect") == 2 and "write" not in router.seen
    assert "category" in result.error
    saved = json.loads((services.runs().dir(failed.id) / "reflection.json").read_text())
    assert saved["ok"] is False and saved["raw"] == ["lol no", '{"category": "vibes"}']
    assert _git(workspace, "branch", "--list") == branches_before
    assert services.patches().list(status="all") == []


def test_memento_run_prints_the_patch_branch_and_learning_cost(
    workspace: Workspace, scripted: ScriptedServer, invoices: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from memento_tui.cli.main import main

    router = Router(
        date_agent("invoices.csv", "out.csv"),
        reflection=[reflection()],
        writes=[lambda body: skill_edit(current_skill_md(body), DAYFIRST_PITFALL)],
    )
    scripted.add(*[router] * 40)
    code = main(["-C", str(workspace.root), "run", UK_TASK, "--check", UK_CHECK, "--input", str(invoices)])
    out = capsys.readouterr().out
    assert code == 1
    assert "reflection: wrong data-format assumption; weak skill: date-normalize" in out
    assert "on branch memento/patch/date-normalize/" in out
    assert "validated: replay passed" in out
    assert "learning cost:" in out


def test_a_permission_request_is_shown_never_applied(
    workspace: Workspace, scripted: ScriptedServer, invoices: Path
) -> None:
    ask = json.dumps(
        {
            "category": "missing_permission",
            "weak_skill": "date-normalize",
            "decision_step": 2,
            "missing_or_assumed": "needs network to fetch holidays",
            "fix_kind": "request_permission",
            "permission": "network for date-normalize",
            "summary": "needs network",
        }
    )
    router = Router(date_agent("invoices.csv", "out.csv"), reflection=[ask], writes=[])
    scripted.add(*[router] * 10)
    services = make_services(workspace)
    config_before = workspace.paths.config.read_text()
    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    result = learn_from_run(services, failed.id)
    assert result.status == "permission_requested"
    assert result.request.permission == "network for date-normalize"
    assert workspace.paths.config.read_text() == config_before
    assert services.patches().list(status="all") == []
    rows = (workspace.paths.state / "requests.jsonl").read_text().splitlines()
    assert json.loads(rows[0])["run_id"] == failed.id


def test_a_skill_with_changes_not_on_main_stops_learning_before_any_token(
    workspace: Workspace, scripted: ScriptedServer, invoices: Path
) -> None:
    """A patch starts from main: against a skill edited on disk but not committed it would
    lack the person's files (the replay failed on a missing script; merge was refused)."""
    router = Router(
        date_agent("invoices.csv", "out.csv"),
        reflection=[reflection()],
        writes=[lambda body: skill_edit(current_skill_md(body), DAYFIRST_PITFALL)],
    )
    scripted.add(*[router] * 40)
    services = make_services(workspace)
    skill = workspace.paths.skills / "date-normalize"
    (skill / "scripts" / "helper.py").write_text("print('mine')\n")
    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    assert failed.status == "failed"
    asked = len(scripted.requests)
    lines: list[str] = []
    result = learn_from_run(services, failed.id, on_progress=lines.append)

    assert result.status == "skill_not_committed"
    assert result.files == ["skills/date-normalize/scripts/helper.py"]
    assert "git add skills/date-normalize" in result.fix
    assert len(scripted.requests) == asked  # no reflection, no patch: not one token
    assert any("scripts/helper.py" in line for line in lines)
    assert services.patches().list() == []
    # Committed (as the message says), learning goes ahead.
    person = {
        "GIT_AUTHOR_NAME": "P",
        "GIT_AUTHOR_EMAIL": "p@x",
        "GIT_COMMITTER_NAME": "P",
        "GIT_COMMITTER_EMAIL": "p@x",
    }
    subprocess.run(
        result.fix, shell=True, cwd=workspace.root, check=True, capture_output=True, env={**os.environ, **person}
    )
    assert learn_from_run(services, failed.id).status == "patched"


def test_skills_new_commits_its_scaffold_and_nothing_else(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from memento_tui.cli.main import main

    (workspace.root / "notes.txt").write_text("mine\n")
    subprocess.run(["git", "-C", str(workspace.root), "add", "notes.txt"], check=True)
    assert main(["-C", str(workspace.root), "skills", "new", "pdf-merge"]) == 0
    assert "committed skills/pdf-merge" in capsys.readouterr().out
    assert _git(workspace, "log", "-1", "--format=%s") == "Add skill pdf-merge (scaffold)"
    assert _git(workspace, "show", "--name-only", "--format=", "HEAD") == "skills/pdf-merge/SKILL.md"
    assert _git(workspace, "status", "--porcelain") == "A  notes.txt"  # still staged, untouched
    assert main(["-C", str(workspace.root), "skills", "new", "draft", "--no-commit"]) == 0
    assert "?? skills/draft/" in _git(workspace, "status", "--porcelain")

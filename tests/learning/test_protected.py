"""Protected skills: a failure whose fix lies in one never produces a branch touching it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.patches.model import PatchEvidence, PatchRefused
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.learning import learn_from_run
from memento_tui.testing.scripted_server import ScriptedServer
from tests.learning.scripted_models import Router, date_agent, reflection

UK_TASK = "Normalise the dates in the UK invoice file invoices.csv to ISO 8601 and save as out.csv"
UK_CHECK = (
    "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; assert d == ['2024-04-03'], d\""
)


def _git(ws: Workspace, *args: str) -> str:
    return subprocess.run(["git", "-C", str(ws.root), *args], capture_output=True, text=True, check=True).stdout


def _protect(ws: Workspace) -> None:
    skill_md = ws.paths.skills / "date-normalize" / "SKILL.md"
    text = skill_md.read_text().replace(
        'metadata:\n  version: "1.0"\n', 'metadata:\n  version: "1.0"\n  memento:\n    protected: true\n'
    )
    assert "protected: true" in text
    skill_md.write_text(text)
    _git(ws, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qam", "Protect date-normalize")


def _companion_edit(body: dict) -> str:
    skill_md = (
        "---\nname: date-normalize-notes\ndescription: Complements date-normalize for UK and European "
        "day-first dates.\n---\n\n# Day-first dates\n\nUK files are day-first: pass --dayfirst to date-normalize.\n"
    )
    return json.dumps(
        {"files": [{"path": "SKILL.md", "content": skill_md}], "message": "Companion for day-first dates"}
    )


def test_a_fix_for_a_protected_skill_goes_to_a_companion_never_to_it(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    _protect(workspace)
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("id,date\n1,03/04/2024\n")
    router = Router(date_agent("invoices.csv", "out.csv"), reflection=[reflection()], writes=[_companion_edit])
    scripted.add(*[router] * 30)
    services = make_services(workspace)
    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    result = learn_from_run(services, failed.id)

    assert result.reflection.weak_skill == "date-normalize"
    assert result.protected == "date-normalize"
    assert result.skill == "date-normalize-notes"
    # The writer was told the skill is protected.
    write_request = next(r for r in scripted.requests if r["messages"][0]["content"].startswith("You fix a skill"))
    assert "date-normalize was written by hand and is protected" in write_request["messages"][1]["content"]
    for patch in services.patches().list(status="all"):
        changed = _git(workspace, "diff", "--name-only", f"main...{patch.branch}").split()
        assert all(not path.startswith("skills/date-normalize/") for path in changed)
        assert changed == ["skills/date-normalize-notes/SKILL.md"]
    assert not [b for b in _git(workspace, "branch", "--list").split() if b.startswith("memento/patch/date-normalize/")]


@pytest.mark.parametrize("how", ["metadata", "config"])
def test_the_patch_store_refuses_protected_skills(workspace: Workspace, how: str) -> None:
    if how == "metadata":
        _protect(workspace)
    else:
        workspace.paths.config.write_text(
            workspace.paths.config.read_text().replace("protected = []", 'protected = ["date-*"]')
        )
        workspace.reload_config()
    store = make_services(workspace).patches()
    new = (workspace.paths.skills / "date-normalize" / "SKILL.md").read_bytes() + b"\nMore.\n"
    with pytest.raises(PatchRefused, match="is protected"):
        store.create("date-normalize", {"skills/date-normalize/SKILL.md": new}, PatchEvidence(run_id="r1"))
    assert store.list(status="all") == []

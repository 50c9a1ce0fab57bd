"""The CLI side of review with context: ``patches show`` prints the failing step and the runs
behind a patch, ``patches list`` puts critical patches first, ``skills list`` locks skills
protected by a config glob too. Through the real entry point, on real files."""

from __future__ import annotations

import json
import re

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.analytics import CriticalMark
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.insights import critical_store
from tests.ui.conftest import evidence, make_patch
from tests.ui.run_files import FAILED, REGRESSION, REPLAY, patch_with_runs


def run(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["-C", str(ws.root), *args])
    return code, capsys.readouterr().out


def test_patches_show_prints_the_failing_step_and_how_to_open_each_run(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    patch = patch_with_runs(make_services(workspace))
    code, out = run(workspace, capsys, "patches", "show", patch.id)
    assert code == 0
    context = out[out.index(f"failing step (run {FAILED}):") :]
    assert context.splitlines()[1:5] == [
        "  step 2: the step the reflection named",
        "  → run",
        "      command: python3 /skill/scripts/csv2json.py people.csv",
        "  ← FAILED · exit 1 · skill csv-json",
    ]
    assert "csv.Error: field larger than field limit ⟨U+001B⟩[2J⟨U+202E⟩redacted" in context
    assert "\x1b" not in out and "\u202e" not in out
    assert "  ■ verdict FAIL by check" in context and "AssertionError: expected 3 records, got 1" in context
    assert context.splitlines()[-4:] == [
        "runs (open one with: memento runs show ID):",
        f"  ✗ failed run {FAILED}",
        f"  ✓ replay {REPLAY}",
        f"  ✗ regression {REGRESSION}  convert orders.csv to JSON",
    ]
    # The run ids given open with runs show.
    code, out = run(workspace, capsys, "runs", "show", REPLAY)
    assert code == 0 and f"run {REPLAY}  passed" in out

    code, out = run(workspace, capsys, "patches", "show", patch.id, "--json")
    failing = json.loads(out)["failing_step"]
    assert failing["chosen"] == "decision-step" and failing["call"]["exit_code"] == 1
    assert failing["verdict"]["source"] == "check"


def test_patches_list_puts_critical_patches_first(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import memento_tui.domain.patches.create as patch_create

    ids = iter(["20260101-000001-aaaa", "20260101-000002-bbbb"])
    monkeypatch.setattr(patch_create, "new_patch_id", lambda: next(ids))
    services = make_services(workspace)
    first = make_patch(services, ev=evidence(run_id="20260101-000000-0001"))
    second = make_patch(services, marker="Tabs too", ev=evidence(run_id="20260101-000000-0002", task="tabs"))

    def listed() -> list[str]:
        code, out = run(workspace, capsys, "patches", "list")
        assert code == 0
        return [line for line in out.splitlines() if re.match(r"^(! )?2026", line)]

    assert [line[:20] for line in listed()] == [second.id, first.id]  # newest first, as the app
    critical_store(services).append(CriticalMark(kind="run", action="mark", run_id=first.evidence.run_id))
    lines = listed()
    assert lines[0].startswith(f"! {first.id}") and lines[1].startswith(second.id)
    code, out = run(workspace, capsys, "patches", "list")
    assert out.startswith("2 pending patches; 1 critical first (!)")
    code, out = run(workspace, capsys, "patches", "list", "--json")
    assert code == 0 and [(p["id"], p["critical"]) for p in json.loads(out)] == [(first.id, True), (second.id, False)]


def test_skills_list_locks_skills_a_config_glob_protects(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workspace.paths.config
    config.write_text(re.sub(r"(?m)^protected = \[\]", 'protected = ["csv-*"]', config.read_text()))
    code, out = run(workspace, capsys, "skills", "list")
    assert code == 0
    assert "🔒 csv-json" in out and "🔒 date-normalize" not in out
    code, out = run(workspace, capsys, "skills", "list", "--json")
    protected = {s["name"]: s["protected"] for s in json.loads(out)["skills"]}
    assert protected["csv-json"] is True and protected["date-normalize"] is False

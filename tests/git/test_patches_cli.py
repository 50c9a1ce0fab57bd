"""``memento patches ...`` end to end, through the real entry point."""

from __future__ import annotations

import json

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.patches import PatchStore
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import SKILL, evidence, git, patch_files, skill_md


def run(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(ws.root), "patches", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_show_diff_merge_undo_reject(ws: Workspace, store: PatchStore, capsys: pytest.CaptureFixture[str]) -> None:
    patch = store.create(SKILL, patch_files(ws), evidence())

    code, out, _ = run(ws, capsys, "list", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["id"] == patch.id and listed["status"] == "pending"
    assert listed["evidence"]["failure_category"] == "bug in skill"

    code, out, _ = run(ws, capsys, "list")
    assert code == 0 and SKILL in out and "bug in skill" in out

    code, out, _ = run(ws, capsys, "show", patch.id[-4:])
    assert code == 0
    assert f"patch {patch.id}" in out and "semicolons" in out and "step 3" in out

    code, out, _ = run(ws, capsys, "diff", patch.id)
    assert code == 0 and out.startswith("diff --git a/skills/csv-json/SKILL.md")
    assert "+Check the delimiter first." in out

    code, out, _ = run(ws, capsys, "diff", patch.id, "--json")
    data = json.loads(out)
    assert data["files"][0]["path"] == f"skills/{SKILL}/SKILL.md"
    assert data["files"][0]["hunks"][0]["lines"][-1]["kind"] == "add"

    code, out, _ = run(ws, capsys, "merge", patch.id, "--json")
    assert code == 0 and json.loads(out)["merge_commit"] == git(ws.root, "rev-parse", "main")

    code, out, _ = run(ws, capsys, "undo")
    assert code == 0 and "pending again" in out

    code, out, _ = run(ws, capsys, "reject", patch.id, "--reason", "not the skill's fault")
    assert code == 0 and "rejected patch" in out
    code, out, _ = run(ws, capsys, "list", "--all", "--json")
    assert json.loads(out)[0]["reason"] == "not the skill's fault"
    code, out, _ = run(ws, capsys, "list")
    assert code == 0 and "no pending patches" in out


def test_unknown_ids_and_refusals_exit_2_with_a_fix(
    ws: Workspace, store: PatchStore, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in (
        ["show", "nope"],
        ["diff", "nope"],
        ["merge", "nope"],
        ["reject", "nope", "--reason", "x"],
    ):
        code, _, err = run(ws, capsys, *action)
        assert code == 2
        assert "no patch with id 'nope'" in err and "memento patches list --all" in err
    code, _, err = run(ws, capsys, "undo")
    assert code == 2 and "nothing to undo" in err
    patch = store.create(SKILL, patch_files(ws), evidence())
    (ws.root / "skills" / SKILL / "SKILL.md").write_text(skill_md(ws) + "dirty\n")
    code, _, err = run(ws, capsys, "merge", patch.id)
    assert code == 2 and "uncommitted changes" in err and "fix:" in err


def test_hidden_characters_are_made_visible(
    ws: Workspace, store: PatchStore, capsys: pytest.CaptureFixture[str]
) -> None:
    sneaky = "if admin:\u202e\u2066 # safe \u2069\u2066\n\x1b[2Jzero\u200bwidth\n"
    patch = store.create(
        SKILL,
        {f"skills/{SKILL}/references/notes.md": sneaky.encode()},
        evidence(reflection_summary="looks fine\u202e\x1b[31m"),
    )
    for action in (["diff", patch.id], ["show", patch.id], ["list"], ["list", "--json"]):
        code, out, _ = run(ws, capsys, *action)
        assert code == 0
        for hidden in ("\u202e", "\u2066", "\u2069", "\u200b", "\x1b"):
            assert hidden not in out, (action, hidden)
    code, out, _ = run(ws, capsys, "diff", patch.id)
    assert "202E" in out.upper() and "200B" in out.upper()


def test_revert_and_requeue_from_the_cli(ws: Workspace, store: PatchStore, capsys: pytest.CaptureFixture[str]) -> None:
    patch = store.create(SKILL, patch_files(ws), evidence())
    store.merge(patch.id)
    (ws.root / "skills" / "other-skill" / "references" / "notes.md").write_text("later\n")
    git(ws.root, "commit", "-q", "-am", "a later commit")
    code, _, err = run(ws, capsys, "undo")
    assert code == 2 and f"memento patches revert {patch.id}" in err
    code, out, _ = run(ws, capsys, "revert", patch.id[-4:])
    assert code == 0 and f"memento patches requeue {patch.id}" in out
    code, out, _ = run(ws, capsys, "list", "--status", "reverted")
    assert code == 0 and f"{patch.id}  {SKILL}  reverted" in out
    code, out, _ = run(ws, capsys, "requeue", patch.id)
    assert code == 0 and "queued again as patch" in out
    code, out, _ = run(ws, capsys, "list")
    assert "1 pending patches" in out

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.workspace import Workspace
from tests.conftest import write_skill


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_makes_a_committed_workspace_and_refuses_to_clobber(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new"
    code, out, _ = run_cli(capsys, "init", str(target))
    assert code == 0
    assert "made a Memento workspace" in out
    assert (target / ".memento" / "config.toml").is_file()
    assert (target / ".git").is_dir()
    log = subprocess.run(["git", "-C", str(target), "log", "--oneline"], capture_output=True, text=True)
    assert "Start a Memento workspace" in log.stdout
    status = subprocess.run(["git", "-C", str(target), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    config_before = (target / ".memento" / "config.toml").read_text()
    code, _, err = run_cli(capsys, "init", str(target))
    assert code == 2
    assert "already a Memento workspace" in err
    assert (target / ".memento" / "config.toml").read_text() == config_before


def test_init_refuses_a_folder_with_skills(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_skill(tmp_path / "skills", "mine")
    code, _, err = run_cli(capsys, "init", str(tmp_path))
    assert code == 2
    assert "skills/ already exists" in err
    assert not (tmp_path / ".memento").exists()


def test_skills_list_json_lists_the_starter_skills_and_broken_ones(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    write_skill(workspace.paths.skills, "broken-one", "name: broken-one\n")
    code, out, _ = run_cli(capsys, "-C", str(workspace.root), "skills", "list", "--json")
    assert code == 0
    data = json.loads(out)
    starter = sorted(
        p.name for p in (Path(__file__).resolve().parents[2] / "skills").iterdir() if (p / "SKILL.md").is_file()
    )
    assert [s["name"] for s in data["skills"]] == starter
    assert data["broken"][0]["name"] == "broken-one"
    assert data["broken"][0]["field"] == "description"
    assert data["broken"][0]["fix"]


def test_skills_list_table_shows_broken_with_fix(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    write_skill(workspace.paths.skills, "bad", "name: bad\ndescription: x\nname: bad\n")
    code, out, _ = run_cli(capsys, "-C", str(workspace.root), "skills", "list")
    assert code == 0
    assert "broken: bad" in out
    assert "duplicate key 'name'" in out
    assert "fix:" in out


def test_skills_new_then_show(empty_workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(empty_workspace.root)
    code, out, _ = run_cli(capsys, "-C", root, "skills", "new", "pdf-merge")
    assert code == 0
    code, out, _ = run_cli(capsys, "-C", root, "skills", "show", "pdf-merge", "--json")
    assert code == 0
    assert json.loads(out)["name"] == "pdf-merge"
    code, _, err = run_cli(capsys, "-C", root, "skills", "new", "pdf-merge")
    assert code == 2 and "already exists" in err
    code, _, err = run_cli(capsys, "-C", root, "skills", "new", "Bad Name")
    assert code == 2 and "not a valid skill name" in err
    code, _, err = run_cli(capsys, "-C", root, "skills", "show", "pdf-merg")
    assert code == 2 and "did you mean pdf-merge" in err


def test_outside_a_workspace_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "skills", "list")
    assert code == 2
    assert "not inside a Memento workspace" in err
    assert "memento init" in err


def test_workspace_found_by_walking_up(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = workspace.root / "skills" / "csv-json" / "scripts"
    monkeypatch.chdir(deep)
    assert Workspace.find().root == workspace.root


def test_bad_config_is_a_clear_error(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    workspace.paths.config.write_text("[run]\nmax_steps = 0\n")
    code, out, _ = run_cli(capsys, "-C", str(workspace.root), "doctor")
    assert code == 1
    assert "config.toml:2: run.max_steps" in out


def test_doctor_passes_on_a_fresh_workspace(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "-C", str(workspace.root), "doctor", "--json")
    data = json.loads(out)
    names = {c["name"]: c["status"] for c in data["checks"]}
    assert names["python"] == names["git"] == names["bwrap"] == "ok"
    assert names["skills"] == "ok"
    assert code == 0 and data["ok"] is True


def test_help_imports_neither_litellm_nor_textual() -> None:
    code = (
        "import sys\n"
        "from memento_tui.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('litellm', 'textual', 'git', 'tantivy', 'numpy') if m in sys.modules]\n"
        "print('heavy=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: memento" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "heavy="


def test_learned_outcomes_merge_by_union_when_two_people_learned_at_once(tmp_path: Path) -> None:
    """init marks outcomes.jsonl merge=union: both sides' rows survive a merge."""
    from memento_tui.domain.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws")
    env = {
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@x",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ws.root), *args], env=env, check=True, capture_output=True, text=True
        ).stdout

    outcomes = ws.paths.learned / "outcomes.jsonl"
    outcomes.write_text('{"row": 0}\n')
    git("add", ".memento/learned")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "other")
    outcomes.write_text('{"row": 0}\n{"row": "theirs"}\n')
    git("commit", "-qam", "theirs")
    git("checkout", "-q", "main")
    outcomes.write_text('{"row": 0}\n{"row": "ours"}\n')
    git("commit", "-qam", "ours")
    git("merge", "-q", "--no-edit", "other")
    assert sorted(outcomes.read_text().splitlines()) == ['{"row": "ours"}', '{"row": "theirs"}', '{"row": 0}']

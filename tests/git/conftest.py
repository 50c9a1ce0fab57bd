"""Helpers for the git tests: real repositories, real git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchEvidence
from memento_tui.domain.workspace import Workspace

SKILL = "csv-json"

PERSON_ENV = {
    "GIT_AUTHOR_NAME": "Pat Person",
    "GIT_AUTHOR_EMAIL": "pat@example.org",
    "GIT_COMMITTER_NAME": "Pat Person",
    "GIT_COMMITTER_EMAIL": "pat@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git as the person would in their own shell."""
    proc = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **PERSON_ENV},
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def snapshot(root: Path) -> tuple[str, bytes, str, str]:
    """What the person sees: status, the index file's bytes, HEAD and main."""
    index = (root / ".git" / "index").read_bytes()
    return (
        git(root, "status", "--porcelain=v1", "--untracked-files=all"),
        index,
        git(root, "symbolic-ref", "-q", "HEAD", check=False) or git(root, "rev-parse", "HEAD"),
        git(root, "rev-parse", "refs/heads/main"),
    )


def evidence(run_id: str = "run-1", **extra: object) -> PatchEvidence:
    fields: dict[str, object] = {
        "task": "convert data.csv to JSON",
        "failure_category": "bug in skill",
        "weak_skill": SKILL,
        "reflection_summary": "The skill assumed commas; the file used semicolons.",
        "decision_step": 3,
    }
    return PatchEvidence(run_id=run_id, **{**fields, **extra})  # type: ignore[arg-type]


def skill_md(ws: Workspace, skill: str = SKILL) -> str:
    return (ws.paths.skills / skill / "SKILL.md").read_text(encoding="utf-8")


def patch_files(ws: Workspace, note: str = "Check the delimiter first.") -> dict[str, bytes | None]:
    return {f"skills/{SKILL}/SKILL.md": (skill_md(ws) + f"\n{note}\n").encode()}


BODY = "".join(f"line {n}\n" for n in range(1, 21))


def skill_text(name: str, body: str = BODY) -> str:
    return f"---\nname: {name}\ndescription: Does {name} things for tests.\n---\n{body}"


@pytest.fixture
def ws(empty_workspace: Workspace) -> Workspace:
    """A workspace with two known skills committed on main (SKILL.md body: line 1..20)."""
    root = empty_workspace.root
    for name in (SKILL, "other-skill"):
        folder = root / "skills" / name
        (folder / "scripts").mkdir(parents=True)
        (folder / "references").mkdir()
        (folder / "SKILL.md").write_text(skill_text(name), encoding="utf-8")
        (folder / "scripts" / "run.py").write_text("print('hi')\n", encoding="utf-8")
        (folder / "scripts" / "run.py").chmod(0o755)
        (folder / "references" / "notes.md").write_text("notes\n", encoding="utf-8")
    git(root, "add", "skills")
    git(root, "commit", "-q", "-m", "Add test skills")
    return empty_workspace


@pytest.fixture
def store(ws: Workspace) -> PatchStore:
    return PatchStore(ws)

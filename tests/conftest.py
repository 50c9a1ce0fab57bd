"""Shared fixtures: real workspaces and real git repos in temp dirs."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from memento_tui.domain.workspace import Workspace, init_workspace

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the developer's own workspace, keys or git identity."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MEMENTO_WORKSPACE", raising=False)
    for key in list(os.environ):
        if key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh workspace with the starter skills, committed on main."""
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def empty_workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", starter_skills=False)


def write_skill(skills_dir: Path, name: str, frontmatter: str | None = None, body: str = "# Body\n") -> Path:
    """Write skills/<name>/SKILL.md; ``frontmatter`` is the YAML between the --- lines."""
    if frontmatter is None:
        frontmatter = f"name: {name}\ndescription: Does {name} things.\n"
    folder = skills_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_text(
        "---\n" + textwrap.dedent(frontmatter) + "---\n" + body, encoding="utf-8"
    )
    return folder

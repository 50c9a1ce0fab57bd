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
    # The person's own settings and confirmations (llm/trust.py) live outside every repo.
    monkeypatch.setenv("MEMENTO_CONFIG_DIR", str(home / ".config" / "memento"))
    for key in ("MEMENTO_MODEL", "MEMENTO_API_BASE", "MEMENTO_API_KEY_ENV"):
        monkeypatch.delenv(key, raising=False)
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
    (folder / "SKILL.md").write_text("---\n" + textwrap.dedent(frontmatter) + "---\n" + body, encoding="utf-8")
    return folder


def configure_model(
    workspace: Workspace, api_base: str, *, tool_calling: str = "native", retries: int = 0, **extra: object
) -> None:
    """Point the workspace's config file at a (scripted) server and reload it."""
    import re

    text = workspace.paths.config.read_text(encoding="utf-8")
    block = (
        "[model]\n"
        'name = "openai/scripted"\n'
        f'api_base = "{api_base}"\n'
        f'tool_calling = "{tool_calling}"\n'
        f"retries = {retries}\n"
        "timeout_seconds = 20\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in extra.items()) + "\n"
    )
    text = re.sub(r"\[model\]\n(?:(?!\[).*\n)*", block, text, count=1)
    workspace.paths.config.write_text(text, encoding="utf-8")
    workspace.reload_config()


@pytest.fixture
def scripted(workspace: Workspace):  # type: ignore[no-untyped-def]
    """A scripted OpenAI-compatible server on 127.0.0.1, and the workspace pointed at it."""
    from memento_tui.testing.scripted_server import ScriptedServer

    server = ScriptedServer().start()
    configure_model(workspace, server.api_base)
    yield server
    server.stop()

"""The one module that runs git: every call hardened, whatever the repository or shell hold."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from memento_tui.domain.errors import WorkspaceError
from memento_tui.domain.git_repo import GitError, GitRepo
from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchError
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import PERSON_ENV, SKILL, evidence, git, patch_files, snapshot

HOOKS = (
    "reference-transaction",
    "post-merge",
    "post-commit",
    "pre-commit",
    "post-checkout",
    "post-index-change",
)


def plant_hooks(folder: Path, marker: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        hook = folder / name
        hook.write_text(f"#!/bin/sh\necho {name} >> {marker}\n")
        hook.chmod(0o755)


def test_hooks_never_run(ws: Workspace, store: PatchStore, tmp_path: Path) -> None:
    marker = tmp_path / "hooks-ran"
    plant_hooks(ws.root / ".git" / "hooks", marker)
    plant_hooks(tmp_path / "my-hooks", marker)
    git(ws.root, "config", "core.hooksPath", str(tmp_path / "my-hooks"))
    patch = store.create(SKILL, patch_files(ws), evidence())
    store.merge(patch.id)
    store.undo()
    store.reject(patch.id, "testing hooks")
    assert not marker.exists()
    # The same hooks do run for the person's own git, so the test would notice them.
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "person"],
        cwd=ws.root,
        env={**os.environ, **PERSON_ENV},
        check=True,
    )
    assert marker.exists()


def test_the_callers_git_environment_does_not_leak(
    ws: Workspace, store: PatchStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (Path.home() / ".gitconfig").write_text("[core]\n  hooksPath = /tmp\n")
    before = snapshot(ws.root)
    stray = {
        "GIT_DIR": str(tmp_path / "elsewhere"),
        "GIT_INDEX_FILE": str(tmp_path / "stray-index"),
        "GIT_WORK_TREE": str(tmp_path),
        "GIT_CONFIG_PARAMETERS": "'core.hooksPath'='/tmp'",
    }
    for key, value in stray.items():
        monkeypatch.setenv(key, value)
    patch = store.create(SKILL, patch_files(ws), evidence())
    for key in stray:
        monkeypatch.delenv(key)
    assert snapshot(ws.root) == before
    assert git(ws.root, "rev-parse", patch.branch) == patch.head
    assert not (tmp_path / "stray-index").exists()
    assert not (tmp_path / "elsewhere").exists()


def test_git_errors_name_the_command(ws: Workspace) -> None:
    repo = GitRepo(ws.root)
    with pytest.raises(GitError) as err:
        repo.git("rev-parse", "--verify", "--end-of-options", "no-such-ref")
    assert err.value.returncode != 0 and "rev-parse" in str(err.value)
    assert repo.git("rev-parse", "--verify", "-q", "no-such-ref", ok=(0, 1)).returncode == 1


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not a git repository"):
        GitRepo(tmp_path)


def test_a_branch_of_the_persons_blocking_the_namespace(ws: Workspace, store: PatchStore) -> None:
    git(ws.root, "branch", f"memento/patch/{SKILL}")
    with pytest.raises(PatchError, match="blocks the memento/patch/ namespace"):
        store.create(SKILL, patch_files(ws), evidence())
    assert list(ws.paths.patches.glob("*.json")) == []

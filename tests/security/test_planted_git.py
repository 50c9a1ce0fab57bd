"""A planted .git: a command that makes a repository in /work with live config (fsmonitor,
hooks, aliases) would run code as the person when their git, or a git-aware shell prompt,
looks at the run's folder later. Output folders carry no repository git would find."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import Sandbox

PLANT = """
set -e
git init -q .
git config core.fsmonitor "touch {marker}"
git config alias.st "!touch {marker}"
printf '#!/bin/sh\\ntouch {marker}\\n' > .git/hooks/post-checkout
chmod +x .git/hooks/post-checkout
mkdir -p sub && git init -q sub && git -C sub config core.fsmonitor "touch {marker}"
git init -q --bare bare && git -C bare config core.fsmonitor "touch {marker}"
mkdir -p elsewhere && echo "gitdir: ../.git" > elsewhere/.git
echo planted
"""


def _person_looks(folder: Path) -> None:
    """What the person (or their shell prompt) does in the run's folder afterwards."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "GIT_CEILING_DIRECTORIES": str(folder.parent)}
    for where in (folder, folder / "sub", folder / "bare", folder / "elsewhere"):
        if where.is_dir():
            for args in (["status"], ["st"], ["log", "-1"], ["rev-parse", "--git-dir"]):
                subprocess.run(["git", *args], cwd=where, env=env, capture_output=True, timeout=20)


def test_a_planted_repository_runs_nothing_when_the_person_looks(sandbox: Sandbox, work: Path, open_dir: Path) -> None:
    marker = open_dir / f"pwned-{uuid.uuid4().hex}"
    result = sandbox.run(["sh", "-c", PLANT.format(marker=marker)], work_dir=work)
    assert result.stdout.strip() == "planted", result.stderr
    _person_looks(work)
    assert not marker.exists()
    names = {p.name for p in work.rglob("*")}
    assert ".git" not in names and "HEAD" not in names
    assert ".git.quarantined-by-memento" in names  # kept, for the person to inspect


def test_the_next_run_gets_its_repository_back(sandbox: Sandbox, work: Path) -> None:
    """A task that uses git inside the sandbox still works from one command to the next."""
    sandbox.run(
        [
            "sh",
            "-c",
            "git init -q . && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m first && echo ok",
        ],
        work_dir=work,
    )
    assert not (work / ".git").exists()
    result = sandbox.run(["sh", "-c", "git log --format=%s"], work_dir=work)
    assert result.stdout.strip() == "first", result.stderr
    assert not (work / ".git").exists()


@pytest.mark.parametrize("name", [".git", "HEAD"])
def test_a_symlink_named_like_git_is_quarantined_too(sandbox: Sandbox, work: Path, name: str) -> None:
    script = f"mkdir objects && ln -s /work/target {name} && echo x > target"
    sandbox.run(["sh", "-c", script], work_dir=work)
    assert not os.path.lexists(work / name)


def test_a_repository_written_by_the_agent_itself_is_quarantined_at_the_end(
    workspace,
    scripted,  # fixtures from tests/conftest.py
) -> None:
    """write_file refuses .git paths, but a bare repository is plain files (HEAD, objects/,
    refs/, config): the run's last walk catches what the model wrote after its last command."""
    from memento_tui.domain.agent.loop import RunRequest
    from memento_tui.services.factory import make_services
    from memento_tui.testing.scripted_server import call

    scripted.add(
        call("write_file", path="repo/HEAD", content="ref: refs/heads/main\n"),
        call("write_file", path="repo/objects/info/packs", content=""),
        call("write_file", path="repo/refs/heads/.keep", content=""),
        call("write_file", path="repo/config", content="[core]\n\tfsmonitor = touch /tmp/x\n"),
        call("finish", answer="done", success=True),
    )
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="Make a folder called repo"))
    work = services.runs().dir(record.id) / "work"
    assert (work / "repo" / "config").is_file()
    assert not (work / "repo" / "HEAD").exists()
    assert (work / "repo" / "HEAD.quarantined-by-memento").is_file()

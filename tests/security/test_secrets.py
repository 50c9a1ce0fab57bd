"""Secret exfiltration: the environment, home files, other processes' /proc/*/environ,
inherited file descriptors, and folders that must never be mounted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import Sandbox, SandboxRefused
from tests.sandboxing import snapshot

SECRET = "sk-memento-test-SECRET-0123456789"


@pytest.fixture
def fake_home(monkeypatch: pytest.MonkeyPatch, open_dir: Path) -> Path:
    """A HOME with keys in it, and API keys in the environment, as on a developer's machine."""
    home = open_dir / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN KEY-----\n{SECRET}\n")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(f"aws_secret_access_key = {SECRET}\n")
    for path in (home, home / ".ssh", home / ".aws"):
        path.chmod(0o755)  # readable even by the sandbox uid: only the mounts protect it
    for path in home.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("MEMENTO_TEST_TOKEN", SECRET)
    return home


def test_no_environment_variable_reaches_the_script(sandbox: Sandbox, work: Path, fake_home: Path) -> None:
    result = sandbox.run(["sh", "-c", "env; set"], work_dir=work)
    assert SECRET not in result.stdout
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines() if "=" in line}
    assert "OPENAI_API_KEY" not in names and "MEMENTO_TEST_TOKEN" not in names


def test_home_files_are_not_there(sandbox: Sandbox, work: Path, fake_home: Path) -> None:
    before = snapshot(fake_home)
    script = (
        f"cat {fake_home}/.ssh/id_rsa {fake_home}/.aws/credentials 2>&1;"
        "cat ~/.ssh/id_rsa 2>&1; grep -rs sk-memento /work /tmp /etc 2>/dev/null | head;"
        "find / -maxdepth 4 \\( -name .ssh -o -name .aws \\) 2>/dev/null | sed 's/^/FOUND:/'; exit 0"
    )
    result = sandbox.run(["sh", "-c", script], work_dir=work)
    assert result.limit is None
    assert SECRET not in result.stdout + result.stderr
    assert "FOUND:" not in result.stdout
    assert snapshot(fake_home) == before


def test_proc_environ_of_every_visible_process_is_clean(sandbox: Sandbox, work: Path, fake_home: Path) -> None:
    """bwrap itself starts with a minimal env, so not even its /proc/<pid>/environ leaks."""
    script = "for f in /proc/[0-9]*/environ; do echo \"== $f\"; tr '\\0' '\\n' < $f; done"
    result = sandbox.run(["sh", "-c", script], work_dir=work)
    assert "== /proc/1/environ" in result.stdout
    assert SECRET not in result.stdout


def test_parent_process_environ_is_out_of_reach(sandbox: Sandbox, work: Path, fake_home: Path) -> None:
    """The host pid of the test process (which holds the keys) does not exist inside."""
    me = os.getpid()
    result = sandbox.run(["sh", "-c", f"cat /proc/{me}/environ /proc/{os.getppid()}/environ; exit 0"], work_dir=work)
    assert SECRET not in result.stdout


def test_inherited_file_descriptors_are_closed(sandbox: Sandbox, work: Path, fake_home: Path) -> None:
    fd = os.open(fake_home / ".ssh" / "id_rsa", os.O_RDONLY)
    os.set_inheritable(fd, True)
    try:
        script = (
            "ls /proc/self/fd; for n in $(seq 3 64); do cat <&$n 2>/dev/null; done; "
            f"cat /proc/self/fd/{fd} 2>/dev/null; exit 0"
        )
        result = sandbox.run(["sh", "-c", script], work_dir=work)
    finally:
        os.close(fd)
    assert SECRET not in result.stdout
    # ls itself opens one directory fd; nothing beyond stdin, stdout and stderr is inherited.
    assert set(result.stdout.split()[:5]) <= {"0", "1", "2", "3"}


def test_only_the_configured_variables_pass(limited, work: Path, fake_home: Path) -> None:
    box = limited(env={"GREETING": "hello"})
    result = box.run(["sh", "-c", "echo $GREETING; echo ${OPENAI_API_KEY:-none}"], work_dir=work)
    assert result.stdout.split() == ["hello", "none"]


def test_home_is_never_mounted_as_work_dir(sandbox: Sandbox, fake_home: Path) -> None:
    with pytest.raises(SandboxRefused, match="home"):
        sandbox.run(["true"], work_dir=fake_home)
    with pytest.raises(SandboxRefused):
        sandbox.run(["true"], work_dir=fake_home.parent)  # an ancestor of HOME


def test_a_git_repository_is_never_mounted(sandbox: Sandbox, open_dir: Path, work: Path) -> None:
    repo = open_dir / "repo"
    (repo / ".git" / "hooks").mkdir(parents=True)
    with pytest.raises(SandboxRefused, match=r"\.git"):
        sandbox.run(["sh", "-c", "echo evil > .git/hooks/pre-commit"], work_dir=repo)
    skill = open_dir / "skill-with-git"
    (skill / ".git").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: skill-with-git\ndescription: x\n---\n")
    with pytest.raises(SandboxRefused, match=r"\.git"):
        sandbox.run(["true"], work_dir=work, skill_dir=skill)
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()


def test_a_folder_that_looks_like_a_home_is_refused(sandbox: Sandbox, open_dir: Path) -> None:
    other_home = open_dir / "someone"
    (other_home / ".ssh").mkdir(parents=True)
    with pytest.raises(SandboxRefused, match=r"\.ssh"):
        sandbox.run(["true"], work_dir=other_home)


def test_work_dir_inside_the_skill_is_refused(sandbox: Sandbox, skill_factory) -> None:
    """/work is writable: a work dir inside the skill folder would make the skill writable."""
    skill = skill_factory("victim")
    inner = skill / "scratch"
    inner.mkdir()
    with pytest.raises(SandboxRefused, match="overlap"):
        sandbox.run(["sh", "-c", "echo pwned > ../SKILL.md"], work_dir=inner, skill_dir=skill)
    assert "pwned" not in (skill / "SKILL.md").read_text()


def test_configured_values_never_appear_on_a_command_line(limited, work: Path) -> None:
    """[sandbox] env may hold a token; every local user can read a process's argv (ps)."""
    secret = "tok-" + "5f3a9c1e7b"
    seen: list[str] = []

    def watch(stream: str, text: str) -> None:
        if "ready" in text:
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        seen.append((entry / "cmdline").read_bytes().decode("utf-8", "replace"))
                    except OSError:
                        continue

    box = limited(env={"API_TOKEN": secret})
    result = box.run(["sh", "-c", 'echo ready; sleep 0.3; echo "$API_TOKEN"'], work_dir=work, on_output=watch)
    assert result.stdout.split() == ["ready", secret]
    assert seen and not any(secret in cmdline for cmdline in seen)
    assert any("bwrap" in cmdline for cmdline in seen)  # bwrap was there to be looked at

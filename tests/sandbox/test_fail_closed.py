"""Fail closed: no bwrap, an old one, or blocked user namespaces refuse with the fix.
--no-sandbox (a person's flag) runs without bwrap, still with limits and a clean env,
and warns on every run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memento_tui.domain.config import SandboxConfig
from memento_tui.domain.sandbox import UNSANDBOXED_WARNING, Sandbox, SandboxUnavailable
from memento_tui.domain.sandbox.probe import userns_fix
from memento_tui.services.factory import make_services


def fake_path(folder: Path, tools: dict[str, str]) -> str:
    """A PATH with only the basics plus fake tools (shell scripts) under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o755)
    for name in ("sh", "true", "prlimit", "setpriv", "python3", "cat", "env", "sleep"):
        real = Path("/usr/bin") / name
        if real.exists() and name not in tools:
            (folder / name).symlink_to(real)
    for name, script in tools.items():
        (folder / name).write_text("#!/bin/sh\n" + script)
        (folder / name).chmod(0o755)
    return str(folder)


def test_missing_bwrap_refuses_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, open_dir: Path, work: Path
) -> None:
    monkeypatch.setenv("PATH", fake_path(open_dir / "bin", {}))
    with pytest.raises(SandboxUnavailable) as caught:
        Sandbox(SandboxConfig()).run(["true"], work_dir=work)
    assert "apt-get install bubblewrap" in str(caught.value)
    assert "--no-sandbox" in str(caught.value)


def test_old_bwrap_refuses(monkeypatch: pytest.MonkeyPatch, open_dir: Path, work: Path) -> None:
    monkeypatch.setenv("PATH", fake_path(open_dir / "bin", {"bwrap": "echo 'bubblewrap 0.4.1'\n"}))
    with pytest.raises(SandboxUnavailable, match=r"too old.*0\.8\.0"):
        Sandbox(SandboxConfig()).run(["true"], work_dir=work)


def test_blocked_user_namespaces_refuse_with_the_sysctl(
    monkeypatch: pytest.MonkeyPatch, open_dir: Path, work: Path
) -> None:
    fake = (
        'if [ "$1" = --version ]; then echo "bubblewrap 0.8.0"; exit 0; fi\n'
        'echo "bwrap: No permissions to creating new namespace, likely because the kernel '
        'does not allow non-privileged user namespaces." >&2\nexit 1\n'
    )
    monkeypatch.setenv("PATH", fake_path(open_dir / "bin", {"bwrap": fake}))
    with pytest.raises(SandboxUnavailable) as caught:
        Sandbox(SandboxConfig()).run(["true"], work_dir=work)
    assert "user namespaces are blocked" in caught.value.message
    assert "sysctl" in (caught.value.fix or "")


def test_userns_fix_always_names_a_command() -> None:
    assert "sysctl" in userns_fix()


def test_missing_prlimit_refuses(monkeypatch: pytest.MonkeyPatch, open_dir: Path, work: Path) -> None:
    folder = open_dir / "bin"
    fake_path(folder, {"bwrap": "echo 'bubblewrap 0.8.0'\n"})
    (folder / "prlimit").unlink()
    monkeypatch.setenv("PATH", str(folder))
    with pytest.raises(SandboxUnavailable, match="prlimit"):
        Sandbox(SandboxConfig()).run(["true"], work_dir=work)


def test_no_sandbox_runs_without_bwrap_and_warns_every_time(
    monkeypatch: pytest.MonkeyPatch, open_dir: Path, work: Path
) -> None:
    monkeypatch.setenv("PATH", fake_path(open_dir / "bin", {}))  # no bwrap at all
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-pass")
    box = Sandbox(SandboxConfig(wall_seconds=5), allow_unsandboxed=True)
    for _ in range(2):
        streamed: list[tuple[str, str]] = []
        result = box.run(
            ["sh", "-c", "echo $HOME; env | grep -c API_KEY; true"],
            work_dir=work,
            on_output=lambda s, t, seen=streamed: seen.append((s, t)),
        )
        assert result.sandboxed is False
        assert result.warning == UNSANDBOXED_WARNING
        assert streamed[0] == ("stderr", UNSANDBOXED_WARNING + "\n")
        assert "UNSANDBOXED" in result.summary()
        home, keys = result.stdout.split()
        assert home == str(work.resolve()) and keys == "0"


def test_no_sandbox_still_applies_limits(work: Path) -> None:
    box = Sandbox(SandboxConfig(wall_seconds=0.5, output_bytes=4096), allow_unsandboxed=True)
    assert box.run(["sleep", "5"], work_dir=work).limit == "wall_time"
    assert box.run(["sh", "-c", "yes"], work_dir=work).limit == "output"
    cpu = Sandbox(SandboxConfig(cpu_seconds=1, wall_seconds=10), allow_unsandboxed=True)
    assert cpu.run(["python3", "-c", "while True: pass"], work_dir=work).limit == "cpu"


def test_no_sandbox_maps_skill_and_work_paths(work: Path, skill_factory) -> None:
    skill = skill_factory("mapped", {"scripts/where.py": "import os; print(os.getcwd())\n"})
    box = Sandbox(SandboxConfig(), allow_unsandboxed=True)
    result = box.run(["sh", "-c", "python3 /skill/scripts/where.py; ls /work"], work_dir=work, skill_dir=skill)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(work.resolve())


def test_nothing_but_the_factory_flag_turns_the_sandbox_off(workspace) -> None:
    """The config has no such key, and the services carry the flag only when a person passes it."""
    assert "allow_unsandboxed" not in SandboxConfig.model_fields
    assert "no_sandbox" not in SandboxConfig.model_fields
    assert make_services(workspace.root).sandbox().allow_unsandboxed is False
    assert make_services(workspace.root, allow_unsandboxed=True).sandbox().allow_unsandboxed is True


def test_the_probe_runs_once_per_sandbox(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = Sandbox(SandboxConfig())
    first = box.check()
    monkeypatch.setenv("PATH", "/nonexistent")  # a later PATH change does not matter now
    assert box.check() is first
    assert box.run(["/usr/bin/true"], work_dir=work).exit_code == 0
    assert os.path.exists(first.bwrap or "")


@pytest.mark.skipif(os.geteuid() != 0, reason="setpriv is only needed under root")
def test_missing_setpriv_under_root_refuses(monkeypatch: pytest.MonkeyPatch, open_dir: Path, work: Path) -> None:
    """Without setpriv the sandbox could only run as host root: refuse instead."""
    folder = open_dir / "bin"
    fake_path(folder, {"bwrap": "echo 'bubblewrap 0.8.0'\n"})
    (folder / "setpriv").unlink()
    monkeypatch.setenv("PATH", str(folder))
    with pytest.raises(SandboxUnavailable, match="setpriv") as caught:
        Sandbox(SandboxConfig()).run(["true"], work_dir=work)
    assert "util-linux" in (caught.value.fix or "")

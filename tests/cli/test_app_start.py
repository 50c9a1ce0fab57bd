"""Starting the app: refused without a terminal, and a broken config is a message, not a
100-line traceback, before the screen takes over."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from memento_tui.domain.workspace import Workspace

MEMENTO = [sys.executable, "-m", "memento_tui.cli.main"]


def test_without_a_terminal_the_app_refuses_and_names_the_headless_commands(
    workspace: Workspace,
) -> None:
    started = time.monotonic()
    out = subprocess.run(
        [*MEMENTO, "-C", str(workspace.root)], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "needs a terminal" in out.stderr and "memento run" in out.stderr
    assert out.stdout == ""  # no frames drawn into the file
    assert time.monotonic() - started < 30


def _run_in_a_terminal(argv: list[str], cwd: Path, seconds: float = 30) -> tuple[int, str]:
    """Run with a pseudo-terminal as stdin/stdout/stderr; what it printed, and its exit code."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color"},
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    if proc.poll() is None:
        proc.kill()
    os.close(leader)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_a_broken_config_is_a_clear_message_at_start(workspace: Workspace) -> None:
    config = workspace.paths.config
    config.write_text("[model\nname = 'x'\n", encoding="utf-8")
    code, text = _run_in_a_terminal([*MEMENTO], workspace.root)
    assert code == 2
    assert "config.toml:1: not valid TOML" in text
    assert "fix:" in text
    assert "Traceback" not in text and "ConfigError:" not in text

"""The real model, end to end: ``memento run --model local`` starts llama.cpp's server with
the bundled SmolLM2 GGUF, the agent's JSON actions come back schema-constrained, a command
runs in the sandbox, a verdict is recorded, and no server process outlives memento —
whether it ends normally, on Ctrl-C, or by SIGKILL.

These assert the wire path, not task success: a 135M model is not expected to solve
anything. They skip only when the [local] extra is not installed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from tests.local_model.conftest import local_model_missing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.local_model,
    pytest.mark.skipif(bool(local_model_missing()), reason=local_model_missing() or "ok"),
]

# Phrased so that even a 135M model answers with the run tool (tried against it).
TASK = "Run the shell command `wc -l notes.txt`."


# -- processes, read from /proc (no psutil) ---------------------------------------------
def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid), or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _llama_servers(parent: int | None = None) -> dict[int, str]:
    """Live llama.cpp server processes (optionally only children of ``parent``)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        stat = _stat(pid)
        if stat is None or stat[0] in "ZX" or (parent is not None and stat[1] != parent):
            continue
        cmd = _cmdline(pid)
        if "llama_server.py" in cmd or "llama_cpp.server" in cmd:
            found[pid] = cmd
    return found


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in "ZX"


def _gone_within(pids: set[int], seconds: float) -> set[int]:
    """The pids still alive after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {pid for pid in pids if _alive(pid)}
        if not left:
            return set()
        time.sleep(0.1)
    return {pid for pid in pids if _alive(pid)}


def _port(cmdline: str) -> int:
    match = re.search(r"--port (\d+)", cmdline)
    assert match, cmdline
    return int(match.group(1))


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
    except urllib.error.HTTPError:
        return True  # 401: up, and asking for memento's key
    except OSError:
        return False
    return True


# -- the set-up ---------------------------------------------------------------------------
@pytest.fixture
def small_workspace(empty_workspace: Workspace, tmp_path: Path) -> tuple[Workspace, Path]:
    """No skills (a short prompt, so a step takes seconds on 2 cores) and a short budget."""
    config = empty_workspace.paths.config
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"(?m)^max_steps = \d+", "max_steps = 3", text), encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("alpha\nbeta\ngamma\n", encoding="utf-8")
    return empty_workspace, notes


def _memento(workspace: Workspace, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "memento_tui", "-C", str(workspace.root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def _run_args(notes: Path, *extra: str) -> list[str]:
    return ["run", TASK, "--model", "local", "--no-learn", "--input", str(notes), *extra]


def _wait_for_server(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, int]:
    """(pid, port) of the server ``proc`` started, once it answers HTTP."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for pid, cmd in _llama_servers(parent=proc.pid).items():
            if _answers(_port(cmd)):
                return pid, _port(cmd)
        time.sleep(0.1)
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"memento started no local model server that answered:\n{out}\n{err}")


# -- the tests ----------------------------------------------------------------------------
def test_memento_run_on_the_local_model_runs_a_sandboxed_command_and_records_a_verdict(
    small_workspace: tuple[Workspace, Path],
) -> None:
    workspace, notes = small_workspace
    proc = _memento(workspace, *_run_args(notes, "--check", "test -s notes.txt"))
    seen: set[int] = set()
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        seen |= set(_llama_servers(parent=proc.pid))
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate()
    assert proc.returncode in (0, 1), f"the run did not end with a verdict:\n{out}\n{err}"
    assert seen, "memento run --model local started no llama.cpp server"
    assert _gone_within(seen, 5) == set(), "a llama.cpp server outlived memento run"

    store = make_services(workspace).runs()
    record = store.list()[0]
    trace: tuple[list[Any], list[str]] = store.trace(record.id)
    events, problems = trace
    assert problems == []
    assert record.model == "local"
    assert record.status in ("passed", "failed")
    verdicts = [e for e in events if e.type == "verdict"]
    assert len(verdicts) == 1 and verdicts[0].source == "check"

    turns = [e for e in events if e.type == "model_turn"]
    assert turns and all(t.tool_calls for t in turns), "a reply did not parse into an action"
    assert all(t.protocol_error == "" for t in turns)
    assert sum(t.completion_tokens for t in turns) > 0  # usage came back over the wire
    ran = [e for e in events if e.type == "tool_result" and e.name == "run"]
    assert ran, f"no command ran; the model chose {[t.tool_calls for t in turns]}"
    assert ran[0].sandboxed is True and ran[0].exit_code is not None


def test_killing_memento_with_sigkill_mid_run_leaves_no_server(
    small_workspace: tuple[Workspace, Path],
) -> None:
    workspace, notes = small_workspace
    proc = _memento(workspace, *_run_args(notes))
    try:
        pid, _ = _wait_for_server(proc)
    finally:
        proc.kill()  # SIGKILL: no finally, no atexit; only the kernel can stop the server
        proc.communicate()
    assert _gone_within({pid}, 10) == set(), "the llama.cpp server outlived a SIGKILLed memento"


def test_ctrl_c_stops_memento_run_and_its_server(small_workspace: tuple[Workspace, Path]) -> None:
    workspace, notes = small_workspace
    # A shell's background job ignores SIGINT; give memento a terminal's default.
    proc = _memento(
        workspace,
        *_run_args(notes),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    pid, _ = _wait_for_server(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    # 130 is memento's own exit on Ctrl-C; -SIGINT is the same Ctrl-C landing while Python
    # shuts down (it then dies by the signal, as CPython does). Either way memento stopped,
    # said so, and what matters is checked next: no server outlives it.
    assert proc.returncode in (130, -signal.SIGINT), f"{out}\n{err}"
    assert "interrupted" in err
    assert not _alive(pid), "the llama.cpp server was still running when memento exited"


def test_model_serve_answers_a_plain_openai_client_and_stops_on_ctrl_c(
    empty_workspace: Workspace,
) -> None:
    """``memento model serve`` for other tools; a stock ModelClient pointed at it (as the
    printed snippet says) gets valid actions: it learns the schema shape the server takes."""
    from memento_tui.domain.agent.tools import TOOLS
    from memento_tui.domain.config import ModelConfig
    from memento_tui.domain.llm import ModelClient

    proc = _memento(
        empty_workspace,
        "model",
        "serve",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/v1)", first)
        assert match, first + (proc.stderr.read() if proc.stderr else "")
        url = match.group(1)
        client = ModelClient(ModelConfig(name="openai/local", api_base=url, tool_calling="json"))
        reply = client.complete(
            [{"role": "system", "content": "You are terse."}, {"role": "user", "content": TASK}],
            TOOLS,
            max_tokens=60,
        )
        assert reply.tool_calls and reply.protocol_error == "", reply.text
        assert client.schema_as_json_object is True
        servers = _llama_servers(parent=proc.pid)
        assert len(servers) == 1
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, f"{out}\n{err}"
    assert "stopping the server" in out
    assert _gone_within(set(servers), 2) == set()


def test_doctor_starts_the_local_model_and_times_one_token(
    small_workspace: tuple[Workspace, Path],
) -> None:
    workspace, _ = small_workspace
    config = workspace.paths.config
    config.write_text(
        re.sub(r'(?m)^name = ""', 'name = "local"', config.read_text(encoding="utf-8"), count=1),
        encoding="utf-8",
    )
    proc = _memento(workspace, "doctor", "--json")
    out, err = proc.communicate(timeout=120)
    assert out, err
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert checks["local model"]["status"] == "ok", checks["local model"]
    assert ".gguf" in checks["local model"]["detail"] and "MB" in checks["local model"]["detail"]
    assert checks["local model server"]["status"] == "ok", checks["local model server"]
    assert checks["local model call"]["status"] == "ok", checks["local model call"]
    assert re.search(r"one token in \d+ ms", checks["local model call"]["detail"])
    assert checks["model call"]["status"] == "skip"


def test_a_server_started_from_a_worker_thread_outlives_that_thread() -> None:
    """The TUI runs tasks in worker threads, and PR_SET_PDEATHSIG follows the thread that
    started the child, not the process: a server started from a worker must not die with
    it, and the next run must reuse it."""
    import threading

    from memento_tui.domain.config import ModelConfig
    from memento_tui.domain.llm.local import LocalModelClient

    client = LocalModelClient.for_config(ModelConfig(name="local"))
    try:
        worker = threading.Thread(target=client.prepare)
        worker.start()
        worker.join()
        assert client.server.info is not None
        pid = client.server.info.pid
        time.sleep(0.5)  # room for a parent-death signal to arrive, if one were sent
        assert _alive(pid), "the server died with the worker thread that started it"
        client.prepare()
        assert client.server.info.pid == pid
    finally:
        client.close()
    assert not _alive(pid)

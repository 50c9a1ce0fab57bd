"""Cancelling a run kills the sandboxed command at once and records "cancelled": from the
domain (the app's ctrl+x sets the same event) and from the CLI's Ctrl-C. A cancelled run
is in no failure rate.

The real agent, the real bwrap sandbox, litellm to a scripted server.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.loop import RunCallbacks, RunRequest
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.insights import load_insights
from memento_tui.testing.scripted_server import ScriptedServer, call

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

SLOW = "sleep 25"


def _cancel_when(kind: str, name: str, cancel: threading.Event, after: float) -> Any:
    """An on_event callback that sets ``cancel`` ``after`` seconds past the named event."""
    stamp: dict[str, float] = {}

    def on_event(event: Any) -> None:
        if event.type == kind and getattr(event, "name", None) == name:
            stamp["at"] = time.monotonic()
            threading.Timer(after, cancel.set).start()

    return on_event, stamp


def test_cancel_kills_the_running_command_at_once_and_records_cancelled(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    scripted.add(call("run", command=SLOW), call("finish", answer="never", success=True))
    cancel = threading.Event()
    on_event, stamp = _cancel_when("tool_called", "run", cancel, 1.0)
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="wait a while", learn=False), RunCallbacks(on_event=on_event), cancel)
    took = time.monotonic() - stamp["at"]

    assert took < 4, f"the run took {took:.1f} s to stop"
    assert record.status == "cancelled"
    events, _ = services.runs().trace(record.id)
    result = next(e for e in events if e.type == "tool_result")
    assert result.output == "[cancelled by the person]" and result.exit_code is None
    stop = next(e for e in events if e.type == "run_error")
    assert stop.kind == "cancelled"
    assert not any(e.type == "verdict" for e in events)
    assert events[-1].type == "run_finished" and events[-1].status == "cancelled"
    assert scripted.remaining == 1  # the model was not asked again


def test_cancel_during_the_check_stops_the_check(workspace: Workspace, scripted: ScriptedServer) -> None:
    scripted.add(call("finish", answer="done", success=True))
    cancel = threading.Event()
    on_event, stamp = _cancel_when("tool_result", "finish", cancel, 1.0)
    services = make_services(workspace)
    record = services.agent().run(
        RunRequest(task="wait a while", check=SLOW, learn=False),
        RunCallbacks(on_event=on_event),
        cancel,
    )
    assert time.monotonic() - stamp["at"] < 4
    assert record.status == "cancelled" and record.verdict_source is None


def test_ctrl_c_in_the_cli_cancels_the_command_and_records_cancelled(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    scripted.add(call("run", command=SLOW), call("finish", answer="never", success=True))
    proc = subprocess.Popen(
        [sys.executable, "-m", "memento_tui", "-C", str(workspace.root), "run", "wait a while"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        trace = _wait_for_trace(workspace, '"tool_called"')
        time.sleep(0.5)  # the sandbox is starting or running the command
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
    assert took < 5, f"memento took {took:.1f} s to stop"
    assert proc.returncode == 130
    assert "cancelling" in err
    assert "cancelled: the run was cancelled by the person" in out
    run_id = trace.parent.name
    assert make_services(workspace).runs().load(run_id).status == "cancelled"
    # No learning: a cancelled run is not a failure.
    assert "reflecting" not in out


def _wait_for_trace(workspace: Workspace, needle: str) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for trace in workspace.paths.runs.glob("*/trace.jsonl"):
            if needle in trace.read_text(encoding="utf-8"):
                return trace
        time.sleep(0.05)
    raise AssertionError(f"no trace with {needle} within 60 s")


def test_a_cancelled_run_is_in_no_failure_rate(workspace: Workspace, scripted: ScriptedServer, capsys: Any) -> None:
    scripted.add(call("run", command=SLOW))
    cancel = threading.Event()
    on_event, _ = _cancel_when("tool_called", "run", cancel, 0.5)
    services = make_services(workspace)
    services.agent().run(RunRequest(task="wait", learn=False), RunCallbacks(on_event=on_event), cancel)
    totals = load_insights(make_services(workspace)).totals
    assert (totals.cancelled, totals.failures, totals.finished) == (1, 0, 0)
    assert main(["-C", str(workspace.root), "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["cancelled"] == 1

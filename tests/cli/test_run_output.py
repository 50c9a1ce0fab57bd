"""What `memento run` and `memento doctor` print: -q gives the run id and the verdict, the
finish call reads as words, and doctor times the model's answer without litellm's import.

Real workspaces, the real sandbox, litellm to a scripted server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.render import call_text
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import ScriptedServer, Step, call, say

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

CHECK = "test -s people.json"


def _run(workspace: Workspace, *extra: str) -> int:
    return main(["-C", str(workspace.root), "run", "write people.json", "--no-learn", *extra])


def test_quiet_prints_the_run_id_and_the_verdict(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(
        call("write_file", path="people.json", content="[]"),
        call("finish", answer="wrote it", success=True),
    )
    assert _run(workspace, "-q", "--check", CHECK) == 0
    out = capsys.readouterr().out
    record = make_services(workspace).runs().list()[0]
    assert out == f"run {record.id}: PASS (check: check exited 0)\n"


def test_quiet_says_what_ended_a_run_that_had_no_verdict(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(call("list_files"))  # then the script runs out: the server answers 500
    assert _run(workspace, "-q") == 2
    out = capsys.readouterr().out.strip().splitlines()
    record = make_services(workspace).runs().list()[0]
    assert out[0].startswith(f"run {record.id}: error — model_server: the model server failed")
    assert out[1:] == ["  fix: retry later; if it persists, check the server's log"]


def test_the_finish_call_is_shown_in_words(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(call("finish", answer="could not find people.csv", success=False))
    assert _run(workspace) == 1
    out = capsys.readouterr().out
    assert "[1] finish: reported not done — could not find people.csv" in out
    assert "False" not in out
    record = make_services(workspace).runs().list()[0]
    assert main(["-C", str(workspace.root), "runs", "show", record.id]) == 0
    assert "→ finish: reported not done — could not find people.csv" in capsys.readouterr().out


def test_finish_words_for_done_and_for_an_empty_answer() -> None:
    assert call_text("finish", {"answer": "wrote people.json", "success": True}) == (
        "finish: reported done — wrote people.json"
    )
    assert call_text("finish", {"answer": "", "success": False}) == "finish: reported not done"
    assert call_text("run", {"command": "ls  -l"}) == "run ls -l"


def test_doctor_times_the_model_call_without_litellms_import(workspace: Workspace, scripted: ScriptedServer) -> None:
    # A fresh process, as a person runs it: litellm is not imported yet (2-4 s here).
    scripted.add(Step(content="ok", delay=0.3))
    proc = subprocess.run(
        [sys.executable, "-m", "memento_tui", "-C", str(workspace.root), "doctor", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    detail = checks["model call"]["detail"]
    found = re.search(r"answered in (\d+) ms", detail)
    assert found, detail
    assert 300 <= int(found.group(1)) < 1000, detail


def test_doctor_still_reports_an_unreachable_model(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    with ScriptedServer() as server:
        server.add(say("ok"))
        from tests.conftest import configure_model

        configure_model(workspace, server.api_base)
    main(["-C", str(workspace.root), "doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["model call"]["status"] == "fail"
    assert "cannot reach" in checks["model call"]["detail"]

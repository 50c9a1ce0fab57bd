"""The whole agent, driven through litellm's real code path to a scripted server on 127.0.0.1,
with real retrieval, the real bwrap sandbox and a real workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import (
    ScriptedServer,
    call,
    fail,
    json_action,
    say,
    say_and_call,
)
from tests.conftest import configure_model

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

CHECK_JSON = (
    "python3 -c \"import json; rows = json.load(open('people.json')); assert rows[1]['name'] == 'Grace', rows\""
)


@pytest.fixture
def people_csv(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("name;born\nAda;1815\nGrace;1906\n", encoding="utf-8")
    return path


def _types(events: list) -> list[str]:
    return [e.type for e in events]


def test_task_retrieves_a_starter_skill_runs_its_script_and_passes_its_check(
    workspace: Workspace, scripted: ScriptedServer, people_csv: Path
) -> None:
    scripted.add(
        say_and_call("I will use the csv skill.", "load_skill", name="csv-json"),
        call("run", command="python3 /skill/scripts/csv2json.py people.csv -o people.json"),
        call("finish", answer="wrote people.json", success=True),
    )
    services = make_services(workspace)
    task = "Convert the semicolon separated people.csv file to JSON records in people.json"
    record = services.agent().run(RunRequest(task=task, check=CHECK_JSON, inputs=[people_csv]))

    assert record.status == "passed"
    assert record.verdict_source == "check"
    assert record.skills_retrieved[0] == "csv-json"
    assert record.skills_used == ["csv-json"]
    assert record.prompt_tokens == 3 * 50 and record.completion_tokens == 3 * 10
    work = services.runs().dir(record.id) / "work"
    assert json.loads((work / "people.json").read_text())[0] == {"name": "Ada", "born": "1815"}

    events, problems = services.runs().trace(record.id)
    assert problems == []
    assert _types(events)[:2] == ["run_started", "skills_retrieved"]
    assert _types(events)[-2:] == ["verdict", "run_finished"]
    run_result = next(e for e in events if e.type == "tool_result" and e.name == "run")
    assert run_result.exit_code == 0 and run_result.sandboxed is True and run_result.skill == "csv-json"
    # The model saw only names and descriptions up front, then the full SKILL.md on demand.
    first_request = scripted.requests[0]["messages"]
    assert "csv-json:" in first_request[0]["content"]
    assert "## Usage" not in first_request[0]["content"]
    assert "## Usage" in json.dumps(scripted.requests[1]["messages"])
    # A success teaches retrieval: the task became a trigger of the skill.
    assert task in services.index().triggers("csv-json")


def test_a_failing_check_fails_the_run_and_the_cli_exits_1(
    workspace: Workspace, scripted: ScriptedServer, people_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(
        call("write_file", path="people.json", content='[{"name": "Ada"}, {"name": "Ada"}]'),
        call("finish", answer="done", success=True),
    )
    code = main(
        [
            "-C",
            str(workspace.root),
            "run",
            "Convert people.csv to JSON in people.json",
            "--check",
            CHECK_JSON,
            "--input",
            str(people_csv),
            "--no-learn",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "verdict: FAIL (check: check exited 1)" in out
    record = make_services(workspace).runs().list()[0]
    assert record.status == "failed"
    events, _ = make_services(workspace).runs().trace(record.id)
    verdict = next(e for e in events if e.type == "verdict")
    assert "AssertionError" in verdict.check_output


def test_a_model_that_errors_mid_run_ends_in_error_with_a_readable_trace(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(call("load_skill", name="text-stats"), fail(500, "upstream exploded"))
    code = main(["-C", str(workspace.root), "run", "count the words in notes.txt", "--no-learn"])
    out = capsys.readouterr().out
    assert code == 2
    assert "the model server failed" in out
    services = make_services(workspace)
    record = services.runs().list()[0]
    assert record.status == "error"
    events, problems = services.runs().trace(record.id)
    assert problems == []
    error = next(e for e in events if e.type == "run_error")
    assert error.kind == "model_server"
    assert events[-1].type == "run_finished" and events[-1].status == "error"


def test_a_model_that_loops_is_told_and_then_stopped(workspace: Workspace, scripted: ScriptedServer) -> None:
    scripted.add(*[call("list_files", path=".") for _ in range(5)])
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="list my files", learn=False))
    events, _ = services.runs().trace(record.id)
    refused = [e.not_run for e in events if e.type == "tool_result" and e.not_run]
    assert refused[0] == "the same call as the one before (repeat 1)"
    assert any(e.type == "run_error" and e.guard == "repeated_call" for e in events)
    assert record.status == "failed" and record.guard == "repeated_call"
    # The model was told, in the tool result it received.
    assert "You already called list_files" in json.dumps(scripted.requests[2]["messages"][-1])


def test_step_budget_stops_the_run(workspace: Workspace, scripted: ScriptedServer) -> None:
    configure_model(workspace, scripted.api_base)
    text = workspace.paths.config.read_text().replace("max_steps = 30", "max_steps = 2")
    workspace.paths.config.write_text(text)
    workspace.reload_config()
    scripted.add(call("list_files"), call("read_file", path="x"), call("finish", answer="never", success=True))
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="anything", learn=False))
    events, _ = services.runs().trace(record.id)
    budget = next(e for e in events if e.type == "run_error")
    assert budget.kind == "guard" and budget.guard == "step_budget" and "max_steps" in budget.message
    assert record.status == "failed" and scripted.remaining == 1


def test_json_protocol_for_models_without_tool_calls(workspace: Workspace, people_csv: Path) -> None:
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="json")
        server.add(
            json_action("load_skill", name="csv-json"),
            say("I think I should run it"),  # not an action: the model is told and retries
            json_action("run", command="python3 /skill/scripts/csv2json.py people.csv -o people.json"),
            json_action("finish", answer="ok", success=True),
        )
        services = make_services(workspace)
        record = services.agent().run(
            RunRequest(task="people.csv to people.json", check=CHECK_JSON, inputs=[people_csv], learn=False)
        )
        assert record.status == "passed"
        assert "tools" not in server.requests[0]
        assert server.requests[0]["response_format"]["type"] == "json_schema"
        events, _ = services.runs().trace(record.id)
        assert any(e.type == "note" and "not understood" in e.message for e in events)


def test_paths_outside_the_work_dir_are_refused(workspace: Workspace, scripted: ScriptedServer) -> None:
    scripted.add(
        call("read_file", path="../../config.toml"),
        call("write_file", path="/etc/evil", content="x"),
        call("read_skill_file", name="csv-json", path="../../.memento/config.toml"),
        call("finish", answer="gave up", success=False),
    )
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="read secrets", learn=False))
    events, _ = services.runs().trace(record.id)
    results = [e for e in events if e.type == "tool_result" and e.name != "finish"]
    assert [r.ok for r in results] == [False, False, False]
    assert "leads outside /work" in results[0].output
    assert "outside /work" in results[1].output
    assert not Path("/etc/evil").exists()
    assert record.status == "failed" and record.verdict_source == "agent"


def test_runs_mark_overrides_the_verdict_and_teaches_retrieval(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(call("load_skill", name="unit-convert"), call("finish", answer="5 km is 3.1 mi", success=False))
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="how many miles is 5 km"))
    assert record.status == "failed"
    code = main(["-C", str(workspace.root), "runs", "mark", record.id[:12], "pass", "--note", "the answer was right"])
    assert code == 0
    again = make_services(workspace)
    assert again.runs().load(record.id).status == "passed"
    assert again.runs().load(record.id).verdict_source == "person"
    assert "how many miles is 5 km" in again.index().triggers("unit-convert")
    code = main(["-C", str(workspace.root), "runs", "show", record.id])
    out = capsys.readouterr().out
    assert "verdict PASS by person: the answer was right" in out


def test_doctor_makes_a_real_one_token_call(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(say("ok"))
    main(["-C", str(workspace.root), "doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["model call"]["status"] == "ok"
    assert "answered in" in checks["model call"]["detail"]
    assert scripted.requests[-1]["max_tokens"] == 1
    scripted.stop()
    main(["-C", str(workspace.root), "doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["model call"]["status"] == "fail"
    assert "cannot reach" in checks["model call"]["detail"]


def test_a_run_killed_mid_way_leaves_a_readable_trace_and_shows_interrupted(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys
    import time

    from memento_tui.testing.scripted_server import Step

    scripted.add(call("list_files"), Step(content="never sent", delay=60))
    proc = subprocess.Popen(
        [sys.executable, "-m", "memento_tui", "-C", str(workspace.root), "run", "a slow task", "--no-learn"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(scripted.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(scripted.requests) == 2, "the run never reached its second model call"
    finally:
        proc.kill()
        proc.wait()
    store = make_services(workspace).runs()
    record = store.list()[0]
    assert record.status == "interrupted"
    events, problems = store.trace(record.id)
    assert problems == []
    assert [e.type for e in events] == ["run_started", "skills_retrieved", "model_turn", "tool_called", "tool_result"]
    assert main(["-C", str(workspace.root), "runs", "show", record.id]) == 0
    assert "the run was interrupted" in capsys.readouterr().out


def test_escape_sequences_from_scripts_never_reach_the_terminal(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.add(
        call("run", command="printf 'ok\\033]0;pwned\\007\\n'; exit 3"),
        call("finish", answer="\u202eevil", success=False),
    )
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="print things", learn=False))
    assert main(["-C", str(workspace.root), "runs", "show", record.id]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "ok⟨U+001B⟩]0;pwned⟨U+0007⟩" in out

"""Guards: a run stopped by one is PASS only on a check, says which guard stopped it, and
teaches retrieval nothing; unreadable replies end a run after a few, naming the fix.

The real agent, through litellm to a scripted server, the real sandbox and workspace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.guards import MAX_UNREADABLE
from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.learning.compress import compress_trace
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import (
    ScriptedServer,
    Step,
    call,
    garbage,
    json_action,
    say,
)
from tests.conftest import configure_model

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

CONVERT = "python3 /skill/scripts/csv2json.py people.csv -o people.json"
CHECK_JSON = "python3 -c \"import json; json.load(open('people.json'))\""
TASK = "Convert the semicolon separated people.csv to JSON records in people.json"


@pytest.fixture
def people_csv(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("name;born\nAda;1815\nGrace;1906\n", encoding="utf-8")
    return path


def _cli_run(workspace: Workspace, *extra: str) -> int:
    return main(["-C", str(workspace.root), "run", TASK, "--no-learn", *extra])


def test_a_looping_run_whose_check_passes_says_a_guard_stopped_it_and_teaches_nothing(
    workspace: Workspace,
    scripted: ScriptedServer,
    people_csv: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scripted.add(call("load_skill", name="csv-json"), *[call("run", command=CONVERT)] * 5)
    code = _cli_run(workspace, "--check", CHECK_JSON, "--input", str(people_csv))
    out = capsys.readouterr().out

    assert code == 0
    assert ("verdict: PASS (check) — but a guard stopped the run: the model repeated the same run call 4 times") in out
    # Calls the loop refused were never run: no exit code to show.
    assert "exit None" not in out
    assert out.count("← not run: the same call as the one before") == 3
    services = make_services(workspace)
    record = services.runs().list()[0]
    assert record.status == "passed" and record.verdict_source == "check"
    assert record.guard == "repeated_call"
    assert record.guard_message == "the model repeated the same run call 4 times"
    events, _ = services.runs().trace(record.id)
    stop = next(e for e in events if e.type == "run_error")
    assert (stop.kind, stop.guard) == ("guard", "repeated_call")
    verdict = next(e for e in events if e.type == "verdict")
    assert verdict.passed and verdict.guard == record.guard_message
    assert events[-1].type == "run_finished" and events[-1].guard == "repeated_call"
    # What reflection reads says so too.
    shown = compress_trace(events, 20_000)
    assert "STOPPED BY THE repeated_call GUARD: the model repeated the same run call" in shown
    assert "(a guard stopped the run: the model repeated" in shown
    # A clean success would have made the task a trigger of csv-json; this one does not.
    assert TASK not in services.index().triggers("csv-json")
    # The record rebuilt from the trace alone says the same.
    (services.runs().dir(record.id) / "run.json").unlink()
    rebuilt = make_services(workspace).runs().load(record.id)
    assert (rebuilt.guard, rebuilt.status) == ("repeated_call", "passed")


def test_a_clean_pass_still_teaches_retrieval(workspace: Workspace, scripted: ScriptedServer, people_csv: Path) -> None:
    scripted.add(
        call("load_skill", name="csv-json"),
        call("run", command=CONVERT),
        call("finish", answer="done", success=True),
    )
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task=TASK, check=CHECK_JSON, inputs=[people_csv]))
    assert record.status == "passed" and record.guard is None
    assert TASK in services.index().triggers("csv-json")


def test_words_before_any_action_are_not_taken_as_the_answer(
    workspace: Workspace, scripted: ScriptedServer, people_csv: Path
) -> None:
    # A model narrating first ("Let me look at the skill first.") used to end the run there,
    # a PASS on the agent's report for work never done. It is asked once to act or finish.
    scripted.add(
        say("Let me look at the skill first."),
        call("load_skill", name="csv-json"),
        call("run", command=CONVERT),
        call("finish", answer="converted", success=True),
    )
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task=TASK, check=CHECK_JSON, inputs=[people_csv]))
    assert record.status == "passed" and record.steps == 4 and record.skills_used == ["csv-json"]
    events, _ = services.runs().trace(record.id)
    assert any(e.type == "note" and "called no tool" in e.message for e in events)
    asked = scripted.requests[1]["messages"]
    assert asked[-2] == {"role": "assistant", "content": "Let me look at the skill first."}
    assert "call finish" in asked[-1]["content"]


def test_words_twice_in_a_row_are_the_final_answer(workspace: Workspace, scripted: ScriptedServer) -> None:
    scripted.add(say("The file is already JSON."), say("As I said, nothing needs converting."))
    record = make_services(workspace).agent().run(RunRequest(task=TASK))
    assert record.answer == "As I said, nothing needs converting." and record.steps == 2
    assert scripted.remaining == 0


def test_without_a_check_a_guarded_run_is_never_pass_not_even_by_the_llm_judge(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_model(workspace, scripted.api_base, judge="openai/scripted")
    judge_says_pass = say('{"passed": true, "reason": "looks done"}')
    scripted.add(*[call("list_files")] * 4, judge_says_pass)

    assert _cli_run(workspace) == 1
    out = capsys.readouterr().out
    assert "verdict: FAIL (guard: no check proves the work done) — a guard stopped the run" in out
    record = make_services(workspace).runs().list()[0]
    assert record.status == "failed" and record.verdict_source == "guard"
    assert scripted.remaining == 1  # the judge was never asked


def test_a_step_budget_stop_with_a_passing_check_names_the_budget(
    workspace: Workspace, scripted: ScriptedServer, people_csv: Path
) -> None:
    text = workspace.paths.config.read_text().replace("max_steps = 30", "max_steps = 2")
    workspace.paths.config.write_text(text)
    workspace.reload_config()
    scripted.add(call("load_skill", name="csv-json"), call("run", command=CONVERT))
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task=TASK, check=CHECK_JSON, inputs=[people_csv]))
    assert record.status == "passed" and record.guard == "step_budget"
    assert "max_steps" in record.guard_message
    assert TASK not in services.index().triggers("csv-json")


def test_prose_instead_of_actions_ends_the_run_after_a_few_and_names_the_fix(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="json")
        server.add(*[say("You could convert it with pandas, it is easy.")] * 30)
        assert _cli_run(workspace) == 1
        out = capsys.readouterr().out
        assert len(server.requests) == MAX_UNREADABLE
    assert "stopped by the unreadable replies guard: 3 replies in a row" in out
    assert "fix: the model does not answer with the JSON action it is asked for" in out
    assert 'set tool_calling = "auto" under [model]' in out
    record = make_services(workspace).runs().list()[0]
    assert record.status == "failed" and record.guard == "unreadable_replies"
    events, _ = make_services(workspace).runs().trace(record.id)
    stop = next(e for e in events if e.type == "run_error")
    assert str(workspace.paths.config) in stop.fix


def test_a_readable_reply_between_unreadable_ones_resets_the_count(workspace: Workspace, people_csv: Path) -> None:
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="json")
        server.add(
            say("hmm"),
            say("let me think"),
            json_action("load_skill", name="csv-json"),
            say("now what"),
            say("really"),
            json_action("run", command=CONVERT),
            json_action("finish", answer="done", success=True),
        )
        services = make_services(workspace)
        request = RunRequest(task=TASK, check=CHECK_JSON, inputs=[people_csv], learn=False)
        record = services.agent().run(request)
    assert record.status == "passed" and record.guard is None


def test_native_tool_calls_whose_arguments_never_parse_are_unreadable(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    broken = Step(tool_calls=[{"name": "run", "arguments": "ls -l"}])  # a string, not an object
    scripted.add(broken, broken, broken, broken)
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="list the files", learn=False))
    assert record.status == "failed" and record.guard == "unreadable_replies"
    assert scripted.remaining == 1
    events, _ = services.runs().trace(record.id)
    stop = next(e for e in events if e.type == "run_error")
    assert 'tool_calling = "json"' in stop.fix


def test_empty_replies_are_unreadable_and_the_fix_names_the_server(
    workspace: Workspace, scripted: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # An HTTP 200 whose body is no chat reply at all reaches the loop as an empty reply; it
    # used to end the run at once as the agent's own FAIL, with no word on why.
    scripted.add(call("list_files"), garbage(), garbage(), garbage(), garbage())
    assert _cli_run(workspace) == 1
    out = capsys.readouterr().out
    assert "reply not understood: the reply was empty" in out
    assert f"fix: the replies from {scripted.api_base} were empty" in out
    record = make_services(workspace).runs().list()[0]
    assert record.guard == "unreadable_replies" and scripted.remaining == 1
    # The model was told what was wrong, in the words for a native tool caller.
    nudge = scripted.requests[2]["messages"][-1]["content"]
    assert nudge == (
        "That reply could not be used: the reply was empty. Call one of the tools (finish when you are done)."
    )

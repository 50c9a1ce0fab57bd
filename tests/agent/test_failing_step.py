"""Choosing the failing step of a run for the review: hand-made traces, each event the
real pydantic model the agent loop writes, and a real RunStore on disk for the loader."""

from __future__ import annotations

from pathlib import Path

from memento_tui.domain.agent.failing_step import (
    choose_failing_step,
    clip_text,
    failing_step_for,
    failing_step_lines,
    linked_runs,
    run_link_line,
)
from memento_tui.domain.agent.runs import RunRecord, RunStore
from memento_tui.domain.agent.trace import (
    ModelTurn,
    RunFailed,
    RunFinished,
    RunStarted,
    ToolCalled,
    ToolResult,
    VerdictGiven,
)
from memento_tui.domain.patches.model import PatchEvidence, RegressionResult, ReplayResult
from memento_tui.domain.paths import WorkspacePaths


def _call(step: int, call_id: str, tool: str, **arguments: object) -> ToolCalled:
    return ToolCalled(step=step, call_id=call_id, name=tool, arguments=dict(arguments))


def _result(
    step: int, call_id: str, tool: str, output: str, *, ok: bool = True, exit_code: int | None = None, **kw: object
) -> ToolResult:
    return ToolResult(step=step, call_id=call_id, name=tool, ok=ok, output=output, exit_code=exit_code, **kw)  # type: ignore[arg-type]


def _trace() -> list[object]:
    """Load a skill, run its script (fails), run another command (ok), finish; the check fails."""
    return [
        RunStarted(run_id="r1", task="normalise dates", model="m"),
        ModelTurn(step=1),
        _call(1, "c1", "load_skill", name="date-normalize"),
        _result(1, "c1", "load_skill", "# date-normalize\n..."),
        ModelTurn(step=2),
        _call(2, "c2", "run", command="python3 /skill/scripts/normalize.py in.csv"),
        _result(
            2,
            "c2",
            "run",
            "Traceback (most recent call last):\nValueError: month 13",
            ok=False,
            exit_code=1,
            skill="date-normalize",
        ),
        ModelTurn(step=3),
        _call(3, "c3", "run", command="ls"),
        _result(3, "c3", "run", "in.csv out.csv", exit_code=0),
        ModelTurn(step=4),
        _call(4, "c4", "finish", answer="done", success=True),
        _result(4, "c4", "finish", "finished"),
        VerdictGiven(
            step=4,
            passed=False,
            source="check",
            detail="check failed (exit 1)",
            check_output="AssertionError: ['2024-13-01']",
        ),
        RunFinished(step=4, status="failed"),
    ]


def test_the_reflections_decision_step_is_the_one_shown_with_its_output_and_the_verdict() -> None:
    fs = choose_failing_step(_trace(), 3, run_id="r1")
    assert fs.chosen == "decision-step" and fs.run_id == "r1"
    assert fs.call is not None and fs.call.step == 3 and fs.call.name == "run"
    assert fs.call.arguments == {"command": "ls"} and fs.call.output == "in.csv out.csv"
    assert not fs.call.failed
    assert fs.verdict is not None and not fs.verdict.passed and fs.verdict.source == "check"
    assert fs.verdict.detail == "check failed (exit 1)" and "2024-13-01" in fs.verdict.check_output
    assert fs.why == "the step the reflection named"


def test_a_step_with_several_calls_shows_the_one_that_failed() -> None:
    events = [
        ModelTurn(step=1),
        _call(1, "a", "run", command="echo one"),
        _call(1, "b", "run", command="false"),
        _call(1, "c", "read_file", path="x"),
        _result(1, "a", "run", "one", exit_code=0),
        _result(1, "b", "run", "", ok=False, exit_code=1),
        _result(1, "c", "read_file", "x"),
    ]
    fs = choose_failing_step(events, 1)
    assert fs.call is not None and fs.call.arguments == {"command": "false"} and fs.call.exit_code == 1
    assert fs.call.output == "" and "    (no output)" in failing_step_lines(fs)


def test_a_decision_step_without_a_tool_call_falls_back_to_the_last_failed_call() -> None:
    for step in (99, None):
        fs = choose_failing_step(_trace(), step)
        assert fs.chosen == "last-failure"
        assert fs.call is not None and fs.call.step == 2 and fs.call.exit_code == 1
        assert fs.call.skill == "date-normalize" and "ValueError: month 13" in (fs.call.output or "")
    assert "named step 99, which made no tool call" in choose_failing_step(_trace(), 99).why
    assert "named no step" in choose_failing_step(_trace(), None).why


def test_with_no_failed_call_it_is_the_last_call_that_did_work_not_finish() -> None:
    events = [e for e in _trace() if getattr(e, "call_id", "") != "c2"]
    fs = choose_failing_step(events, None)
    assert fs.chosen == "last-call" and fs.call is not None and fs.call.arguments == {"command": "ls"}
    only_finish = [_call(1, "f", "finish", answer="x"), _result(1, "f", "finish", "finished")]
    fs = choose_failing_step(only_finish, None)
    assert fs.chosen == "last-call" and fs.call is not None and fs.call.name == "finish"


def test_a_run_that_ended_in_an_error_before_any_call() -> None:
    events = [
        RunStarted(run_id="r", task="t", model="m"),
        RunFailed(step=1, kind="model_unreachable", message="connection refused"),
        RunFinished(step=1, status="error"),
    ]
    fs = choose_failing_step(events, 1)
    assert fs.chosen == "none" and fs.call is None and fs.verdict is None
    assert fs.error == "model_unreachable: connection refused"
    lines = failing_step_lines(fs)
    assert lines[0] == "the run made no tool call" and "✗ model_unreachable: connection refused" in lines


def test_a_call_whose_result_never_came_and_a_person_verdict_after_the_check() -> None:
    events = [
        _call(2, "c", "run", command="sleep 1000"),
        VerdictGiven(step=2, passed=True, source="check", detail="ok"),
        VerdictGiven(step=2, passed=False, source="person", detail="wrong file"),
    ]
    fs = choose_failing_step(events, 2)
    assert fs.call is not None and fs.call.output is None
    assert "← no result recorded (the run stopped here)" in failing_step_lines(fs)
    assert fs.verdict is not None and fs.verdict.source == "person" and fs.verdict.detail == "wrong file"


def test_repeated_call_ids_match_the_latest_open_call() -> None:
    # The JSON action protocol may reuse ids across turns.
    events = [
        _call(1, "call_0", "run", command="one"),
        _result(1, "call_0", "run", "first", exit_code=0),
        _call(2, "call_0", "run", command="two"),
        _result(2, "call_0", "run", "second", ok=False, exit_code=2),
    ]
    fs = choose_failing_step(events, 2)
    assert fs.call is not None and fs.call.arguments == {"command": "two"} and fs.call.output == "second"
    fs = choose_failing_step(events, 1)
    assert fs.call is not None and fs.call.output == "first"


def test_output_is_capped_keeping_the_tail_and_hidden_characters_are_made_visible() -> None:
    output = "\n".join(f"line {n}" for n in range(500)) + "\nError: bad \x1b[31mred\x1b[0m \u202eevil\u2028next"
    events = [_call(1, "c", "run", command="x\u200by"), _result(1, "c", "run", output, ok=False, exit_code=1)]
    fs = choose_failing_step(events, 1, output_lines=20)
    assert fs.call is not None and fs.call.output is not None
    assert len(fs.call.output.split("\n")) == 21 and "lines cut" in fs.call.output
    assert fs.call.output.startswith("line 0") and "Error: bad" in fs.call.output
    text = "\n".join(failing_step_lines(fs))
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    assert "⟨U+001B⟩[31mred" in text and "⟨U+202E⟩evil" in text and "command: x⟨U+200B⟩y" in text
    # U+2028 is not a line break here: it stays inside its line.
    assert any("evil\u2028next" in line for line in failing_step_lines(fs))


def test_clip_text_caps_characters_too() -> None:
    clipped = clip_text("x" * 10_000, 40, 1000)
    assert len(clipped) < 1100 and "9000 characters cut" in clipped
    assert clip_text("short\n", 40, 1000) == "short"


def test_the_lines_read_as_call_output_verdict() -> None:
    lines = failing_step_lines(choose_failing_step(_trace(), 2, run_id="r1"))
    assert lines[:3] == [
        "step 2: the step the reflection named",
        "→ run",
        "    command: python3 /skill/scripts/normalize.py in.csv",
    ]
    assert lines[3] == "← FAILED · exit 1 · skill date-normalize"
    assert lines[4:6] == ["    Traceback (most recent call last):", "    ValueError: month 13"]
    assert lines[6:] == [
        "■ verdict FAIL by check",
        "    check failed (exit 1)",
        "  check output:",
        "    AssertionError: ['2024-13-01']",
    ]


def _evidence() -> PatchEvidence:
    return PatchEvidence(
        run_id="20260101-000000-aaaa",
        task="normalise dates",
        decision_step=2,
        replay=ReplayResult(result="passed", run_id="20260101-000100-bbbb"),
        regressions=[
            RegressionResult(run_id="20260101-000200-cccc", task="US orders", passed=True),
            RegressionResult(run_id="20260101-000300-dddd", task="EU\u202e dates", passed=False),
        ],
    )


def test_linked_runs_are_the_failed_run_the_replay_and_each_regression() -> None:
    links = linked_runs(_evidence())
    assert [(link.role, link.run_id[-4:], link.passed) for link in links] == [
        ("failed run", "aaaa", False),
        ("replay", "bbbb", True),
        ("regression", "cccc", True),
        ("regression", "dddd", False),
    ]
    assert run_link_line(links[1]) == "✓ replay 20260101-000100-bbbb"
    assert run_link_line(links[3]) == "✗ regression 20260101-000300-dddd  EU⟨U+202E⟩ dates"
    not_run = PatchEvidence(run_id="r", replay=ReplayResult())
    assert [link.role for link in linked_runs(not_run)] == ["failed run"]
    assert linked_runs(PatchEvidence(run_id="")) == []


def test_failing_step_for_reads_the_trace_from_the_run_store(tmp_path: Path) -> None:
    store = RunStore(WorkspacePaths(tmp_path))
    run_id = "20260101-000000-aaaa"
    _, writer = store.create(RunRecord(id=run_id, task="normalise dates"))
    for event in _trace():
        writer.write(event)  # type: ignore[arg-type]
    writer.close()
    fs = failing_step_for(_evidence(), store)
    assert fs.run_id == run_id and fs.chosen == "decision-step"
    assert fs.call is not None and fs.call.exit_code == 1 and fs.problems == []
    # A run that is gone says so instead of failing.
    gone = failing_step_for(PatchEvidence(run_id="20250101-000000-zzzz", decision_step=1), store)
    assert gone.call is None and gone.problems and "no trace file" in gone.problems[0]
    assert "the trace could not be read" in failing_step_lines(gone)
    nothing = failing_step_for(PatchEvidence(run_id=""), store)
    assert nothing.problems == ["the patch names no failed run"]

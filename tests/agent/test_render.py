"""One renderer for a live run (render.live_lines): the app's full stream and memento run's
compact progress say the same things, the compact one on fewer lines."""

from __future__ import annotations

from memento_tui.domain.agent.render import Line, live_lines
from memento_tui.domain.agent.trace import ModelTurn, ToolCalled, ToolResult, VerdictGiven

FAILED = ToolResult(
    step=1,
    call_id="c1",
    name="run",
    ok=False,
    exit_code=2,
    duration=0.07,
    output="[stderr]\npython3: can't open file '/skill/x.py'\nmore\n",
)


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def test_a_failed_command_says_why_on_its_line_when_compact_and_shows_its_output_in_full() -> None:
    assert texts(live_lines(FAILED, full=False)) == [
        "  ← FAILED · exit 2 · 0.07 s · python3: can't open file '/skill/x.py'"
    ]
    full = live_lines(FAILED)
    assert full[0] == Line("  ← FAILED · exit 2 · 0.07 s", "error")
    assert Line("  │ python3: can't open file '/skill/x.py'", "output") in full
    # Output that already streamed to the screen is not shown twice.
    assert live_lines(FAILED, output_streamed=True) == full[:1]


def test_words_without_a_call_are_shown_compact_and_streamed_words_are_not_repeated() -> None:
    prose = ModelTurn(step=1, text="I will convert it.\nFirst, the file.")
    assert texts(live_lines(prose, full=False)) == ["  model said: I will convert it. (+1 lines)"]
    assert texts(live_lines(prose)) == ["I will convert it.", "First, the file."]
    assert live_lines(prose, text_streamed=True) == []
    calling = ModelTurn(step=1, text="Running it.", tool_calls=[{"id": "c1", "name": "run", "arguments": {}}])
    assert live_lines(calling, full=False) == []


def test_calls_and_verdicts_read_the_same_in_both() -> None:
    called = ToolCalled(step=3, call_id="c3", name="run", arguments={"command": "ls"})
    assert texts(live_lines(called, full=False)) == ["→ [3] run ls"]
    assert texts(live_lines(called)) == ["→ run ls"]
    verdict = VerdictGiven(passed=False, source="check", detail="check exited 1", check_output="boom")
    assert live_lines(verdict, full=False) == [Line("■ verdict: FAIL (check: check exited 1)", "fail")]
    assert live_lines(verdict) == [Line("■ verdict: FAIL (check: check exited 1)", "fail"), Line("  │ boom")]

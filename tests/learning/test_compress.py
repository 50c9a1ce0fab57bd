from __future__ import annotations

from memento_tui.domain.agent.trace import (
    ModelTurn,
    RunStarted,
    ToolCalled,
    ToolResult,
    VerdictGiven,
)
from memento_tui.domain.learning.compress import compress_trace
from memento_tui.domain.sandbox import NETWORK_DENIED_MARKER


def _trace(output: str) -> list:
    return [
        RunStarted(run_id="r", task="fetch the rates", model="m", check="test -f rates.json"),
        ModelTurn(step=1, text="I will fetch them."),
        ToolCalled(step=1, call_id="c", name="run", arguments={"command": "python3 /skill/scripts/fetch.py"}),
        ToolResult(step=1, call_id="c", name="run", ok=False, output=output, exit_code=1, skill="rates"),
        VerdictGiven(step=1, passed=False, source="check", detail="check exited 1"),
    ]


def test_every_decision_point_survives_a_tight_budget() -> None:
    events = _trace("x" * 50_000)
    text = compress_trace(events, budget_chars=2_000)
    assert len(text) <= 2_000
    for needle in (
        "TASK: fetch the rates",
        "[step 1] MODEL",
        "[step 1] CALL run",
        "RESULT (FAILED, exit 1)",
        "VERDICT: FAIL by check",
    ):
        assert needle in text


def test_a_network_refusal_is_kept_even_when_output_is_cut() -> None:
    noise = "y" * 40_000
    events = _trace(f"{noise}\n{NETWORK_DENIED_MARKER} network is disabled for rates\n{noise}")
    text = compress_trace(events, budget_chars=3_000)
    assert "SANDBOX REFUSED: [memento: missing permission: network]" in text

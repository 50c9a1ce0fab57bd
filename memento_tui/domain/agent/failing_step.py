"""The failing step of a run, for the person reviewing a patch made from it.

A reviewer judges a fix better with the failure in view: the tool call that went wrong
(name and arguments), what it printed, and what the check said. The step is the one the
reflection named (``decision_step``); when that step made no tool call (the model just
answered, or the number is out of range) it is the last tool call that failed, and then the
last tool call at all (one that did work rather than ``finish``, which only reports).

``choose_failing_step`` is pure (events in, a small dataclass out) so it is tested on
hand-made traces; ``failing_step_for`` reads the run's trace from the store.
``failing_step_lines`` renders it the same way for the TUI and the CLI, with every hidden
or control character made visible (tool output is whatever a script printed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from memento_tui.domain.agent.render import error_text, result_head
from memento_tui.domain.skills.hidden_text import terminal_safe

Chosen = Literal["decision-step", "last-failure", "last-call", "none"]

OUTPUT_LINES = 40
OUTPUT_CHARS = 4000
ARGUMENT_LINES = 12
ARGUMENT_CHARS = 800
CHECK_LINES = 20
CHECK_CHARS = 2000


@dataclass(frozen=True)
class StepCall:
    """One tool call and its result (``output`` is None when no result was recorded)."""

    step: int
    name: str
    arguments: dict[str, str]  # each value as text, clipped
    output: str | None = None  # clipped
    ok: bool | None = None
    exit_code: int | None = None
    limit: str | None = None
    skill: str | None = None

    @property
    def failed(self) -> bool:
        return self.ok is False or self.exit_code not in (None, 0) or bool(self.limit)


@dataclass(frozen=True)
class StepVerdict:
    passed: bool
    source: str
    detail: str = ""
    check_output: str = ""  # clipped


@dataclass(frozen=True)
class FailingStep:
    run_id: str
    chosen: Chosen
    decision_step: int | None = None
    call: StepCall | None = None
    verdict: StepVerdict | None = None
    error: str | None = None  # a run_error that ended the run: "kind: message"
    problems: list[str] = field(default_factory=list)

    @property
    def why(self) -> str:
        """Why this step, in words."""
        named = self.decision_step
        if self.chosen == "decision-step":
            return "the step the reflection named"
        missed = (
            f"the reflection named step {named}, which made no tool call; "
            if named is not None
            else "the reflection named no step; "
        )
        if self.chosen == "last-failure":
            return missed + "this is the last tool call that failed"
        if self.chosen == "last-call":
            return missed + "this is the last tool call (none failed)"
        return "the run made no tool call"


@dataclass(frozen=True)
class RunLink:
    """A run behind a patch, to open its trace: the failed run, the replay, a regression."""

    role: Literal["failed run", "replay", "regression"]
    run_id: str
    passed: bool | None  # None: not known (the replay did not run)
    task: str = ""


# -- clipping -----------------------------------------------------------------------------
def clip_text(text: str, max_lines: int, max_chars: int) -> str:
    """At most ``max_lines`` lines and about ``max_chars`` characters, with a note of what
    was cut. Errors tend to sit at the end, so the tail keeps more than the head."""
    # Split on "\n" only: splitlines() would also break at U+2028, FS, GS and the like,
    # and a reviewer must see those characters, not an invisible line break.
    text = text.rstrip("\n")
    lines = text.split("\n")
    if len(lines) > max_lines:
        head = max(max_lines // 4, 1)
        tail = max(max_lines - head, 1)
        lines = [*lines[:head], f"… {len(lines) - head - tail} lines cut …", *lines[-tail:]]
        text = "\n".join(lines)
    if len(text) > max_chars:
        head = max_chars // 4
        tail = max_chars - head
        text = f"{text[:head]}\n… {len(text) - max_chars} characters cut …\n{text[-tail:]}"
    return text


def _argument_text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


# -- choosing -----------------------------------------------------------------------------
def _pairs(events: Sequence[Any]) -> list[tuple[Any, Any | None]]:
    """Every tool call with its result (matched by call id, the latest open call first)."""
    pairs: list[list[Any]] = []
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "tool_called":
            pairs.append([event, None])
        elif kind == "tool_result":
            for pair in reversed(pairs):
                if pair[1] is None and pair[0].call_id == event.call_id:
                    pair[1] = event
                    break
    return [(call, result) for call, result in pairs]


def _result_failed(result: Any | None) -> bool:
    return result is not None and (not result.ok or result.exit_code not in (None, 0) or bool(result.limit))


def _step_call(call: Any, result: Any | None, output_lines: int, output_chars: int) -> StepCall:
    arguments = {
        str(key): clip_text(_argument_text(value), ARGUMENT_LINES, ARGUMENT_CHARS)
        for key, value in (call.arguments or {}).items()
    }
    if result is None:
        return StepCall(step=call.step, name=call.name, arguments=arguments)
    return StepCall(
        step=call.step,
        name=call.name,
        arguments=arguments,
        output=clip_text(result.output, output_lines, output_chars),
        ok=result.ok,
        exit_code=result.exit_code,
        limit=result.limit,
        skill=result.skill,
    )


def choose_failing_step(
    events: Sequence[Any],
    decision_step: int | None,
    *,
    run_id: str = "",
    output_lines: int = OUTPUT_LINES,
    output_chars: int = OUTPUT_CHARS,
    problems: Sequence[str] = (),
) -> FailingStep:
    """The failing step of a run from its trace events and the reflection's step."""
    pairs = _pairs(events)
    chosen: Chosen = "none"
    pick: tuple[Any, Any | None] | None = None
    if decision_step is not None:
        at_step = [p for p in pairs if p[0].step == decision_step]
        failed = [p for p in at_step if _result_failed(p[1])]
        if failed or at_step:
            pick, chosen = (failed or at_step)[-1], "decision-step"
    if pick is None:
        failed = [p for p in pairs if _result_failed(p[1])]
        if failed:
            pick, chosen = failed[-1], "last-failure"
    if pick is None and pairs:
        working = [p for p in pairs if p[0].name != "finish"]
        pick, chosen = (working or pairs)[-1], "last-call"

    verdict: StepVerdict | None = None
    error: str | None = None
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "verdict":  # the last one counts: a person's mark comes after the check
            verdict = StepVerdict(
                passed=event.passed,
                source=event.source,
                detail=event.detail,
                check_output=clip_text(event.check_output, CHECK_LINES, CHECK_CHARS),
            )
        elif kind == "run_error":
            error = error_text(event)
    return FailingStep(
        run_id=run_id,
        chosen=chosen,
        decision_step=decision_step,
        call=_step_call(*pick, output_lines, output_chars) if pick is not None else None,
        verdict=verdict,
        error=error,
        problems=list(problems),
    )


def failing_step_for(
    evidence: Any,
    store: Any,
    *,
    output_lines: int = OUTPUT_LINES,
    output_chars: int = OUTPUT_CHARS,
) -> FailingStep:
    """The failing step of the run a patch was made from (``store`` is a RunStore)."""
    run_id = getattr(evidence, "run_id", "") or ""
    step = getattr(evidence, "decision_step", None)
    if not run_id:
        return FailingStep(run_id="", chosen="none", decision_step=step, problems=["the patch names no failed run"])
    events, problems = store.trace(run_id)
    return choose_failing_step(
        events,
        step,
        run_id=run_id,
        output_lines=output_lines,
        output_chars=output_chars,
        problems=problems,
    )


def linked_runs(evidence: Any) -> list[RunLink]:
    """The runs behind a patch: the failed run, its replay, each regression."""
    links: list[RunLink] = []
    if getattr(evidence, "run_id", ""):
        links.append(RunLink("failed run", evidence.run_id, False, getattr(evidence, "task", "")))
    replay = getattr(evidence, "replay", None)
    if replay is not None and replay.run_id:
        passed = {"passed": True, "failed": False}.get(replay.result)
        links.append(RunLink("replay", replay.run_id, passed, getattr(evidence, "task", "")))
    for reg in getattr(evidence, "regressions", []):
        links.append(RunLink("regression", reg.run_id, reg.passed, reg.task))
    return links


# -- rendering ----------------------------------------------------------------------------
def _split(text: str) -> list[str]:
    """Lines of untrusted text, hidden characters made visible first (see clip_text)."""
    return [line.removesuffix("\r") for line in terminal_safe(text.replace("\r\n", "\n")).split("\n")]


def _indent(text: str, prefix: str = "    ") -> list[str]:
    return [f"{prefix}{line}" for line in _split(text)]


def failing_step_lines(fs: FailingStep) -> list[str]:
    """The failing step as readable lines (hidden characters made visible)."""
    lines: list[str] = []
    call = fs.call
    if call is not None:
        lines.append(f"step {call.step}: {fs.why}")
        lines.append(f"→ {call.name}")
        for key, value in call.arguments.items():
            first, *rest = _split(value)
            lines.append(f"    {key}: {first}")
            lines += _indent("\n".join(rest), "      ") if rest else []
        if call.output is None:
            lines.append("← no result recorded (the run stopped here)")
        else:
            lines.append(
                result_head(not call.failed, call.exit_code, call.limit, f"skill {call.skill}" if call.skill else "")
            )
            lines += _indent(call.output) if call.output.strip() else ["    (no output)"]
    else:
        lines.append(fs.why if not fs.problems else "the trace could not be read")
    if fs.error:
        lines.append(f"✗ {fs.error}")
    verdict = fs.verdict
    if verdict is not None:
        lines.append(f"■ verdict {'PASS' if verdict.passed else 'FAIL'} by {verdict.source}")
        if verdict.detail.strip():
            lines += _indent(verdict.detail.strip())
        if verdict.check_output.strip():
            lines.append("  check output:")
            lines += _indent(verdict.check_output)
    elif fs.call is not None or fs.error:
        lines.append("■ no verdict recorded")
    lines += [f"! {problem}" for problem in fs.problems]
    return [terminal_safe(line) for line in lines]


def run_link_line(link: RunLink) -> str:
    mark = {True: "✓", False: "✗", None: "·"}[link.passed]
    text = f"{mark} {link.role} {link.run_id}"
    if link.role == "regression" and link.task:
        text += f"  {' '.join(link.task.split())[:50]}"
    return terminal_safe(text)

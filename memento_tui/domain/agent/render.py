"""Trace events in words: the one place that says how a run reads, for every front end.

``describe`` renders the whole record (``memento runs show``, the Trace screen); ``live_lines``
renders a run as it goes (the app's stream, ``memento run``'s progress)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from memento_tui.domain.agent.trace import (
    ModelTurn,
    Note,
    RunFailed,
    RunFinished,
    RunStarted,
    SkillsRetrieved,
    ToolCalled,
    ToolResult,
    TraceEvent,
    VerdictGiven,
)
from memento_tui.domain.skills.hidden_text import terminal_safe


def verdict_text(event: VerdictGiven) -> str:
    """A verdict in words: PASS/FAIL, its source, and the guard that stopped the run."""
    word = "PASS" if event.passed else "FAIL"
    guard = event.guard
    if not guard:
        return f"{word} ({event.source}: {event.detail})"
    if event.passed:
        return f"{word} ({event.source}) — but a guard stopped the run: {guard}"
    if event.source == "guard":
        return f"{word} (guard: no check proves the work done) — a guard stopped the run: {guard}"
    return f"{word} ({event.source}: {event.detail}) — a guard stopped the run: {guard}"


def verdict_line(event: VerdictGiven) -> str:
    """The verdict as the trace views show it ("verdict PASS by check: ...")."""
    head = f"verdict {'PASS' if event.passed else 'FAIL'} by {event.source}: {event.detail}"
    if event.guard:
        head += f" — {'but ' if event.passed else ''}a guard stopped the run: {event.guard}"
    return head


def finish_text(arguments: dict[str, Any]) -> str:
    """The finish call in words, not as a raw boolean."""
    done = arguments.get("success", True) not in (False, "false", "False", 0)
    answer = " ".join(str(arguments.get("answer", "")).split())
    return f"finish: reported {'done' if done else 'not done'}" + (f" — {answer}" if answer else "")


def call_text(name: str, arguments: dict[str, Any], width: int = 100) -> str:
    """One tool call on one line: the command, the file written, or its arguments."""
    if name == "finish":
        text = finish_text(arguments)
    elif "command" in arguments:
        text = f"{name} {arguments['command']}"
    elif "content" in arguments:
        text = f"{name} {arguments.get('path', '')} ({len(str(arguments['content']))} chars)"
    else:
        text = f"{name} " + " ".join(f"{k}={v}" for k, v in arguments.items())
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def result_text(event: ToolResult) -> str:
    """What came of a call, when there is no exit code to show: why it was not run."""
    if event.not_run:
        return f"not run: {event.not_run}"
    # The first line that says something (not the [stdout]/[stderr] headers of the output).
    said = [line for line in event.output.strip().splitlines() if line.strip() not in ("[stdout]", "[stderr]")]
    first = said[0].strip() if said else ""
    if event.exit_code is None and event.name == "run":
        return f"not run: {first[:120]}" if first else "not run"
    return first[:120] or ("ok" if event.ok else "failed")


def result_head(ok: bool, exit_code: int | None, limit: str | None, *more: str) -> str:
    """How a call ended, on one line, the same in every view: ``← FAILED · exit 1 · ...``."""
    parts = ["← " + ("ok" if ok else "FAILED")]
    if exit_code is not None:
        parts.append(f"exit {exit_code}")
    if limit:
        parts.append(f"stopped by the {limit} limit")
    return " · ".join([*parts, *(m for m in more if m)])


def error_text(event: RunFailed) -> str:
    """What ended a run early: the guard by name, the person, or the error."""
    if event.guard:
        return f"stopped by the {event.guard.replace('_', ' ')} guard: {event.message}"
    return f"{event.kind}: {event.message}"


def describe(event: TraceEvent) -> list[str]:
    """A readable rendering of one trace event, safe to print to a terminal: model text and
    command output may hold escape sequences or bidi controls, shown as visible markers."""
    return [terminal_safe(line) for line in _describe(event)]


def _describe(event: TraceEvent) -> list[str]:
    """The whole record, as ``memento runs show`` and the Trace screen show it."""
    match event:
        case RunStarted():
            return [f"▶ started with {event.model or '(no model)'}"]
        case SkillsRetrieved():
            return ["  skills: " + (", ".join(f"{h['name']} {h['score']:.2f}" for h in event.hits) or "none")]
        case ModelTurn():
            lines = [
                f"[{event.step}] model ({event.prompt_tokens}+{event.completion_tokens} tokens, {event.duration:.2f} s)"
            ]
            if event.text.strip():
                lines += [f"    {line}" for line in event.text.strip().splitlines()[:20]]
            if event.protocol_error:
                lines.append(f"    ! {event.protocol_error}")
            return lines
        case ToolCalled():
            if event.name == "finish":
                return [f"  → {finish_text(event.arguments)}"]
            return [f"  → {event.name} {event.arguments}"]
        case ToolResult():
            if event.not_run:
                return [f"  ← {result_text(event)}"]
            head = "  " + result_head(event.ok, event.exit_code, event.limit)
            body = event.output.strip().splitlines()
            shown = body[:15] + ([f"… {len(body) - 15} more lines"] if len(body) > 15 else [])
            return [head] + [f"      {line}" for line in shown]
        case Note():
            return [f"  note: {event.message}"]
        case VerdictGiven():
            return [f"■ {verdict_line(event)}"] + [
                f"      {line}" for line in event.check_output.strip().splitlines()[:10]
            ]
        case RunFailed():
            return [f"✗ {error_text(event)}"] + ([f"  fix: {event.fix}"] if event.fix else [])
        case RunFinished():
            return [f"■ {finished_text(event)}"]


# -- as a run goes: the app's stream and memento run's progress ---------------------------

LineKind = Literal["head", "note", "skill", "model", "tool", "output", "error", "pass", "fail"]
OUTPUT_PREVIEW_LINES = 15


@dataclass(frozen=True)
class Line:
    """One line of a live run, and what kind of line it is (the app colours by kind)."""

    text: str
    kind: LineKind = "note"


def live_lines(
    event: TraceEvent, *, full: bool = True, text_streamed: bool = False, output_streamed: bool = False
) -> list[Line]:
    """One trace event as a live run shows it, the one rendering both front ends use. ``full``
    (the app) adds the model's words and a preview of each command's output; without it
    (``memento run``) a line per decision. ``text_streamed``/``output_streamed``: that text
    already reached the screen piece by piece, so it is not shown again."""
    match event:
        case RunStarted():
            return [Line(f"▶ run {event.run_id} · {event.model or '(no model)'}", "head")] + (
                [Line(f"  task: {event.task}")] if full else []
            )
        case SkillsRetrieved():
            hits = ", ".join(f"{h['name']} ({h['score']:.2f})" for h in event.hits) or "none matched"
            return [Line(f"  skills: {hits}", "skill")]
        case ModelTurn():
            words = event.text.strip().splitlines()
            lines = []
            if full and words and not text_streamed:
                lines = [Line(text, "model") for text in words]
            elif not full and words and not event.tool_calls:
                # A reply with words and no call ends or stalls the run: say what it said.
                more = f" (+{len(words) - 1} lines)" if len(words) > 1 else ""
                lines = [Line(f"  model said: {words[0][:160]}{more}", "model")]
            if event.protocol_error:
                lines.append(Line(f"  ! {event.protocol_error}", "error"))
            return lines
        case ToolCalled():
            # The app counts steps in its status line; memento run numbers its calls instead.
            step = "" if full else f"[{event.step}] "
            return [Line(f"→ {step}{call_text(event.name, event.arguments, width=160 if full else 100)}", "tool")]
        case ToolResult():
            return _result_lines(event, full=full, output_streamed=output_streamed)
        case Note():
            return [Line(f"  note: {event.message}")]
        case VerdictGiven():
            lines = [Line(f"■ verdict: {verdict_text(event)}", "pass" if event.passed else "fail")]
            if full:
                lines += [Line(f"  │ {text}") for text in event.check_output.strip().splitlines()[:10]]
            return lines
        case RunFailed():
            head = Line(f"✗ {error_text(event)}", "note" if event.kind == "cancelled" else "error")
            return [head] + ([Line(f"  fix: {event.fix}")] if event.fix else [])
        case RunFinished():
            return [Line(f"■ {finished_text(event)}", "pass" if event.status == "passed" else "fail")]


def _result_lines(event: ToolResult, *, full: bool, output_streamed: bool) -> list[Line]:
    if event.not_run or (event.name == "run" and event.exit_code is None):
        return [Line(f"  ← {result_text(event)}")]
    if not full and event.ok and event.name != "run":
        return []  # a file read or written: the call's own line says enough
    took = f"{event.duration:.2f} s" if event.duration else ""
    # Why it failed, on the line itself where the output is not shown under it.
    why = result_text(event) if not event.ok and (event.exit_code is None or not full) else ""
    head = "  " + result_head(event.ok, event.exit_code, event.limit, took, why)
    lines = [Line(head, "note" if event.ok else "error")]
    if not full or output_streamed or not event.output.strip():
        return lines
    output = event.output.strip().splitlines()
    # A loaded SKILL.md is in the trace; its first lines say which one it was.
    preview = 3 if event.name in ("load_skill", "read_file") else OUTPUT_PREVIEW_LINES
    lines += [Line(f"  │ {text}", "output") for text in output[:preview]]
    if len(output) > preview:
        lines.append(Line(f"  │ … {len(output) - preview} more lines in the trace (Runs, 4)"))
    return lines


def kind_of(event: TraceEvent) -> LineKind:
    """The kind of an event's lines in the whole-record views (the Trace screen's colours)."""
    match event:
        case RunStarted():
            return "head"
        case SkillsRetrieved():
            return "skill"
        case ModelTurn():
            return "model"
        case ToolCalled():
            return "tool"
        case ToolResult():
            return "output" if event.ok else "error"
        case Note():
            return "note"
        case VerdictGiven():
            return "pass" if event.passed else "fail"
        case RunFailed():
            return "error"
        case RunFinished():
            return "pass" if event.status == "passed" else "fail"


def finished_text(event: RunFinished) -> str:
    tokens = event.prompt_tokens + event.completion_tokens
    return f"{event.status} · {event.steps} steps · {tokens} tokens · ${event.cost_usd:.4f} · {event.duration:.1f} s"

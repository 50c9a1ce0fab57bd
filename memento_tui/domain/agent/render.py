"""Readable renderings of trace events, shared by ``memento runs show`` and the TUI."""

from __future__ import annotations

from typing import Any

from memento_tui.domain.skills.hidden_text import terminal_safe


def verdict_text(event: Any) -> str:
    """A verdict in words: PASS/FAIL, its source, and the guard that stopped the run."""
    word = "PASS" if event.passed else "FAIL"
    guard = getattr(event, "guard", "")
    if not guard:
        return f"{word} ({event.source}: {event.detail})"
    if event.passed:
        return f"{word} ({event.source}) — but a guard stopped the run: {guard}"
    if event.source == "guard":
        return f"{word} (guard: no check proves the work done) — a guard stopped the run: {guard}"
    return f"{word} ({event.source}: {event.detail}) — a guard stopped the run: {guard}"


def verdict_line(event: Any) -> str:
    """The verdict as the trace views show it ("verdict PASS by check: ...")."""
    head = f"verdict {'PASS' if event.passed else 'FAIL'} by {event.source}: {event.detail}"
    if getattr(event, "guard", ""):
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


def result_text(event: Any) -> str:
    """What came of a call, when there is no exit code to show: why it was not run."""
    if event.not_run:
        return f"not run: {event.not_run}"
    first = event.output.strip().splitlines()[0] if event.output.strip() else ""
    if event.exit_code is None and event.name == "run":
        return f"not run: {first[:120]}" if first else "not run"
    return first[:120] or ("ok" if event.ok else "failed")


def error_text(event: Any) -> str:
    """What ended a run early: the guard by name, the person, or the error."""
    if event.guard:
        return f"stopped by the {event.guard.replace('_', ' ')} guard: {event.message}"
    return f"{event.kind}: {event.message}"


def describe(event: Any) -> list[str]:
    """A readable rendering of one trace event, safe to print to a terminal: model text and
    command output may hold escape sequences or bidi controls, shown as visible markers."""
    return [terminal_safe(line) for line in _describe(event)]


def _describe(event: Any) -> list[str]:
    kind = event.type
    if kind == "run_started":
        return [f"▶ started with {event.model or '(no model)'}"]
    if kind == "skills_retrieved":
        return ["  skills: " + (", ".join(f"{h['name']} {h['score']:.2f}" for h in event.hits) or "none")]
    if kind == "model_turn":
        lines = [
            f"[{event.step}] model ({event.prompt_tokens}+{event.completion_tokens} tokens, {event.duration:.2f} s)"
        ]
        if event.text.strip():
            lines += [f"    {line}" for line in event.text.strip().splitlines()[:20]]
        if event.protocol_error:
            lines.append(f"    ! {event.protocol_error}")
        return lines
    if kind == "tool_called":
        if event.name == "finish":
            return [f"  → {finish_text(event.arguments)}"]
        return [f"  → {event.name} {event.arguments}"]
    if kind == "tool_result":
        if getattr(event, "not_run", ""):
            return [f"  ← {result_text(event)}"]
        head = f"  ← {'ok' if event.ok else 'FAILED'}"
        if event.exit_code is not None:
            head += f" exit {event.exit_code}"
        if event.limit:
            head += f" (stopped by the {event.limit} limit)"
        body = event.output.strip().splitlines()
        shown = body[:15] + ([f"… {len(body) - 15} more lines"] if len(body) > 15 else [])
        return [head] + [f"      {line}" for line in shown]
    if kind == "note":
        return [f"  note: {event.message}"]
    if kind == "verdict":
        return [f"■ {verdict_line(event)}"] + [f"      {line}" for line in event.check_output.strip().splitlines()[:10]]
    if kind == "run_error":
        return [f"✗ {error_text(event)}"] + ([f"  fix: {event.fix}"] if event.fix else [])
    if kind == "run_finished":
        return [
            f"■ {event.status} after {event.steps} steps, {event.prompt_tokens + event.completion_tokens} tokens, ${event.cost_usd:.4f}, {event.duration:.1f} s"
        ]
    return [f"  {kind}"]

"""Readable renderings of trace events, shared by ``memento runs show`` and the TUI."""

from __future__ import annotations

from typing import Any

from memento_tui.domain.hidden_text import terminal_safe


def describe(event: Any) -> list[str]:
    """A readable rendering of one trace event, safe to print to a terminal: model text and
    command output may hold escape sequences or bidi controls, shown as visible markers."""
    return [terminal_safe(line) for line in _describe(event)]


def _describe(event: Any) -> list[str]:
    kind = event.type
    if kind == "run_started":
        return [f"▶ started with {event.model or '(no model)'}"]
    if kind == "skills_retrieved":
        return [
            "  skills: "
            + (", ".join(f"{h['name']} {h['score']:.2f}" for h in event.hits) or "none")
        ]
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
        return [f"  → {event.name} {event.arguments}"]
    if kind == "tool_result":
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
        return [
            f"■ verdict {'PASS' if event.passed else 'FAIL'} by {event.source}: {event.detail}"
        ] + [f"      {line}" for line in event.check_output.strip().splitlines()[:10]]
    if kind == "run_error":
        return [f"✗ {event.kind}: {event.message}"]
    if kind == "run_finished":
        return [
            f"■ {event.status} after {event.steps} steps, {event.prompt_tokens + event.completion_tokens} tokens, ${event.cost_usd:.4f}, {event.duration:.1f} s"
        ]
    return [f"  {kind}"]

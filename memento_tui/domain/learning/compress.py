"""Turn a trace into text a model can read within a budget, keeping the decision points.

Every model turn, tool call and verdict stays; what shrinks first is the output of steps
that went fine, then the output of the ones that failed (head and tail kept, since errors
tend to sit at the end).
"""

from __future__ import annotations

from typing import Any

DEFAULT_BUDGET_CHARS = 24_000
# The sandbox marks what it refused (see sandbox/policy.py); a plain string keeps the
# learning code free of the sandbox package.
PERMISSION_MARKER = "[memento: missing permission:"


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    head = max(limit // 3, 1)
    tail = max(limit - head, 1)
    return f"{text[:head]}\n… [{len(text) - limit} characters cut] …\n{text[-tail:]}"


def _render(events: list[Any], ok_limit: int, fail_limit: int, text_limit: int) -> str:
    lines: list[str] = []
    for e in events:
        kind = e.type
        if kind == "run_started":
            lines.append(f"TASK: {e.task}")
            if e.check:
                lines.append(f"CHECK COMMAND: {e.check}")
        elif kind == "skills_retrieved":
            names = ", ".join(f"{h['name']} ({h['score']:.2f})" for h in e.hits) or "none"
            lines.append(f"RETRIEVED SKILLS: {names}")
        elif kind == "model_turn":
            text = _clip(e.text, text_limit)
            lines.append(f"\n[step {e.step}] MODEL" + (f": {text}" if text else ""))
            if e.protocol_error:
                lines.append(f"  (reply not understood: {e.protocol_error})")
        elif kind == "tool_called":
            args = {k: (_clip(str(v), 400) if isinstance(v, str) else v) for k, v in e.arguments.items()}
            lines.append(f"[step {e.step}] CALL {e.name} {args}")
        elif kind == "tool_result":
            limit = ok_limit if e.ok else fail_limit
            status = "ok" if e.ok else "FAILED"
            if e.exit_code is not None:
                status += f", exit {e.exit_code}"
            if e.limit:
                status += f", stopped by {e.limit} limit"
            lines.append(f"[step {e.step}] RESULT ({status}): {_clip(e.output, limit)}")
            if PERMISSION_MARKER in e.output:
                # Kept whole, whatever the budget: it decides the category.
                marker = e.output[e.output.index(PERMISSION_MARKER) :].splitlines()[0]
                lines.append(f"[step {e.step}] SANDBOX REFUSED: {_clip(marker, 300)}")
        elif kind == "note":
            lines.append(f"[step {e.step}] NOTE: {e.message}")
        elif kind == "run_error":
            what = f"STOPPED BY THE {e.guard} GUARD" if e.guard else f"RUN ERROR ({e.kind})"
            lines.append(f"[step {e.step}] {what}: {e.message}")
        elif kind == "verdict":
            lines.append(f"\nVERDICT: {'PASS' if e.passed else 'FAIL'} by {e.source}: {e.detail}")
            if e.guard:
                lines.append(f"(a guard stopped the run: {e.guard})")
            if e.check_output.strip():
                lines.append(f"CHECK OUTPUT: {_clip(e.check_output, fail_limit)}")
    return "\n".join(lines)


def compress_trace(events: list[Any], budget_chars: int = DEFAULT_BUDGET_CHARS) -> str:
    for ok_limit, fail_limit, text_limit in (
        (2000, 4000, 1500),
        (600, 2000, 600),
        (200, 1000, 300),
        (80, 400, 120),
        (0, 200, 60),
    ):
        text = _render(events, ok_limit, fail_limit, text_limit)
        if len(text) <= budget_chars:
            return text
    return _clip(text, budget_chars)

"""The conversation the model sees, as chat messages: the system prompt with the skills
that may fit, the task, and each turn's tool calls with their results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from memento_tui.domain.agent.tools import for_model
from memento_tui.domain.llm import ModelReply, ToolCall

_PROMPTS = Path(__file__).parent / "prompts"
_SYSTEM = (_PROMPTS / "system.md").read_text(encoding="utf-8")
_UNREADABLE = (_PROMPTS / "unreadable.md").read_text(encoding="utf-8").strip()
_NO_CALL = (_PROMPTS / "no_call.md").read_text(encoding="utf-8").strip()


def opening(hits: list[Any], task_message: str) -> list[dict[str, Any]]:
    listing = "\n".join(f"- {h.name}: {h.description}" for h in hits) or "(no skill matched this task)"
    return [
        {"role": "system", "content": _SYSTEM.replace("{skills}", listing)},
        {"role": "user", "content": task_message},
    ]


def assistant_turn(reply: ModelReply) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": reply.text or None,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for c in reply.tool_calls
        ],
    }


def tool_result(call: ToolCall, output: str) -> dict[str, Any]:
    return {
        "role": "tool",
        "tool_call_id": call.id,
        "name": call.name,
        "content": for_model(output),
    }


def unreadable_turn(reply: ModelReply, error: str, native: bool) -> list[dict[str, Any]]:
    """The reply as it came, and what was wrong with it, so the next reply can do better."""
    how = "Call one of the tools (finish when you are done)." if native else ("Answer with one JSON action.")
    return [
        {"role": "assistant", "content": reply.text},
        {"role": "user", "content": _UNREADABLE.replace("{error}", error).replace("{how}", how)},
    ]


def no_call_turn(reply: ModelReply) -> list[dict[str, Any]]:
    """Words and no call: the reply as it came, and a request to act or to say it is done."""
    return [{"role": "assistant", "content": reply.text}, {"role": "user", "content": _NO_CALL}]


def repeat_refusal(name: str) -> str:
    return (
        f"You already called {name} with exactly these arguments. Repeating it will not "
        "give a different result; change your approach or call finish."
    )

"""The JSON action protocol, for models that cannot call tools natively.

The model answers with exactly one object ``{"tool": NAME, "arguments": {...}}``. Where
the server supports it, the reply is constrained by a JSON schema (llama.cpp turns the
schema into a grammar), so every reply parses into a valid action.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from memento_tui.domain.llm.reply import ModelReply, ToolCall, clean_arguments

_PROMPT = (Path(__file__).parent / "prompts" / "json_protocol.md").read_text(encoding="utf-8")


def _functions(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t["function"] for t in tools if t.get("type") == "function"]


def action_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema accepting any tool with its own argument schema."""
    variants = []
    for fn in _functions(tools):
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        variants.append(
            {
                "type": "object",
                "properties": {"tool": {"const": fn["name"]}, "arguments": params},
                "required": ["tool", "arguments"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": variants}


def protocol_prompt(tools: list[dict[str, Any]]) -> str:
    lines = []
    for fn in _functions(tools):
        params = fn.get("parameters", {}).get("properties", {})
        required = set(fn.get("parameters", {}).get("required", []))
        args = ", ".join(
            f'"{k}": <{v.get("type", "any")}{"" if k in required else ", optional"}>' for k, v in params.items()
        )
        lines.append(
            f'- {fn["name"]}: {fn.get("description", "")}\n  {{"tool": "{fn["name"]}", "arguments": {{{args}}}}}'
        )
    return _PROMPT.replace("{tools}", "\n".join(lines))


_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)


def parse_action(text: str, tools: list[dict[str, Any]]) -> tuple[tuple[str, dict[str, Any]] | None, str]:
    """Parse a reply into (tool, arguments), or (None, what was wrong)."""
    names = {fn["name"] for fn in _functions(tools)}
    candidates = [text.strip()]
    candidates += _FENCE.findall(text)
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        tool = data.get("tool") or data.get("name") or data.get("action")
        arguments = data.get("arguments", data.get("args", {}))
        if tool in names and isinstance(arguments, dict):
            return (str(tool), arguments), ""
        if tool is not None:
            return None, f"unknown tool {tool!r}; use one of: {', '.join(sorted(names))}"
    return None, 'the reply was not one JSON object {"tool": ..., "arguments": {...}}'


def with_protocol(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the JSON action protocol to the system prompt, and flatten tool turns to text."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            out.append({"role": "system", "content": f"{message['content']}\n\n{protocol_prompt(tools)}"})
        elif role == "tool":
            out.append(
                {
                    "role": "user",
                    "content": f"Result of {message.get('name', 'the tool')}:\n{message['content']}",
                }
            )
        elif role == "assistant" and message.get("tool_calls"):
            call = message["tool_calls"][0]["function"]
            out.append(
                {
                    "role": "assistant",
                    "content": json.dumps({"tool": call["name"], "arguments": json.loads(call["arguments"] or "{}")}),
                }
            )
        else:
            out.append({"role": role, "content": message.get("content") or ""})
    if not any(m["role"] == "system" for m in out):
        out.insert(0, {"role": "system", "content": protocol_prompt(tools)})
    return out


def apply_protocol(reply: ModelReply, tools: list[dict[str, Any]]) -> None:
    action, error = parse_action(reply.text, tools)
    if action is None:
        reply.protocol_error = error
        return
    name, arguments = action
    try:
        arguments = clean_arguments(arguments)
    except RecursionError:
        reply.protocol_error = "the arguments are nested too deeply"
        return
    reply.tool_calls = [
        ToolCall(
            id=f"json_{int(time.time() * 1000)}",
            name=name,
            arguments=arguments,
            raw_arguments=json.dumps(arguments),
        )
    ]

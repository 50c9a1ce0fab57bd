"""A model's reply, and reading one from a stream: text as it comes, tool calls put
together from their pieces, tokens counted.

A reply is text to judge, not trusted data: a JSON escape such as "\\udcff" decodes to a
lone surrogate, which no trace, file or terminal can take, so it is replaced here,
before anything else sees the reply.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd


@dataclass
class ModelReply:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = ""
    duration: float = 0.0
    protocol_error: str = ""  # the JSON protocol reply did not parse


class CallCancelled(Exception):
    """The person stopped the run while the model was answering."""


def collect_stream(
    stream: Any,
    on_text: Callable[[str], None] | None,
    cancel: threading.Event | None = None,
) -> ModelReply:
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    usage = Usage()
    finish = ""
    for chunk in stream:
        if cancel is not None and cancel.is_set():
            _close(stream)
            raise CallCancelled
        chunk_usage = getattr(chunk, "usage", None)
        if chunk_usage:
            usage.prompt_tokens = int(getattr(chunk_usage, "prompt_tokens", 0) or 0)
            usage.completion_tokens = int(getattr(chunk_usage, "completion_tokens", 0) or 0)
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        delta = choice.delta
        if getattr(delta, "content", None):
            piece = _no_surrogates(delta.content)
            text.append(piece)
            if on_text is not None:
                on_text(piece)
        for tc in getattr(delta, "tool_calls", None) or []:
            slot = calls.setdefault(tc.index or 0, {"id": "", "name": "", "arguments": ""})
            if tc.id:
                slot["id"] = tc.id
            function = tc.function
            if function is not None:
                if function.name:
                    slot["name"] = function.name
                if function.arguments:
                    slot["arguments"] += function.arguments
    reply = ModelReply(text="".join(text), usage=usage, finish_reason=finish)
    for index in sorted(calls):
        slot = calls[index]
        raw = _no_surrogates(slot["arguments"])
        try:
            arguments = clean_arguments(json.loads(raw or "{}"))
        except (json.JSONDecodeError, RecursionError):
            arguments = {"_unparsed": raw}
        if not isinstance(arguments, dict):
            arguments = {"_unparsed": raw}
        reply.tool_calls.append(
            ToolCall(
                id=slot["id"] or f"call_{index}",
                name=slot["name"],
                arguments=arguments,
                raw_arguments=raw,
            )
        )
    return reply


def _close(stream: Any) -> None:
    """Drop the connection, so the server can stop writing a reply nobody reads."""
    closer = getattr(stream, "close", None) or getattr(getattr(stream, "completion_stream", None), "close", None)
    if callable(closer):
        with contextlib.suppress(Exception):  # a courtesy; the run is over either way
            closer()


def _no_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def clean_arguments(arguments: Any) -> Any:
    """A "\\udcff" escape in the model's JSON decodes to a lone surrogate, which no trace,
    file or terminal can take: replace it before anything sees the arguments."""
    return json.loads(_no_surrogates(json.dumps(arguments, ensure_ascii=False)))

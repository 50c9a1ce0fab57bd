"""A model client over litellm: streaming, native tool calls or a JSON action protocol,
retries with backoff, tokens and cost per call, and one clear error per failure kind.

litellm costs seconds to import, so it is imported on the first call, with its cost map
read from the package (never fetched from the network).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any, Literal

from memento_tui.domain.config import ModelConfig
from memento_tui.domain.errors import MementoError
from memento_tui.domain.llm.json_protocol import action_schema, parse_action, protocol_prompt
from memento_tui.domain.llm.reply import (
    ModelReply,
    ToolCall,
    Usage,
    clean_arguments,
    collect_stream,
)
from memento_tui.domain.llm.trust import (
    Destination,
    TrustStore,
    destination_to_confirm,
    unconfirmed_message,
)

ErrorKind = Literal[
    "not_configured",
    "auth",
    "not_found",
    "unreachable",
    "rate_limit",
    "server",
    "bad_request",
    "bad_reply",
    "timeout",
    "unconfirmed",
]


class ModelError(MementoError):
    """A model call that failed; ``kind`` says which way, for the trace and reflection."""

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        fix: str | None = None,
        file: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix, file=file or None, field=field)
        self.kind = kind


_litellm: Any = None


def _lazy_litellm() -> Any:
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_LOG", "ERROR")
        import litellm

        litellm.suppress_debug_info = True
        # Memento keeps its own trace and registers no litellm callbacks, so litellm's
        # per-chunk logging jobs (a thread-pool task for every streamed chunk) are pure cost.
        litellm.disable_streaming_logging = True
        litellm.drop_params = True
        _litellm = litellm
    return _litellm


RETRYABLE: tuple[ErrorKind, ...] = ("rate_limit", "server", "unreachable", "timeout")


class ModelClient:
    """Calls one configured model. ``complete`` streams text to ``on_text`` as it comes."""

    def __init__(self, config: ModelConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._native: bool | None = None
        self._confirmed: Destination | None = None
        self.schema_as_json_object = False  # set once a server refuses the json_schema shape

    @property
    def model(self) -> str:
        return self.config.name

    def uses_native_tools(self) -> bool:
        if self._native is None:
            mode = self.config.tool_calling
            if mode != "auto":
                self._native = mode == "native"
            else:
                try:
                    self._native = bool(_lazy_litellm().supports_function_calling(self.model))
                except Exception:
                    self._native = False
        return self._native

    def api_key(self) -> str | None:
        name = self.config.api_key_env
        if not name:
            # Local OpenAI-compatible servers want some key; it is never a secret.
            return "sk-local" if self.config.api_base else None
        value = os.environ.get(name)
        if not value:
            raise ModelError(
                f"the environment variable {name} is not set",
                kind="auth",
                fix=f"export {name}=... in your shell (the config names the variable, never the key)",
            )
        return value

    def check_destination(self) -> None:
        """Refuse, before anything is sent, a server or key name the repository chose and
        the person has not confirmed (see trust.py). Asked again whenever they change."""
        wanted = destination_to_confirm(self.config)
        if wanted is None or wanted == self._confirmed:
            return
        if not TrustStore().is_confirmed(wanted):
            message, field, fix = unconfirmed_message(wanted, self.config)
            raise ModelError(
                message, kind="unconfirmed", fix=fix, file=self.config.config_file, field=field
            )
        self._confirmed = wanted

    def prepare(self) -> None:
        """Called before each request; a client that starts its own server does it here."""

    def action_format(self, tools: list[dict[str, Any]]) -> dict[str, Any]:
        """How the JSON protocol's schema is asked for: OpenAI's shape, which most
        OpenAI-compatible servers (vLLM, Ollama, llama.cpp's C++ server) accept, or the
        shape llama-cpp-python's server wants (it refuses the other with a 500)."""
        if self.schema_as_json_object:
            return {"type": "json_object", "schema": action_schema(tools)}
        return {
            "type": "json_schema",
            "json_schema": {"name": "action", "schema": action_schema(tools), "strict": True},
        }

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        on_text: Callable[[str], None] | None = None,
        max_tokens: int | None = None,
    ) -> ModelReply:
        if not self.model:
            raise ModelError(
                "no model is configured",
                kind="not_configured",
                fix="set [model] name in .memento/config.toml, or pass --model (see docs/config.md)",
            )
        self.check_destination()
        native = bool(tools) and self.uses_native_tools()
        attempt = 0
        while True:
            try:
                return self._complete_once(messages, tools, native, on_text, max_tokens)
            except ModelError as err:
                if err.kind not in RETRYABLE or attempt >= self.config.retries:
                    raise
                attempt += 1
                self._sleep(min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))

    def _complete_once(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        native: bool,
        on_text: Callable[[str], None] | None,
        max_tokens: int | None,
    ) -> ModelReply:
        self.prepare()
        litellm = _lazy_litellm()
        kwargs: dict[str, Any] = {
            "model": self.config.name,
            "messages": messages if native or not tools else _with_protocol(messages, tools),
            "temperature": self.config.temperature,
            "max_tokens": max_tokens or self.config.max_tokens,
            "timeout": self.config.timeout_seconds,
            "stream": True,
            "stream_options": {"include_usage": True},
            "num_retries": 0,
            "max_retries": 0,  # we retry ourselves, with backoff, on the kinds worth retrying
        }
        if self.config.api_base:
            kwargs["api_base"] = self.config.api_base
        key = self.api_key()
        if key:
            kwargs["api_key"] = key
        if tools and native:
            kwargs["tools"] = tools
        elif tools:
            kwargs["response_format"] = self.action_format(tools)
        started = time.monotonic()
        try:
            stream = litellm.completion(**kwargs)
            reply = collect_stream(stream, on_text)
        except Exception as err:  # litellm raises many types; map them to one of ours
            if (
                "response_format" in kwargs
                and not self.schema_as_json_object
                and _refuses_json_schema(err)
            ):
                self.schema_as_json_object = True  # before any text: nothing was streamed
                return self._complete_once(messages, tools, native, on_text, max_tokens)
            raise _map_error(err, self.config) from None
        reply.duration = time.monotonic() - started
        reply.usage.cost_usd = _cost(litellm, self.model, reply.usage)
        if tools and not native:
            _apply_protocol(reply, tools)
        return reply


def _with_protocol(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Add the JSON action protocol to the system prompt, and flatten tool turns to text."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            out.append(
                {"role": "system", "content": f"{message['content']}\n\n{protocol_prompt(tools)}"}
            )
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
                    "content": json.dumps(
                        {"tool": call["name"], "arguments": json.loads(call["arguments"] or "{}")}
                    ),
                }
            )
        else:
            out.append({"role": role, "content": message.get("content") or ""})
    if not any(m["role"] == "system" for m in out):
        out.insert(0, {"role": "system", "content": protocol_prompt(tools)})
    return out


def _refuses_json_schema(err: Exception) -> bool:
    # llama-cpp-python's server: "Input should be 'text' or 'json_object'" ... 'json_schema'
    text = str(err)
    return "'json_object'" in text and "json_schema" in text


def _apply_protocol(reply: ModelReply, tools: list[dict[str, Any]]) -> None:
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


def _cost(litellm: Any, model: str, usage: Usage) -> float:
    try:
        prompt, completion = litellm.cost_per_token(
            model=model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
        return float(prompt + completion)
    except Exception:
        return 0.0  # local and unknown models have no price


def _map_error(err: Exception, config: ModelConfig) -> ModelError:
    name = type(err).__name__
    detail = str(err).split("\n")[0][:300]
    where = config.api_base or "the provider"
    if name == "AuthenticationError" or "PermissionDenied" in name:
        key = config.api_key_env or "the key variable"
        return ModelError(
            f"the model rejected the API key: {detail}",
            kind="auth",
            fix=f"check {key}, and that the key is for this provider",
        )
    if name == "NotFoundError":
        return ModelError(
            f"unknown model {config.name!r}: {detail}",
            kind="not_found",
            fix="check [model] name (litellm model strings look like 'openai/gpt-4o-mini')",
        )
    if name == "RateLimitError":
        return ModelError(
            f"rate limited: {detail}", kind="rate_limit", fix="wait, or lower the request rate"
        )
    if name in ("Timeout", "APITimeoutError"):
        return ModelError(
            f"the model did not answer in {config.timeout_seconds:g} s",
            kind="timeout",
            fix="raise [model] timeout_seconds, or check the server",
        )
    text = str(err).lower()
    if "connection error" in text or "connection refused" in text or "connecterror" in text:
        return ModelError(
            f"cannot reach {where}: {detail}",
            kind="unreachable",
            fix="start the server, or check [model] api_base and your network",
        )
    if name in (
        "InternalServerError",
        "ServiceUnavailableError",
        "APIError",
        "APIConnectionError",
        "BadGatewayError",
    ):
        return ModelError(
            f"the model server failed: {detail}",
            kind="server",
            fix="retry later; if it persists, check the server's log",
        )
    if name in (
        "BadRequestError",
        "UnprocessableEntityError",
        "ContextWindowExceededError",
        "UnsupportedParamsError",
    ):
        return ModelError(
            f"the model refused the request: {detail}",
            kind="bad_request",
            fix="check the model supports this kind of request",
        )
    if isinstance(err, (json.JSONDecodeError, ValueError)):
        return ModelError(
            f"the model server sent a reply that is not valid: {detail}",
            kind="bad_reply",
            fix="check [model] api_base points at an OpenAI-compatible server",
        )
    if isinstance(err, ModelError):
        return err
    return ModelError(f"{name}: {detail}", kind="server", fix="see the message above")

"""A model client over litellm: streaming, native tool calls or a JSON action protocol,
retries with backoff, tokens and cost per call, and one clear error per failure kind.

litellm costs seconds to import, so it is imported on the first call, with its cost map
read from the package (never fetched from the network).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from memento_tui.domain.config import ModelConfig
from memento_tui.domain.llm import tool_mode
from memento_tui.domain.llm.errors import ErrorKind, ModelError, map_error
from memento_tui.domain.llm.json_protocol import (
    action_schema,
    apply_protocol,
    parse_action,
    with_protocol,
)
from memento_tui.domain.llm.reply import (
    CallCancelled,
    ModelReply,
    ToolCall,
    Usage,
    collect_stream,
)
from memento_tui.domain.llm.trust import (
    Destination,
    TrustStore,
    destination_to_confirm,
    unconfirmed_message,
)

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

    def __init__(
        self,
        config: ModelConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        tool_modes: tool_mode.ToolModeStore | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._native: bool | None = None  # None: "auto", not found out yet
        self.tool_mode_why = ""  # how native or JSON was decided, for messages and doctor
        self.tool_modes = tool_modes or tool_mode.ToolModeStore()
        self._confirmed: Destination | None = None
        self.schema_as_json_object = False  # set once a server refuses the json_schema shape
        self.structured_output = True  # False once a server refuses response_format

    @property
    def model(self) -> str:
        return self.config.name

    def uses_native_tools(self) -> bool:
        """Whether tools go natively; True, provisionally, while "auto" is finding out."""
        if self._native is None:
            self._decide_tool_mode()
        return True if self._native is None else self._native

    def _decide_tool_mode(self) -> None:
        mode = self.config.tool_calling
        if mode != "auto":
            self._native, self.tool_mode_why = mode == "native", f'tool_calling = "{mode}"'
            return
        found = self.tool_modes.get(self.config.api_base, self.config.name)
        if found is not None:
            self._native = found.native
            self.tool_mode_why = f"found out earlier ({found.why}; {self.tool_modes.path})"
            return
        known = tool_mode.litellm_knows(_lazy_litellm(), self.config.name)
        if known is not None:
            self._native, self.tool_mode_why = known, "litellm knows the model"

    def _found_tool_mode(self, native: bool, why: str) -> None:
        self._native, self.tool_mode_why = native, f"found out now ({why})"
        self.tool_modes.put(self.config.api_base, self.config.name, native, why)

    def protocol_fix(self, *, empty: bool = False) -> str:
        """What to change when the model's replies cannot be read as actions (``empty``:
        they were empty)."""
        if empty:
            return tool_mode.empty_fix(self.config)
        return tool_mode.unreadable_fix(self.config, bool(self._native), self.tool_mode_why)

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
            raise ModelError(message, kind="unconfirmed", fix=fix, file=self.config.config_file, field=field)
        self._confirmed = wanted

    def warm_up(self) -> None:
        """Import litellm and run its first call's set-up (tokenizer, cost map, more lazy
        imports: half a second) on a mock reply, so that a timed call times the model."""
        litellm = _lazy_litellm()
        try:
            for _ in litellm.completion(
                model=self.config.name,
                messages=[{"role": "user", "content": "ok"}],
                mock_response="ok",
                stream=True,
                stream_options={"include_usage": True},
                max_tokens=1,
            ):
                pass
        except Exception:  # no network was asked for; the real call reports real problems
            return

    def prepare(self) -> None:
        """Called before each request; a client that starts its own server does it here."""

    def response_format(self, schema: dict[str, Any], name: str = "answer", *, strict: bool = False) -> dict[str, Any]:
        """How a schema is asked for: OpenAI's shape, which most OpenAI-compatible servers
        (vLLM, Ollama, llama.cpp's C++ server) accept, or the shape llama-cpp-python's
        server wants (it refuses the other with a 500), which it turns into a grammar.
        ``strict`` only where every field is required, as OpenAI's strict mode wants."""
        if self.schema_as_json_object:
            return {"type": "json_object", "schema": schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": strict},
        }

    def action_format(self, tools: list[dict[str, Any]]) -> dict[str, Any]:
        """The JSON action protocol's schema, as a response format."""
        return self.response_format(action_schema(tools), "action", strict=True)

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        on_text: Callable[[str], None] | None = None,
        max_tokens: int | None = None,
        schema: dict[str, Any] | None = None,
        cancel: threading.Event | None = None,
    ) -> ModelReply:
        """``schema``: a JSON schema the reply should follow (structured output, where the
        server takes it; a grammar on llama.cpp). The prompt must ask for it as well: a
        server that refuses it is asked again without it. ``cancel`` set: CallCancelled
        at the next chunk."""
        if not self.model:
            raise ModelError(
                "no model is configured",
                kind="not_configured",
                fix="set [model] name in .memento/config.toml, or pass --model (see docs/config.md)",
            )
        self.check_destination()
        attempt = 0
        while True:
            try:
                return self._complete_once(messages, tools, on_text, max_tokens, schema, cancel)
            except ModelError as err:
                if err.kind not in RETRYABLE or attempt >= self.config.retries:
                    raise
                attempt += 1
                self._sleep(min(30.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))

    def _complete_once(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        on_text: Callable[[str], None] | None,
        max_tokens: int | None,
        schema: dict[str, Any] | None,
        cancel: threading.Event | None = None,
    ) -> ModelReply:
        self.prepare()
        litellm = _lazy_litellm()
        native = bool(tools) and self.uses_native_tools()
        probing = native and self._native is None
        kwargs = self._request(messages, tools, native, max_tokens, schema)
        started = time.monotonic()
        try:
            stream = litellm.completion(**kwargs)
            reply = collect_stream(stream, on_text, cancel)
        except CallCancelled:
            raise
        except Exception as err:  # litellm raises many types; map them to one of ours
            # Each way of asking again changes what is asked, so this cannot go on forever.
            if self._ask_differently(err, kwargs, probing):  # before any text: nothing streamed
                return self._complete_once(messages, tools, on_text, max_tokens, schema, cancel)
            raise map_error(err, self.config) from None
        reply.duration = time.monotonic() - started
        reply.usage.cost_usd = _cost(litellm, self.model, reply.usage)
        if tools and probing:
            self._learn_tool_mode(reply, tools)
        elif tools and not native:
            apply_protocol(reply, tools)
        return reply

    def _request(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        native: bool,
        max_tokens: int | None,
        schema: dict[str, Any] | None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.config.name,
            "messages": messages if native or not tools else with_protocol(messages, tools),
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
        elif tools and self.structured_output:
            kwargs["response_format"] = self.action_format(tools)
        elif schema is not None and self.structured_output:
            kwargs["response_format"] = self.response_format(schema)
        return kwargs

    def _ask_differently(self, err: Exception, kwargs: dict[str, Any], probing: bool) -> bool:
        """A refusal that asking another way avoids: True after changing the way."""
        if probing and tool_mode.refuses_tools(err):
            self._found_tool_mode(False, f"the server refused tool calls: {_first_line(err)}")
            return True
        if "response_format" not in kwargs:
            return False
        if not self.schema_as_json_object and _refuses_json_schema(err):
            self.schema_as_json_object = True
            return True
        if _refuses_response_format(err):
            self.structured_output = False  # the prompt asks for the same JSON
            return True
        return False

    def _learn_tool_mode(self, reply: ModelReply, tools: list[dict[str, Any]]) -> None:
        if reply.tool_calls:
            self._found_tool_mode(True, "the server answered with a tool call")
        elif parse_action(reply.text, tools)[0] is not None:
            # The model wrote its call as text: the server does not parse tool calls.
            self._found_tool_mode(False, "the server sent the tool call back as text")
            apply_protocol(reply, tools)


def _first_line(err: Exception) -> str:
    return str(err).strip().split("\n")[0][:200]


def _refuses_response_format(err: Exception) -> bool:
    text = str(err).lower()
    return any(w in text for w in ("response_format", "json_schema", "response format"))


def _refuses_json_schema(err: Exception) -> bool:
    # llama-cpp-python's server: "Input should be 'text' or 'json_object'" ... 'json_schema'
    text = str(err)
    return "'json_object'" in text and "json_schema" in text


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


__all__ = ["CallCancelled", "ErrorKind", "ModelClient", "ModelError", "ModelReply", "ToolCall", "Usage"]

"""Model errors: one kind per way a call can fail, each with the fix to try."""

from __future__ import annotations

import json
from typing import Literal

from memento_tui.domain.config import ModelConfig
from memento_tui.domain.errors import MementoError
from memento_tui.domain.llm.tool_mode import refuses_tools

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


def map_error(err: Exception, config: ModelConfig) -> ModelError:
    name = type(err).__name__
    detail = str(err).split("\n")[0][:300]
    # The order matters where two apply: a refused tool call is also a BadRequestError,
    # and a connection failure may come as an APIConnectionError.
    mapped = _named_failure(name, detail, config)
    if mapped is None:
        mapped = _failure_in_message(err, detail, config)
    if mapped is None:
        mapped = _server_or_request_failure(name, detail)
    if mapped is not None:
        return mapped
    if isinstance(err, (json.JSONDecodeError, ValueError)):
        return ModelError(
            f"the model server sent a reply that is not valid: {detail}",
            kind="bad_reply",
            fix="check [model] api_base points at an OpenAI-compatible server",
        )
    if isinstance(err, ModelError):
        return err
    return ModelError(f"{name}: {detail}", kind="server", fix="see the message above")


def _named_failure(name: str, detail: str, config: ModelConfig) -> ModelError | None:
    """The failures whose exception class says exactly what happened."""
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
        return ModelError(f"rate limited: {detail}", kind="rate_limit", fix="wait, or lower the request rate")
    if name in ("Timeout", "APITimeoutError"):
        return ModelError(
            f"the model did not answer in {config.timeout_seconds:g} s",
            kind="timeout",
            fix="raise [model] timeout_seconds, or check the server",
        )
    return None


def _failure_in_message(err: Exception, detail: str, config: ModelConfig) -> ModelError | None:
    """The failures told by what the error says: tool calls refused, the server unreachable."""
    text = str(err).lower()
    if refuses_tools(err) and config.tool_calling == "native":
        return ModelError(
            f"the model server takes no tool calls: {detail}",
            kind="bad_request",
            fix='set tool_calling = "auto" (or "json") under [model] in '
            f"{config.config_file or '.memento/config.toml'}, or turn tool calls on in the server",
        )
    if "connection error" in text or "connection refused" in text or "connecterror" in text:
        where = config.api_base or "the provider"
        return ModelError(
            f"cannot reach {where}: {detail}",
            kind="unreachable",
            fix="start the server, or check [model] api_base and your network",
        )
    return None


def _server_or_request_failure(name: str, detail: str) -> ModelError | None:
    """The broad families: the server failed, or it refused the request."""
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
    return None

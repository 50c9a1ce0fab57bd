"""``tool_calling = "auto"``: native tool calls where the server takes them, the JSON
action protocol where it does not, found out once per server and model and remembered.

litellm knows what the big providers' models can do. A model it does not know (one
served by vLLM, llama.cpp or Ollama behind an OpenAI-compatible ``api_base``) is asked
natively first. A server without tool support refuses that request (llama.cpp: "tools
param requires --jinja flag"; vLLM: "auto" tool choice requires
--enable-auto-tool-choice; Ollama: "does not support tools"), and the same request goes
again in the JSON protocol. A reply with a real tool call shows native calls work; a
reply that writes the action as text shows the server does not parse tool calls. Either
finding is kept in the person's config dir (``model-capabilities.json``: a fact about a
server, not about a workspace, and nothing a repository can write) for a day, then found
out again, in case the server was restarted with other flags.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memento_tui.domain.files import atomic_write
from memento_tui.domain.paths import user_config_dir

CAPABILITIES_FILE_NAME = "model-capabilities.json"
REMEMBER_SECONDS = 24 * 3600


def capabilities_file() -> Path:
    return user_config_dir() / CAPABILITIES_FILE_NAME


@dataclass(frozen=True)
class Finding:
    native: bool
    at: float
    why: str


class ToolModeStore:
    """What was found out about each (api_base, model); a broken file is found out anew."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or capabilities_file()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, api_base: str, model: str) -> Finding | None:
        row = self._read().get(_key(api_base, model))
        if not isinstance(row, dict):
            return None
        try:
            finding = Finding(bool(row["native"]), float(row["at"]), str(row.get("why", "")))
        except (TypeError, KeyError, ValueError):
            return None
        return finding if time.time() - finding.at < REMEMBER_SECONDS else None

    def put(self, api_base: str, model: str, native: bool, why: str) -> None:
        data = self._read()
        data[_key(api_base, model)] = {"native": native, "at": time.time(), "why": why}
        # Not worth failing a run over: the next run finds it out again.
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(data, indent=1).encode("utf-8"))


def _key(api_base: str, model: str) -> str:
    return f"{api_base.rstrip('/') or '(provider)'} {model}"


def litellm_knows(litellm: Any, model: str) -> bool | None:
    """True/False when litellm knows whether the model calls tools; None when it does not
    know the model at all."""
    try:
        litellm.get_model_info(model)
    except Exception:
        return None
    try:
        return bool(litellm.supports_function_calling(model))
    except Exception:
        return None


_REFUSAL_WORDS = (
    "not support",
    "unsupported",
    "requires",
    "jinja",
    "enable-auto-tool-choice",
    "not enabled",
    "not allowed",
    "extra inputs",
    "unexpected",
    "invalid",
    "unknown",
)


def refuses_tools(err: Exception) -> bool:
    """A server's error about the tools in the request (not about the model or the key)."""
    text = str(err).lower()
    return "tool" in text and any(word in text for word in _REFUSAL_WORDS)


def unreadable_fix(config: Any, native: bool, why: str) -> str:
    """What to change when a model's replies cannot be read as actions."""
    where = config.config_file or ".memento/config.toml"
    if native:
        return (
            "the model's tool calls did not parse: use a model that calls tools reliably, or "
            f'set tool_calling = "json" under [model] in {where}'
        )
    if config.tool_calling == "json":
        return (
            "the model does not answer with the JSON action it is asked for: if its server "
            f'takes tool calls, set tool_calling = "auto" under [model] in {where}; '
            "otherwise use a larger model"
        )
    return (
        f"tools go through the JSON action protocol ({why}), and the model does not follow "
        "it: turn on tool calls in the server (llama.cpp: --jinja; vLLM: "
        "--enable-auto-tool-choice --tool-call-parser NAME; Ollama: a model with tool "
        "support), or use a larger model"
    )


def empty_fix(config: Any) -> str:
    """What to change when the server's replies are empty (or not a chat reply at all)."""
    where = config.api_base or f"the provider of {config.name}"
    return (
        f"the replies from {where} were empty: check that it is an OpenAI-compatible chat "
        "server (its /v1/chat/completions) and read its log; a model that stops at once may "
        "need another chat template"
    )

"""The one module that talks to models (through litellm, imported on first use)."""

from __future__ import annotations

from memento_tui.domain.llm.client import ModelClient, ModelError, ModelReply, ToolCall, Usage

__all__ = ["ModelClient", "ModelError", "ModelReply", "ToolCall", "Usage"]

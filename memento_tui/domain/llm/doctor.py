"""``memento doctor``: a real one-token call to the configured model."""

from __future__ import annotations

import time

from memento_tui.domain.doctor import CheckResult, check
from memento_tui.domain.llm.client import ModelClient, ModelError
from memento_tui.domain.workspace import Workspace


def _masked(value: str) -> str:
    return value[:3] + "…" + value[-2:] if len(value) > 8 else "…"


@check(60)
def check_model_call(workspace: Workspace | None) -> CheckResult:
    if workspace is None or not workspace.config.model.name:
        return CheckResult("model call", "skip", "no model configured")
    cfg = workspace.config.model
    if cfg.name == "local" or cfg.name.startswith("local:"):
        return CheckResult("model call", "skip", "the local model is checked under 'local model'")
    client = ModelClient(cfg.model_copy(update={"retries": 0, "timeout_seconds": min(cfg.timeout_seconds, 30)}))
    try:
        key = client.api_key()
        client.warm_up()  # litellm's import and first-call set-up are not the model's latency
        started = time.monotonic()
        client.complete([{"role": "user", "content": "Reply with the single word: ok"}], max_tokens=1)
    except ModelError as err:
        where = f"{err.where}: " if err.where else ""
        return CheckResult("model call", "fail", f"{cfg.name}: {where}{err.message}", err.fix or "")
    latency = (time.monotonic() - started) * 1000
    key_note = f", key {cfg.api_key_env}={_masked(key)}" if cfg.api_key_env and key else ""
    where = f" at {cfg.api_base}" if cfg.api_base else ""
    return CheckResult("model call", "ok", f"{cfg.name}{where} answered in {latency:.0f} ms{key_note}")

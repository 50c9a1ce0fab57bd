"""``memento doctor``: the local model (the [local] extra, its GGUF, the server, a real call)."""

from __future__ import annotations

import time

from memento_tui.domain.doctor import CheckResult, Status, check
from memento_tui.domain.errors import MementoError
from memento_tui.domain.llm.client import ModelError
from memento_tui.domain.llm.local import (
    INSTALL_FIX,
    LocalModelClient,
    is_local,
    resolve_gguf,
    server_installed,
)
from memento_tui.domain.workspace import Workspace

NAME = "local model"


@check(61)
def check_local_model(workspace: Workspace | None) -> list[CheckResult]:
    try:
        configured = workspace.config.model if workspace is not None else None
    except MementoError:
        configured = None  # a bad config is reported by the workspace check
    name = configured.name if configured is not None and is_local(configured.name) else "local"
    in_use = configured is not None and is_local(configured.name)
    # Missing pieces fail only when the config asks for the local model; otherwise the
    # extra is optional and its absence is just reported.
    missing: Status = "fail" if in_use else "skip"

    if not server_installed():
        return [CheckResult(NAME, missing, "the [local] extra is not installed", INSTALL_FIX)]
    try:
        gguf = resolve_gguf(name)
    except ModelError as err:
        return [CheckResult(NAME, missing, err.message, err.fix or "")]
    size = gguf.stat().st_size / 1e6
    results = [CheckResult(NAME, "ok", f"{gguf} ({size:.0f} MB)")]
    if not in_use or configured is None:
        results.append(
            CheckResult(
                "local model server",
                "skip",
                'not started: the configured model is not "local" (memento run --model local uses it)',
            )
        )
        return results

    client = LocalModelClient.for_config(configured.model_copy(update={"retries": 0}))
    step = "local model server"
    try:
        info = client.server.ensure_started()
        detail = f"llama.cpp at {info.url}, started in {info.started_in:.1f} s"
        results.append(CheckResult(step, "ok", detail))
        step = "local model call"
        client.warm_up()  # litellm's import and first-call set-up are not the model's latency
        started = time.monotonic()
        client.complete([{"role": "user", "content": "Reply with the single word: ok"}], max_tokens=1)
        latency = (time.monotonic() - started) * 1000
        results.append(CheckResult(step, "ok", f"one token in {latency:.0f} ms"))
    except ModelError as err:
        results.append(CheckResult(step, "fail", err.message, err.fix or ""))
    finally:
        client.close()
    return results

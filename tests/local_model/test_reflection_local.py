"""Reflection with the real local model: its schema goes to llama.cpp as a grammar, so even
SmolLM2-135M answers with a Reflection that parses (the prompt alone almost never gave
one; see benchmarks/reflection.py and docs/performance.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.config import ModelConfig
from memento_tui.domain.learning.models import SKILL_CATEGORIES
from memento_tui.domain.learning.reflect import reflect
from memento_tui.domain.llm.local import LocalModelClient
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import ScriptedServer, call
from tests.local_model.conftest import local_model_missing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.local_model,
    pytest.mark.skipif(bool(local_model_missing()), reason=local_model_missing() or "ok"),
]


def test_the_local_models_reflection_parses_and_names_a_skill_it_blames(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    data = tmp_path / "invoices.csv"
    data.write_text("invoice,date\nINV-1,03/04/2024\n", encoding="utf-8")
    scripted.add(
        call("load_skill", name="date-normalize"),
        call("run", command="python3 /skill/scripts/normalize_dates.py invoices.csv --column date -o out.csv"),
        call("finish", answer="done", success=True),
    )
    services = make_services(workspace)
    request = RunRequest(
        task="UK invoices: dates to ISO in out.csv", check="grep -q 2024-04-03 out.csv", inputs=[data], learn=False
    )
    record = services.agent().run(request)
    assert record.status == "failed"
    events, _ = services.runs().trace(record.id)
    skill = services.library().skills["date-normalize"]

    client = LocalModelClient.for_config(ModelConfig(name="local"))
    try:
        answer = reflect(client, events=events, skills=[skill], rejected=[], max_tokens=1500)
    finally:
        client.close()
    assert answer.value is not None, f"{answer.error}: {answer.raw}"
    if answer.value.category in SKILL_CATEGORIES:
        assert answer.value.weak_skill == "date-normalize"

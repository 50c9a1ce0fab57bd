"""Reflection and patch writing ask for their schema as structured output, and fall back to
the prompt alone when a server refuses it.

A real failed run (the real agent, sandbox and check), then the real reflect() and
write_fix() through litellm to a scripted server that records what it was asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.learning.models import SKILL_CATEGORIES, reflection_schema
from memento_tui.domain.learning.reflect import reflect, write_fix
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import Services, make_services
from memento_tui.testing.scripted_server import NO_RESPONSE_FORMAT, ScriptedServer, call, say
from tests.conftest import configure_model
from tests.learning.scripted_models import reflection

CHECK = "grep -q 2024-04-03 out.csv"


def _failed_run(services: Services, server: ScriptedServer, tmp_path: Path) -> tuple[Any, list[Any]]:
    data = tmp_path / "invoices.csv"
    data.write_text("invoice,date\nINV-1,03/04/2024\n", encoding="utf-8")
    server.add(
        call("load_skill", name="date-normalize"),
        call("run", command="python3 /skill/scripts/normalize_dates.py invoices.csv --column date -o out.csv"),
        call("finish", answer="done", success=True),
    )
    request = RunRequest(task="UK invoices: dates to ISO in out.csv", check=CHECK, inputs=[data], learn=False)
    record = services.agent().run(request)
    assert record.status == "failed"
    events, _ = services.runs().trace(record.id)
    return record, events


def _involved(services: Services, record: Any) -> list[Any]:
    library = services.library()
    names = dict.fromkeys([*record.skills_used, *record.skills_retrieved[:2]])
    return [library.skills[n] for n in names if n in library.skills]


def test_reflection_and_the_fix_ask_for_their_schemas(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    services = make_services(workspace)
    record, events = _failed_run(services, scripted, tmp_path)
    skills = _involved(services, record)
    scripted.add(say(reflection()))
    answer = reflect(services.model(), events=events, skills=skills, rejected=[])
    assert answer.value is not None and answer.value.weak_skill == "date-normalize"

    asked = scripted.requests[-1]["response_format"]
    assert asked["type"] == "json_schema" and asked["json_schema"]["strict"] is False
    schema = asked["json_schema"]["schema"]
    assert schema == json.loads(json.dumps(reflection_schema([s.name for s in skills])))
    # A failure blamed on a skill names one of the skills involved.
    named = schema["anyOf"][0]["properties"]
    assert named["category"]["enum"] == SKILL_CATEGORIES
    assert named["weak_skill"]["enum"] == [s.name for s in skills]
    assert named["summary"]["maxLength"] == 600

    scripted.add(say(json.dumps({"files": [{"path": "SKILL.md", "content": "---\nx\n"}]})))
    edit = write_fix(
        services.model(),
        reflection=answer.value,
        events=events,
        skill_name="date-normalize",
        skill_dir=skills[0].dir,
        rejected=[],
    )
    assert edit.value is not None
    asked = scripted.requests[-1]["response_format"]["json_schema"]["schema"]
    file_props = asked["$defs"]["FileChange"]["properties"]
    assert "maxLength" not in file_props["content"]  # a whole file is never cut short
    assert file_props["path"]["maxLength"] == 200


def test_a_server_that_refuses_structured_output_gets_the_prompt_alone(workspace: Workspace, tmp_path: Path) -> None:
    with ScriptedServer(refuse_response_format=NO_RESPONSE_FORMAT) as server:
        configure_model(workspace, server.api_base)
        services = make_services(workspace)
        record, events = _failed_run(services, server, tmp_path)
        asked_before = len(server.requests)
        server.add(say(reflection()))
        answer = reflect(services.model(), events=events, skills=_involved(services, record), rejected=[])
        refused, plain = server.requests[asked_before:]
    assert "response_format" in refused and "response_format" not in plain
    assert answer.value is not None and answer.value.category == "wrong_data_format_assumption"
    # The schema is in the prompt whichever way it went.
    assert '"missing_or_assumed"' in plain["messages"][0]["content"]


def test_a_reflection_with_a_raw_newline_in_a_string_is_read(
    workspace: Workspace, scripted: ScriptedServer, tmp_path: Path
) -> None:
    services = make_services(workspace)
    record, events = _failed_run(services, scripted, tmp_path)
    text = reflection().replace("UK and European", "UK and\nEuropean")
    scripted.add(say(text))
    answer = reflect(services.model(), events=events, skills=_involved(services, record), rejected=[])
    assert answer.value is not None and "\n" in answer.value.summary
    assert len(answer.raw) == 1


@pytest.mark.parametrize("skills", [[], ["csv-json"]])
def test_the_reflection_schema_always_asks_for_the_weak_skill(skills: list[str]) -> None:
    schema = reflection_schema(skills)
    variants = schema.get("anyOf", [schema])
    for variant in variants:
        assert {"weak_skill", "decision_step", "category", "summary"} <= set(variant["required"])

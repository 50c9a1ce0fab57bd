"""A client's failure goes where the agent's own failures go: ``memento reflect`` learns from
it, and a client's fix is replayed on it. In process, with the scripted model behind
litellm, the real sandbox and real git (the stdio path is covered in test_stdio_*)."""

from __future__ import annotations

from typing import Any

import pytest

from memento_tui.domain.workspace import Workspace
from memento_tui.mcp import outcome, proposal
from memento_tui.mcp.command import run_command
from memento_tui.mcp.session import McpSession
from memento_tui.services.factory import make_services
from memento_tui.services.learning import learn_from_run
from memento_tui.testing.scripted_server import ScriptedServer
from tests.learning.scripted_models import (
    DAYFIRST_PITFALL,
    Router,
    current_skill_md,
    date_agent,
    reflection,
    skill_edit,
)

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

UK_TASK = "Normalise the dates in the UK invoice file invoices.csv to ISO 8601 and save as out.csv"
INVOICES = "id,date\n1,03/04/2024\n2,01/02/2024\n"
COMMAND = "python3 /skill/scripts/normalize_dates.py invoices.csv --column date -o out.csv"


def _failed_by_a_client(workspace: Workspace) -> tuple[McpSession, dict[str, Any]]:
    session = McpSession.open(make_services(workspace))
    session.client = "test-client 1.0"
    ran = run_command(session, "date-normalize", COMMAND, {"invoices.csv": INVOICES})
    assert ran["exit_code"] == 0
    assert "2024-03-04" in ran["files"][0]["text"], "month-first: the failure to learn from"
    reported = outcome.report(
        session, UK_TASK, "date-normalize", False, note="03/04/2024 came out as 2024-03-04; a UK file is day-first"
    )
    return session, reported


def test_a_clients_failure_is_reflected_on_like_any_run(workspace: Workspace, scripted: ScriptedServer) -> None:
    session, reported = _failed_by_a_client(workspace)
    record = session.services.runs().load(reported["run_id"])
    assert record.status == "failed" and record.model == "mcp:test-client 1.0"
    assert record.inputs == ["invoices.csv"]
    router = Router(
        date_agent("invoices.csv", "out.csv"),
        reflection=[reflection()],
        writes=[lambda body: skill_edit(current_skill_md(body), DAYFIRST_PITFALL)],
    )
    scripted.add(*[router] * 20)

    result = learn_from_run(session.services, reported["run_id"])

    assert result.status == "patched" and result.branch.startswith("memento/patch/date-normalize/")
    reflect_prompt = next(r for r in scripted.requests if "reviewing a failed run" in str(r["messages"][0]))
    text = str(reflect_prompt["messages"][1]["content"])
    assert "normalize_dates.py invoices.csv" in text, "the client's command is in the trace reflected on"
    assert "a UK file is day-first" in text, "and its note"
    # The replay started from the client's own input file.
    replayed = session.services.patches().get(result.patch_id).evidence.replay.run_id
    replay = session.services.runs().load(replayed or "")
    assert replay.replay_of == reported["run_id"]
    events, _ = session.services.runs().trace(replay.id)
    runs = [e for e in events if e.type == "tool_result" and e.name == "run"]
    assert runs and runs[0].exit_code == 0


def test_a_clients_fix_is_replayed_on_its_failure_with_the_workspaces_model(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    session, reported = _failed_by_a_client(workspace)
    skill_md = (workspace.paths.skills / "date-normalize" / "SKILL.md").read_text(encoding="utf-8")
    scripted.add(*[date_agent("invoices.csv", "out.csv")] * 10)

    proposed = proposal.propose(
        session,
        "date-normalize",
        {"SKILL.md": skill_md + "\n" + DAYFIRST_PITFALL + "\n"},
        "UK and European files are day-first: say when to pass --dayfirst",
    )

    assert proposed["run_id"] == reported["run_id"]
    assert proposed["replay"].startswith("passed") and proposed["validated"] is True
    evidence = session.services.patches().get(proposed["patch_id"]).evidence
    replay = session.services.runs().load(evidence.replay.run_id or "")
    assert replay.replay_of == reported["run_id"] and replay.patch_id == proposed["patch_id"]
    events, _ = session.services.runs().trace(replay.id)
    commands = [e.arguments["command"] for e in events if e.type == "tool_called" and e.name == "run"]
    assert commands and commands[0].endswith("--dayfirst"), "the replay read the proposed SKILL.md"
    assert evidence.details["proposed_by"] == "mcp" and evidence.details["client"] == "test-client 1.0"

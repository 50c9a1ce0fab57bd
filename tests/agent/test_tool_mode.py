"""tool_calling = "auto" with no configuration, for a model litellm does not know: native
tool calls where the server takes them, the JSON protocol where it refuses them, found
out on the first request and remembered per server and model.

The scripted server plays a server with tool support and one without (vLLM's, llama.cpp's
and Ollama's own refusals), reached through litellm's real code path.
"""

from __future__ import annotations

import json
import time

import pytest

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.llm.tool_mode import (
    REMEMBER_SECONDS,
    ToolModeStore,
    capabilities_file,
    refuses_tools,
)
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import (
    LLAMA_CPP_NO_TOOLS,
    OLLAMA_NO_TOOLS,
    VLLM_NO_TOOLS,
    ScriptedServer,
    call,
    json_action,
    say,
)
from tests.conftest import configure_model

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

CHECK = "test -s notes.txt"


def _run(workspace: Workspace) -> str:
    services = make_services(workspace)
    record = services.agent().run(RunRequest(task="write notes.txt", check=CHECK, learn=False))
    return record.status


def _remembered() -> dict[str, dict[str, object]]:
    return dict(json.loads(capabilities_file().read_text(encoding="utf-8")))


@pytest.mark.parametrize("refusal", [VLLM_NO_TOOLS, LLAMA_CPP_NO_TOOLS, OLLAMA_NO_TOOLS])
def test_a_server_without_tools_is_asked_again_in_json_and_that_is_remembered(
    workspace: Workspace, refusal: str
) -> None:
    with ScriptedServer(refuse_tools=refusal) as server:
        configure_model(workspace, server.api_base, tool_calling="auto")
        server.add(
            json_action("write_file", path="notes.txt", content="hello"),
            json_action("finish", answer="done", success=True),
        )
        assert _run(workspace) == "passed"
        first, second, third = server.requests
        assert "tools" in first  # asked natively first, refused with the server's message
        assert "tools" not in second and second["response_format"]["type"] == "json_schema"
        assert "tools" not in third
        (row,) = _remembered().values()
        assert row["native"] is False and refusal[:20] in str(row["why"])

        # The next run (a new process, in effect) goes straight to JSON.
        server.add(
            json_action("write_file", path="notes.txt", content="hi"),
            json_action("finish", answer="done", success=True),
        )
        assert _run(workspace) == "passed"
        assert all("tools" not in r for r in server.requests[3:])


def test_a_server_with_tools_is_used_natively_and_that_is_remembered(
    workspace: Workspace,
) -> None:
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="auto")
        server.add(
            call("write_file", path="notes.txt", content="hello"),
            call("finish", answer="done", success=True),
        )
        assert _run(workspace) == "passed"
        assert all("tools" in r and "response_format" not in r for r in server.requests)
        (key, row), *_ = _remembered().items()
        assert row["native"] is True and server.api_base in key and "openai/scripted" in key


def test_a_server_that_sends_the_call_back_as_text_gets_the_json_protocol(
    workspace: Workspace,
) -> None:
    # A server that takes `tools` but does not parse the model's calls out of its text.
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="auto")
        server.add(
            say(
                '<tool_call>{"name": "write_file", "arguments": {"path": "notes.txt", "content": "hello"}}</tool_call>'
            ),
            json_action("finish", answer="done", success=True),
        )
        assert _run(workspace) == "passed"
        assert "tools" in server.requests[0] and "tools" not in server.requests[1]
        (row,) = _remembered().values()
        assert row["native"] is False and "as text" in str(row["why"])


def test_a_remembered_finding_is_found_out_again_after_a_day(workspace: Workspace) -> None:
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="auto")
        store = ToolModeStore()
        store.put(server.api_base, "openai/scripted", False, "an old finding")
        data = _remembered()
        for row in data.values():
            row["at"] = time.time() - REMEMBER_SECONDS - 60
        capabilities_file().write_text(json.dumps(data), encoding="utf-8")
        server.add(
            call("write_file", path="notes.txt", content="hello"),
            call("finish", answer="done", success=True),
        )
        assert _run(workspace) == "passed"
        assert "tools" in server.requests[0]
        assert next(iter(_remembered().values()))["native"] is True


def test_a_broken_capabilities_file_is_found_out_again(workspace: Workspace) -> None:
    capabilities_file().parent.mkdir(parents=True, exist_ok=True)
    capabilities_file().write_text("{not json", encoding="utf-8")
    with ScriptedServer(refuse_tools=VLLM_NO_TOOLS) as server:
        configure_model(workspace, server.api_base, tool_calling="auto")
        server.add(
            json_action("write_file", path="notes.txt", content="hello"),
            json_action("finish", answer="done", success=True),
        )
        assert _run(workspace) == "passed"
    assert next(iter(_remembered().values()))["native"] is False


def test_an_explicit_setting_is_never_second_guessed(workspace: Workspace) -> None:
    with ScriptedServer(refuse_tools=VLLM_NO_TOOLS) as server:
        configure_model(workspace, server.api_base, tool_calling="native")
        assert _run(workspace) == "error"
        assert len(server.requests) == 1
    assert not capabilities_file().exists()
    record = make_services(workspace).runs().list()[0]
    events, _ = make_services(workspace).runs().trace(record.id)
    error = next(e for e in events if e.type == "run_error")
    assert "takes no tool calls" in error.message and 'tool_calling = "auto"' in error.message


def test_refusals_are_told_from_other_errors() -> None:
    for message in (VLLM_NO_TOOLS, LLAMA_CPP_NO_TOOLS, OLLAMA_NO_TOOLS):
        assert refuses_tools(Exception(f"BadRequestError: OpenAIException - {message}"))
    assert not refuses_tools(Exception("AuthenticationError: invalid api key"))
    assert not refuses_tools(Exception("the model does not exist"))


def test_the_finding_lives_outside_the_workspace(workspace: Workspace) -> None:
    with ScriptedServer() as server:
        configure_model(workspace, server.api_base, tool_calling="auto")
        server.add(call("finish", answer="done", success=True))
        _run(workspace)
    assert capabilities_file().is_file()
    assert workspace.root not in capabilities_file().parents
    assert not list(workspace.root.rglob("model-capabilities.json"))

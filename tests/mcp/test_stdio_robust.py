"""What a client cannot do to the server: crash it, flood it, or make it load litellm; and
what it cannot do unseen: every call is in the log."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from memento_tui.domain.workspace import Workspace
from memento_tui.mcp.calllog import CallLog
from tests.mcp.conftest import connected

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'


async def test_a_message_over_the_limit_is_refused_and_the_server_goes_on(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        with pytest.raises(MCPError, match=r"the limit is 33,554,432"):
            await client.session.call_tool("find_skills", {"task": "x" * (33 * 1024 * 1024)})
        unknown = await client.session.call_tool("no_such_tool", {})
        assert unknown.is_error and "no_such_tool" in unknown.content[0].text  # type: ignore[union-attr]
        wrong_type = await client.session.call_tool("find_skills", {"task": "csv", "k": "many"})
        assert wrong_type.is_error
        too_many = await client.refused("find_skills", task="csv to json", k=500)
        assert "from 1 to 50" in too_many
        nul = await client.refused("report_outcome", task="a\0b", skill="csv-json", passed=True)
        assert "NUL" in nul
        long_task = await client.refused("find_skills", task="word " * 30_000)
        assert "the limit is 100,000" in long_task
        assert (await client.call("find_skills", task="convert csv to json"))["skills"][0]["name"] == "csv-json"


async def test_a_cancelled_command_is_killed_at_once_and_the_server_goes_on(workspace: Workspace) -> None:
    marker = "sleep 37.125"  # a duration no other test uses, to find its process

    def running() -> bool:
        return subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0

    async with connected(workspace.root) as client:
        call = anyio.CancelScope()

        async def long_command() -> None:
            with call:
                await client.session.call_tool("run_skill_command", {"skill": "csv-json", "command": marker})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(long_command)
            with anyio.fail_after(20):
                while not running():
                    await anyio.sleep(0.1)
            call.cancel()  # the client gives up on this call: the SDK sends notifications/cancelled
        with anyio.fail_after(10):  # on the same connection: the server killed it
            while running():
                await anyio.sleep(0.1)
        assert (await client.call("find_skills", task="convert csv to json"))["skills"]
    run = next(r for r in CallLog(workspace.paths).read() if r.tool == "run_skill_command")
    assert not run.ok and run.error == "cancelled by the client"


async def test_the_server_never_imports_litellm_or_textual(workspace: Workspace, tmp_path: Path) -> None:
    modules = tmp_path / "modules.txt"
    async with connected(workspace.root, modules_out=modules) as client:
        await client.call("find_skills", task="convert this csv to json")
        await client.call("load_skill", name="csv-json")
        await client.call("run_skill_command", skill="csv-json", command="true")
        await client.call("report_outcome", task="convert a csv", skill="csv-json", passed=True)
        await client.session.list_resources()
    loaded = set(modules.read_text().split())
    assert "memento_tui.mcp.server" in loaded, "the list is the server's own"
    assert not {m for m in loaded if m.split(".")[0] in ("litellm", "textual", "openai")}


async def test_every_call_is_logged_append_only_with_contents_kept_short(workspace: Workspace) -> None:
    log = CallLog(workspace.paths)
    async with connected(workspace.root) as client:
        await client.call("find_skills", task="convert this csv to json")
        await client.call(
            "run_skill_command", skill="csv-json", command="cat big.txt | wc -c", files={"big.txt": "y" * 50_000}
        )
        await client.refused("load_skill", name="nope")
    first = log.read()
    async with connected(workspace.root) as client:
        await client.session.read_resource("skill://csv-json")
    records = log.read()
    assert records[: len(first)] == first, "earlier lines are never rewritten"
    assert len({r.session for r in records}) == 2
    calls = [(r.method, r.tool, r.ok) for r in records if r.method in ("tools/call", "resources/read")]
    assert calls == [
        ("tools/call", "find_skills", True),
        ("tools/call", "run_skill_command", True),
        ("tools/call", "load_skill", False),
        ("resources/read", None, True),
    ]
    run = next(r for r in records if r.tool == "run_skill_command")
    kept = run.arguments["files"]["big.txt"]
    assert len(kept) < 500 and "50,000 characters" in kept
    assert run.result["stdout"].strip() == "50000"
    refused = next(r for r in records if r.tool == "load_skill")
    assert "no skill named 'nope'" in refused.error
    assert all(r.client.startswith("mcp") for r in records if r.method != "initialize")
    raw = (workspace.paths.mcp / "calls.jsonl").read_bytes()
    assert raw.isascii() and all(json.loads(line) for line in raw.splitlines())


async def test_a_hostile_client_name_is_kept_as_plain_text(workspace: Workspace) -> None:
    from mcp_types import Implementation

    hostile = Implementation(name="evil\x1b]0;owned\x07\u202egnp.exe", version="1\n2")
    async with connected(workspace.root, client_info=hostile) as client:
        reported = await client.call("report_outcome", task="convert a csv", skill="csv-json", passed=True)
    run = json.loads((workspace.paths.runs / reported["run_id"] / "run.json").read_text(encoding="utf-8"))
    assert run["model"].startswith("mcp:evil") and run["model"].isprintable()
    logged = [r.client for r in CallLog(workspace.paths).read() if r.client]
    assert logged and all(name.isprintable() for name in logged)

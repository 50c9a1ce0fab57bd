"""The tools through the SDK's own stdio client, against ``memento mcp`` in a child process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memento_tui.domain.workspace import Workspace
from tests.mcp.conftest import connected, memento

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

TOOLS = {"find_skills", "load_skill", "read_skill_file", "run_skill_command", "report_outcome", "propose_patch"}
PEOPLE = "name,age\nAda,36\nGrace,45\n"


async def test_lists_the_tools_and_finds_csv_json_as_memento_search_does(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        listed = await client.session.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        schemas = {tool.name: tool.input_schema for tool in listed.tools}
        assert schemas["run_skill_command"]["required"] == ["skill", "command"]
        assert set(schemas["propose_patch"]["required"]) == {"skill", "files", "reason"}
        found = await client.call("find_skills", task="convert this csv to json")
    hits = found["skills"]
    assert hits[0]["name"] == "csv-json"
    assert hits[0]["description"].startswith("Convert CSV/TSV files to JSON")
    assert hits[0]["why"], "each hit says why it matched"
    cli = memento(workspace.root, "search", "convert this csv to json", "--json")
    assert [h["name"] for h in hits] == [h["name"] for h in cli]
    assert [h["why"] for h in hits] == [h["why"] for h in cli]


async def test_loads_a_skill_and_reads_its_files_but_nothing_outside(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        loaded = await client.call("load_skill", name="csv-json")
        assert loaded["skill_md"].startswith("---\nname: csv-json\n")
        assert "scripts/csv2json.py" in loaded["files"] and "SKILL.md" not in loaded["files"]
        assert loaded["network"] is False and loaded["protected"] is False
        script = await client.call("read_skill_file", name="csv-json", path="scripts/csv2json.py")
        assert script["text"] == (workspace.paths.skills / "csv-json/scripts/csv2json.py").read_text()
        outside = await client.refused("read_skill_file", name="csv-json", path="../../.memento/config.toml")
        assert "leads outside /skill" in outside
        absolute = await client.refused("read_skill_file", name="csv-json", path="/etc/passwd")
        assert "outside /skill" in absolute
        unknown = await client.refused("load_skill", name="csv")
        assert "no skill named 'csv'" in unknown and "csv-json" in unknown
        bad_name = await client.refused("load_skill", name="../skills")
        assert "is not a skill name" in bad_name


async def test_runs_a_skill_script_in_a_fresh_sandbox_and_returns_what_it_wrote(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        ran = await client.call(
            "run_skill_command",
            skill="csv-json",
            command="python3 /skill/scripts/csv2json.py people.csv --infer-types -o people.json",
            files={"people.csv": PEOPLE},
        )
        assert ran["exit_code"] == 0 and ran["ok"] and ran["sandboxed"]
        assert [f["path"] for f in ran["files"]] == ["people.json"], "the unchanged input is not sent back"
        assert json.loads(ran["files"][0]["text"]) == [{"name": "Ada", "age": 36}, {"name": "Grace", "age": 45}]
        again = await client.call("run_skill_command", skill="csv-json", command="ls -A /work; ls /skill")
        assert again["stdout"].split() == ["SKILL.md", "scripts", "tests"], "every call starts from an empty /work"


async def test_a_command_cannot_read_the_hosts_secrets_and_its_escapes_are_marked(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        shadow = await client.call("run_skill_command", skill="csv-json", command="cat /etc/shadow")
        assert shadow["exit_code"] != 0 and "No such file" in shadow["stderr"]
        home = await client.call(
            "run_skill_command", skill="csv-json", command=f"ls {workspace.root} ; ls {Path.home()} ; env"
        )
        assert str(workspace.root) not in home["stdout"] and "MEMENTO_CONFIG_DIR" not in home["stdout"]
        escapes = await client.call(
            "run_skill_command", skill="csv-json", command="printf 'title\\033]0;owned\\007 \\342\\200\\256x'"
        )
        assert "\x1b" not in escapes["stdout"] and "\u202e" not in escapes["stdout"]
        assert "⟨U+001B⟩" in escapes["stdout"] and "⟨U+202E⟩" in escapes["stdout"]


async def test_inputs_go_through_the_work_dirs_path_rules(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        for path, why in [
            ("../escape.txt", "leads outside /work"),
            ("/etc/cron.d/x", "outside /work"),
            (".git/config", "git folder"),
            ("a\u202eb.txt", "invisible character"),
        ]:
            message = await client.refused("run_skill_command", skill="csv-json", command="true", files={path: "x"})
            assert why in message, (path, message)
        big = await client.refused(
            "run_skill_command", skill="csv-json", command="true", files={"big.txt": "x" * 5_000_001}
        )
        assert "the limit is 5,000,000" in big
        # The server is still there after every refusal.
        assert (await client.call("find_skills", task="count words in a file"))["skills"]

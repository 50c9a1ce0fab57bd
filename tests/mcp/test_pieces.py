"""The server's parts on their own: the capped reader, the log's summaries, argument checks
and the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from memento_tui.cli.main import build_parser, main
from memento_tui.domain.workspace import Workspace
from memento_tui.mcp import checks
from memento_tui.mcp.calllog import CallLog, CallRecord, summarize
from memento_tui.mcp.serve import OVERSIZED_METHOD, CappedLines


def test_a_line_over_the_cap_becomes_a_refusal_for_its_id_and_the_next_line_is_whole() -> None:
    big = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "find_skills", "arguments": {"task": "x" * 5000}},
        }
    )
    raw = io.BytesIO(
        b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n'
        + big.encode()
        + b"\n"
        + b'{"jsonrpc":"2.0","id":"last","method":"ping"}\n'
    )
    lines = list(CappedLines(raw, cap=1000))
    assert json.loads(lines[0]) == {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    stand_in = json.loads(lines[1])
    assert stand_in["id"] == 7 and stand_in["method"] == OVERSIZED_METHOD
    assert stand_in["params"] == {"bytes": len(big) + 1, "limit": 1000}
    assert json.loads(lines[2])["id"] == "last"


def test_an_over_long_line_without_an_id_is_dropped_as_unreadable() -> None:
    raw = io.BytesIO(b'{"params": "' + b"y" * 3000 + b'"}\n')
    assert list(CappedLines(raw, cap=100)) == ["{}\n"]


def test_the_log_keeps_contents_short_and_hashed() -> None:
    kept = summarize({"files": {"a.csv": "z" * 1000}, "list": list(range(80)), "n": 3, "ok": True})
    assert kept["files"]["a.csv"].startswith("z" * 300 + "… [1,000 characters, sha256 ")
    assert kept["list"][-1] == "… 30 more" and len(kept["list"]) == 51
    assert kept["n"] == 3 and kept["ok"] is True


def test_the_log_is_appended_by_its_writer_and_read_back(workspace: Workspace) -> None:
    log = CallLog(workspace.paths, session="s1")
    for n in range(3):
        log.write(CallRecord(session="s1", method="tools/call", tool=f"t{n}"))
    log.close()
    assert [r.tool for r in log.read()] == ["t0", "t1", "t2"]
    assert log.path == workspace.paths.mcp / "calls.jsonl"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ("a.csv", "files must map paths"),
        ({"a.csv": 3}, "must be text"),
        ({f"f{n}": "" for n in range(201)}, "201 input files"),
    ],
)
def test_input_files_are_refused_before_anything_is_written(files: object, message: str) -> None:
    with pytest.raises(checks.CallRefused, match=message):
        checks.input_files(files)


@pytest.mark.parametrize("name", ["", "CSV", "csv--json", "../x", "a" * 65, 3])
def test_skill_names_are_checked_as_names(name: object) -> None:
    with pytest.raises(checks.CallRefused):
        checks.skill_name(name)


def test_the_workspace_comes_from_c_before_or_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["-C", "/a", "mcp"]).workspace == "/a"
    assert parser.parse_args(["mcp", "-C", "/b"]).workspace == "/b"
    assert parser.parse_args(["-C", "/a", "mcp", "-C", "/b"]).workspace == "/b"


def test_outside_a_workspace_it_says_so_and_serves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["mcp"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "not inside a Memento workspace" in out.err


def test_skill_resources_come_a_page_at_a_time(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from memento_tui.mcp import skill_tools
    from memento_tui.mcp.session import McpSession
    from memento_tui.services.factory import make_services

    monkeypatch.setattr(skill_tools, "RESOURCE_PAGE", 3)
    services = make_services(workspace)
    try:
        resources = skill_tools.SkillResources(McpSession.open(services))
        seen, cursor, pages = [], None, 0
        while True:
            page, cursor = resources.page(cursor)
            seen += [entry["uri"] for entry in page]
            pages += 1
            if cursor is None:
                break
        names = sorted(p.name for p in workspace.paths.skills.iterdir())
        assert seen == [f"skill://{n}" for n in names] and pages == -(-len(names) // 3)
        with pytest.raises(checks.CallRefused, match="not one this server gave"):
            resources.page("../../etc")
    finally:
        services.close()

"""Outcomes and proposals through the stdio client: they land where a person looks
(``memento search --eval``, ``memento runs``, ``memento patches list``) and never on main."""

from __future__ import annotations

import pytest

from memento_tui.domain.git_repo import GitRepo
from memento_tui.domain.workspace import Workspace
from tests.mcp.conftest import connected, memento

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

TASK = "Convert people.csv to JSON records in people.json"


async def test_a_reported_success_is_a_run_that_search_eval_counts(workspace: Workspace) -> None:
    before = memento(workspace.root, "search", "--eval", "--json")
    assert before["queries"] == 0
    async with connected(workspace.root) as client:
        await client.call("find_skills", task=TASK)
        await client.call("load_skill", name="csv-json")
        await client.call(
            "run_skill_command",
            skill="csv-json",
            command="python3 /skill/scripts/csv2json.py people.csv -o people.json",
            files={"people.csv": "name\nAda\n"},
        )
        reported = await client.call(
            "report_outcome", task=TASK, skill="csv-json", passed=True, note="people.json has both records"
        )
    assert reported["status"] == "passed" and reported["steps_recorded"] == 2
    assert reported["retrieval_learned"] == ["success: csv-json"]
    after = memento(workspace.root, "search", "--eval", "--json")
    assert after["queries"] == 1
    assert [s["skill"] for s in after["skills"]] == ["csv-json"]
    runs = memento(workspace.root, "runs", "list", "--json")
    run = next(r for r in runs if r["id"] == reported["run_id"])
    assert run["status"] == "passed" and run["skills_used"] == ["csv-json"]
    shown = memento(workspace.root, "runs", "show", reported["run_id"])
    assert "python3 /skill/scripts/csv2json.py" in shown, "the client's command is in the trace"
    assert "reported over MCP" in shown


async def test_a_proposed_fix_is_a_pending_branch_tied_to_the_failed_run(workspace: Workspace) -> None:
    skill_md = (workspace.paths.skills / "csv-json" / "SKILL.md").read_text(encoding="utf-8")
    fixed = skill_md + "\n## Semicolons\n\nEuropean exports use ';': pass --delimiter semicolon.\n"
    main_before = GitRepo(workspace.root).out("rev-parse", "main")
    async with connected(workspace.root) as client:
        failed = await client.call(
            "report_outcome",
            task=TASK,
            skill="csv-json",
            passed=False,
            note="the file was semicolon-separated; every row landed in one column",
        )
        proposed = await client.call(
            "propose_patch",
            skill="csv-json",
            files={"SKILL.md": fixed},
            reason="Say that European exports need --delimiter semicolon",
        )
    assert proposed["run_id"] == failed["run_id"], "tied to the failure this client reported"
    assert proposed["branch"] == f"memento/patch/csv-json/{proposed['patch_id']}"
    assert proposed["replay"].startswith("not run") and proposed["validated"] is False
    pending = memento(workspace.root, "patches", "list", "--json")
    assert [p["id"] for p in pending] == [proposed["patch_id"]]
    assert pending[0]["evidence"]["run_id"] == failed["run_id"]
    assert pending[0]["evidence"]["details"]["proposed_by"] == "mcp"
    diff = memento(workspace.root, "patches", "diff", proposed["patch_id"])
    assert "+European exports use ';'" in diff
    assert GitRepo(workspace.root).out("rev-parse", "main") == main_before, "never on main"
    assert (workspace.paths.skills / "csv-json" / "SKILL.md").read_text(encoding="utf-8") == skill_md


async def test_a_protected_skill_and_a_broken_fix_are_refused_with_nothing_made(workspace: Workspace) -> None:
    text_stats = workspace.paths.skills / "text-stats" / "SKILL.md"
    text = text_stats.read_text(encoding="utf-8")
    protected = text.replace("metadata:\n", "metadata:\n  memento:\n    protected: true\n", 1)
    assert protected != text
    text_stats.write_text(protected, encoding="utf-8")
    GitRepo(workspace.root).commit_paths(["skills/text-stats"], "protect text-stats")
    async with connected(workspace.root) as client:
        refused = await client.refused(
            "propose_patch", skill="text-stats", files={"SKILL.md": protected + "\nMore.\n"}, reason="more"
        )
        assert "protected" in refused and "text-stats-notes" in refused
        broken = await client.refused(
            "propose_patch", skill="csv-json", files={"SKILL.md": "no frontmatter at all\n"}, reason="break it"
        )
        assert "does not pass its checks" in broken
        outside = await client.refused(
            "propose_patch", skill="csv-json", files={"../date-normalize/SKILL.md": "x"}, reason="escape"
        )
        assert "'..'" in outside or "leads outside" in outside or ".." in outside
        git_file = await client.refused(
            "propose_patch", skill="csv-json", files={".gitattributes": "* filter=evil"}, reason="git"
        )
        assert ".git" in git_file
        same = await client.refused(
            "propose_patch",
            skill="csv-json",
            files={"SKILL.md": (workspace.paths.skills / "csv-json/SKILL.md").read_text()},
            reason="nothing",
        )
        assert "the same as the skill's" in same
    assert memento(workspace.root, "patches", "list", "--json") == []

"""memento search and memento skills teach, run through the real CLI entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.workspace import Workspace


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_prints_ranked_skills_with_reasons(library_workspace: Workspace, capsys) -> None:
    ws = str(library_workspace.root)
    code, out, _ = run_cli(capsys, "-C", ws, "search", "convert this csv file to json")
    assert code == 0
    first = out.splitlines()[0]
    assert "csv-json" in first and "Convert CSV files" in first
    assert "· name" in out
    code, out, _ = run_cli(capsys, "-C", ws, "search", "qqqq zzzz")
    assert code == 0 and "no skill matches" in out


def test_search_json_and_top(library_workspace: Workspace, capsys) -> None:
    code, out, _ = run_cli(capsys, "-C", str(library_workspace.root), "search", "csv json", "--top", "2", "--json")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) <= 2 and hits[0]["name"] == "csv-json"
    assert set(hits[0]) == {"name", "score", "why"}
    assert "name" in hits[0]["why"]
    code, _, err = run_cli(capsys, "-C", str(library_workspace.root), "search", "x", "--top", "0")
    assert code == 2 and "--top" in err


def test_search_reads_queries_from_stdin(library_workspace: Workspace, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("csv to json\n\ncount words in a text\n"))
    code, out, _ = run_cli(capsys, "-C", str(library_workspace.root), "search", "-", "--top", "1")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query"] for line in lines] == ["csv to json", "count words in a text"]
    assert [line["hits"][0]["name"] for line in lines] == ["csv-json", "text-stats"]


def test_teach_one_trigger_changes_search_and_shows_in_skills_show(library_workspace: Workspace, capsys) -> None:
    ws = str(library_workspace.root)
    task = "tidy up the quarterly figures from accounting"
    code, out, _ = run_cli(capsys, "-C", ws, "skills", "teach", "csv-json", task)
    assert code == 0 and "taught 1 trigger" in out
    code, out, _ = run_cli(capsys, "-C", ws, "search", "quarterly accounting figures", "--json", "--top", "1")
    hit = json.loads(out)[0]
    assert hit["name"] == "csv-json" and f"trigger: {task}" in hit["why"]
    code, out, _ = run_cli(capsys, "-C", ws, "skills", "show", "csv-json")
    assert "learned triggers (1):" in out and task in out
    code, out, _ = run_cli(capsys, "-C", ws, "skills", "show", "csv-json", "--json")
    assert json.loads(out)["triggers"] == [task]


def test_teach_a_failure(library_workspace: Workspace, capsys) -> None:
    ws = str(library_workspace.root)
    code, out, _ = run_cli(capsys, "-C", ws, "skills", "teach", "--failure", "text-stats", "count words in my file")
    assert code == 0 and "1 failure" in out
    code, out, _ = run_cli(capsys, "-C", ws, "skills", "show", "text-stats")
    assert "failed on (1):" in out


def test_teach_unknown_skill_suggests_the_name(library_workspace: Workspace, capsys) -> None:
    code, _, err = run_cli(capsys, "-C", str(library_workspace.root), "skills", "teach", "csv-jsn", "a task")
    assert code == 2 and "no skill named 'csv-jsn'" in err and "did you mean csv-json" in err


def test_teach_from_file(library_workspace: Workspace, capsys, tmp_path: Path) -> None:
    teach = tmp_path / "teach.jsonl"
    teach.write_text(
        json.dumps({"query": "reconcile the ledger exports", "skill": "csv-json"})
        + "\n\n"
        + json.dumps({"query": "how long to read this essay", "skill": "text-stats"})
        + "\n",
        encoding="utf-8",
    )
    ws = str(library_workspace.root)
    code, out, _ = run_cli(capsys, "-C", ws, "skills", "teach", "--from", str(teach))
    assert code == 0 and "taught 2 trigger(s) to 2 skill(s)" in out
    code, out, _ = run_cli(capsys, "-C", ws, "search", "reconcile ledger", "--json", "--top", "1")
    assert json.loads(out)[0]["name"] == "csv-json"


def test_teach_from_file_with_bad_lines_names_each_and_teaches_nothing(
    library_workspace: Workspace, capsys, tmp_path: Path
) -> None:
    teach = tmp_path / "teach.jsonl"
    teach.write_text(
        '{"query": "fine line", "skill": "csv-json"}\n'
        "{not json\n"
        '{"query": "missing the skill"}\n'
        '{"query": "unknown", "skill": "csv-jsn"}\n',
        encoding="utf-8",
    )
    code, _, err = run_cli(capsys, "-C", str(library_workspace.root), "skills", "teach", "--from", str(teach))
    assert code == 2
    assert f"{teach}:2: not JSON" in err
    assert f"{teach}:3: skill: Field required" in err
    assert f"{teach}:4: skill: no skill named 'csv-jsn'" in err and "did you mean csv-json" in err
    assert "3 line(s) cannot be taught; nothing was taught" in err
    assert "fix:" in err
    assert not (library_workspace.paths.learned / "outcomes.jsonl").exists()


def test_teach_needs_a_task_or_a_file(library_workspace: Workspace, capsys) -> None:
    code, _, err = run_cli(capsys, "-C", str(library_workspace.root), "skills", "teach", "csv-json")
    assert code == 2 and "nothing to teach" in err

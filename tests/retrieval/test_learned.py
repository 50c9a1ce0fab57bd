"""LearnedStore: append-only JSONL that survives partial and corrupt rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.domain.errors import MementoError
from memento_tui.domain.retrieval import LearnedStore


def test_rows_round_trip_and_triggers_are_unique(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path / "learned")
    store.record("success", "convert  the csv", "csv-json")
    store.record("success", "convert the csv", "csv-json")
    store.record("failure", "count words", "text-stats")
    again = LearnedStore(tmp_path / "learned")
    assert again.triggers("csv-json") == ["convert the csv"]
    assert again.failures("text-stats") == ["count words"]
    assert again.problems == []


def test_a_partial_last_line_is_reported_and_the_next_row_starts_fresh(tmp_path: Path) -> None:
    folder = tmp_path / "learned"
    store = LearnedStore(folder)
    store.record("success", "first task", "csv-json")
    with store.file.open("a", encoding="utf-8") as handle:
        handle.write('{"kind": "success", "task": "cut sh')  # a crash mid-write
    reopened = LearnedStore(folder)
    assert reopened.triggers("csv-json") == ["first task"]
    assert len(reopened.problems) == 1
    assert reopened.problems[0].line == 2 and "cut short" in str(reopened.problems[0])
    reopened.record("success", "second task", "csv-json")
    final = LearnedStore(folder)
    assert final.triggers("csv-json") == ["first task", "second task"]
    assert [p.line for p in final.problems] == [2]  # the partial row stays reported


def test_a_corrupt_middle_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "learned"
    folder.mkdir()
    (folder / "outcomes.jsonl").write_text(
        '{"kind":"success","task":"a","skill":"x"}\nnot json\n{"kind":"oops","task":"b","skill":"x"}\n'
        '{"kind":"success","task":"c","skill":"x"}\n',
        encoding="utf-8",
    )
    store = LearnedStore(folder)
    assert store.triggers("x") == ["a", "c"]
    assert [p.line for p in store.problems] == [2, 3]
    assert "kind" in str(store.problems[1])


def test_sync_reads_rows_another_writer_appended(tmp_path: Path) -> None:
    folder = tmp_path / "learned"
    mine, theirs = LearnedStore(folder), LearnedStore(folder)
    mine.record("success", "one", "x")
    new = theirs.sync()
    assert [(row.task, end) for row, end in new] == [("one", mine.file.stat().st_size)]
    assert theirs.sync() == []
    # Appending after the other writer: its row is taken in first, offsets stay right.
    appended = theirs.append([theirs.rows[0].model_copy(update={"task": "two"})])
    assert [row.task for row, _ in appended] == ["two"]
    mine.record("success", "three", "x")
    assert [row.task for row in mine.rows] == ["one", "two", "three"]
    assert mine.ends[-1] == mine.file.stat().st_size


def test_bad_input_names_the_field(tmp_path: Path) -> None:
    store = LearnedStore(tmp_path / "learned")
    with pytest.raises(MementoError) as err:
        store.record("success", "   ", "x")
    assert err.value.field == "task"

"""The diff view's per-line measure: each line as painted and where it wraps, worked out
once per line and width, and nothing stored for the usual short ASCII line."""

from __future__ import annotations

from rich.cells import cell_len

from memento_tui.domain.patches.diff import DiffLine, FileDiff, Hunk, StructuredDiff
from memento_tui.ui.widgets.diff_rows import build_rows
from memento_tui.ui.widgets.diff_wrap import ONE_LINE, LineMeasure, display_text, wrap_starts


def test_a_short_ascii_line_is_one_piece_and_costs_no_entry() -> None:
    measure = LineMeasure()
    line = DiffLine(kind="add", text="short", new_no=1)
    assert measure.starts(line, 40) is ONE_LINE
    assert measure.shown(line) == "short"
    assert not measure._shown and not measure._starts


def test_long_or_hidden_lines_are_measured_once_as_painted() -> None:
    measure = LineMeasure()
    long = DiffLine(kind="add", text="always pass --dayfirst to the script for every file", new_no=1)
    hidden = DiffLine(kind="add", text="a\u202eb\tc", new_no=2)
    first = measure.starts(long, 20)
    assert first == wrap_starts(long.text, 20) and measure.starts(long, 20) is first
    assert measure.shown(hidden) == display_text(hidden.text) != hidden.text
    measure.clear()
    assert not measure._shown and not measure._starts


def test_the_longest_line_is_counted_in_cells_as_painted() -> None:
    lines = [
        DiffLine(kind="del", text="ab", old_no=1),
        DiffLine(kind="add", text="abc\u202e", new_no=1),  # the marker is wider than the character
    ]
    hunk = Hunk(old_start=1, old_count=1, new_start=1, new_count=1, lines=lines)
    diff = StructuredDiff(base="b", head="h", files=[FileDiff(path="a.md", status="modified", hunks=[hunk])])
    assert LineMeasure().longest(build_rows(diff, "split")) == cell_len(display_text("abc\u202e")) > 4

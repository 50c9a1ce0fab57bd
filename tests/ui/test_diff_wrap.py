"""Wrapping diff lines inside their side: where lines break, how tall each row is, and that
what is measured is what the painter draws (markers for hidden characters, tabs)."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content, Span

from memento_tui.domain.patches.diff import DiffLine, FileDiff, Hunk, StructuredDiff
from memento_tui.ui.widgets.diff_rows import build_rows
from memento_tui.ui.widgets.diff_wrap import RowLayout, display_text, expand_tabs, wrap_starts


def _pieces(plain: str, width: int) -> list[str]:
    starts = wrap_starts(plain, width)
    ends = [*starts[1:], len(plain)]
    return [plain[a:b] for a, b in zip(starts, ends, strict=True)]


def test_a_line_that_fits_is_one_piece() -> None:
    assert wrap_starts("short line", 40) == [0]
    assert wrap_starts("", 10) == [0]


def test_long_lines_break_after_a_space_and_never_lose_a_character() -> None:
    text = "always pass --dayfirst to the script for every file you are given, then check"
    pieces = _pieces(text, 20)
    assert "".join(pieces) == text
    assert all(len(p.rstrip(" ")) <= 20 for p in pieces)
    assert all(p.endswith(" ") for p in pieces[:-1])  # no word is cut in two
    assert pieces[:2] == ["always pass ", "--dayfirst to the "]


def test_a_word_longer_than_the_side_is_cut_at_the_width() -> None:
    text = "x" * 50
    assert _pieces(text, 20) == ["x" * 20, "x" * 20, "x" * 10]


def test_a_space_early_in_the_line_does_not_make_a_stub() -> None:
    text = "a " + "b" * 40
    pieces = _pieces(text, 20)
    assert pieces[0] == "a " + "b" * 18  # the break would leave 2 cells: cut at the width


def test_wide_characters_are_counted_in_cells_and_kept_whole() -> None:
    text = "数据" * 15 + " tail"
    starts = wrap_starts(text, 11)
    assert starts[0] == 0 and all(s % 2 == 0 for s in starts if s < 60)  # never inside a character
    assert max(b - a for a, b in zip(starts, [*starts[1:], cell_len(text)], strict=True)) <= 12


def test_display_text_is_what_the_painter_shows() -> None:
    assert display_text("plain") == "plain"
    assert display_text("Trust\u202eme") == "Trust⟨U+202E⟩me"
    assert display_text("a\tb") == "a   b"
    # Tabs after a wide character are counted in cells, as Content.expand_tabs does for
    # styled text (str.expandtabs counts characters).
    for text in ("数\tx", "ab\tc\td", "\t\tend", "数据\t数"):
        styled = Content(text, spans=[Span(0, len(text), "bold")]).expand_tabs(4).plain
        assert expand_tabs(text) == styled, text


def _diff(left: str, right: str) -> StructuredDiff:
    hunk = Hunk(
        old_start=1,
        old_count=2,
        new_start=1,
        new_count=2,
        lines=[
            DiffLine(kind="context", text="same", old_no=1, new_no=1),
            DiffLine(kind="del", text=left, old_no=2),
            DiffLine(kind="add", text=right, new_no=2),
        ],
    )
    return StructuredDiff(
        base="b", head="h", files=[FileDiff(path="skills/a/SKILL.md", status="modified", hunks=[hunk])]
    )


def test_a_row_is_as_tall_as_its_taller_side_and_rows_map_to_screen_lines() -> None:
    rows = build_rows(_diff("old " * 5, "new words " * 6), "split")

    def starts_for(line: DiffLine, width: int) -> list[int]:
        return wrap_starts(display_text(line.text), width)

    layout = RowLayout(rows, "split", (20, 20), starts_for)
    kinds = [r.kind for r in rows.rows]
    change = kinds.index("change")
    assert layout.heights[change] == 3  # the right side: 60 cells in 20-cell pieces
    assert layout.height == sum(layout.heights)
    top = layout.top_of(change)
    assert [layout.row_at(y) for y in range(top, top + 3)] == [(change, 0), (change, 1), (change, 2)]
    flat = RowLayout(rows, "split", (20, 20), None)
    assert flat.heights == [1] * len(rows.rows)

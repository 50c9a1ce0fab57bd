"""Columns fitted to the width: who gives way first, and who gets what is spare."""

from __future__ import annotations

from memento_tui.ui.screens.runs import COLUMNS as RUN_COLUMNS
from memento_tui.ui.widgets.fit_table import PADDING, SCROLLBAR, Column, fit_columns


def _widths(columns: list[Column], width: int) -> dict[str, int]:
    return {column.key: cells for column, cells in fit_columns(columns, width)}


def test_the_highest_rank_gives_way_first_and_the_rest_keep_their_order() -> None:
    columns = [Column("id", "id", 20, rank=3), Column("task", "task", 20, flex=True), Column("cost", "cost", 7, rank=5)]
    assert list(_widths(columns, 200)) == ["id", "task", "cost"]
    assert list(_widths(columns, 50)) == ["id", "task"]
    assert list(_widths(columns, 30)) == ["task"]


def test_the_flexible_column_takes_all_that_is_spare_up_to_its_most() -> None:
    columns = [Column("a", "a", 10), Column("b", "b", 10, flex=True), Column("c", "c", 10, flex=True, most=12)]
    widths = _widths(columns, 100)
    assert widths["c"] == 12 and widths["a"] == 10
    assert sum(w + PADDING for w in widths.values()) == 100 - SCROLLBAR


def test_the_runs_task_column_is_wide_at_every_size() -> None:
    for width, least in ((78, 40), (92, 36), (136, 40)):
        widths = _widths(list(RUN_COLUMNS), width)
        assert widths["task"] >= least and "status" in widths, (width, widths)

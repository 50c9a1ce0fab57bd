"""A table whose columns fit the width it has, with the list keys (j/k, g/G).

Each column has a natural width and a rank. On a narrow terminal the columns a person
needs least give way first (their values stay in the detail panel beside or under the
list), and the spare width goes to the columns that tell rows apart (a run's task, a
patch's skill) instead of leaving them at five characters. Rows are kept as values per
column key, so a resize rebuilds the table from them with the cursor on the same row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from memento_tui.domain.skills.hidden_text import terminal_safe

PADDING = 2  # a DataTable cell's padding, one cell each side
SCROLLBAR = 2  # DataTable's vertical scrollbar, there or not: reserved so rows never jump


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # what its values need
    rank: int = 0  # who gives way first on a narrow terminal: the highest rank
    flex: bool = False  # takes the spare width (the columns that tell rows apart)
    most: int | None = None  # a flexible column grows no wider than this


def fit_columns(columns: Sequence[Column], width: int) -> list[tuple[Column, int]]:
    """The columns that fit in ``width`` cells, in their order, each with its width."""
    kept = list(columns)
    room = width - SCROLLBAR

    def need(cols: list[Column]) -> int:
        return sum(c.width + PADDING for c in cols)

    while len(kept) > 1 and need(kept) > room:
        kept.remove(max(kept, key=lambda c: c.rank))
    spare = max(0, room - need(kept))
    widths = {c.key: c.width for c in kept}
    flexible = [c for c in kept if c.flex]
    while spare and flexible:
        share, extra = divmod(spare, len(flexible))
        for i, column in enumerate(list(flexible)):
            grow = share + (1 if i < extra else 0)
            if column.most is not None:
                grow = min(grow, column.most - widths[column.key])
            widths[column.key] += grow
            spare -= grow
            if column.most is not None and widths[column.key] >= column.most:
                flexible.remove(column)
        if not share and not extra:
            break
    if need(kept) > room:  # even the last column is too wide: it takes what there is
        widths[kept[0].key] = max(1, room - PADDING)
    return [(c, widths[c.key]) for c in kept]


def text_cell(value: object) -> Text:
    """A cell from outside text: hidden characters marked, never read as markup, and an
    ellipsis where the column cuts it."""
    return Text(terminal_safe(str(value), single_line=True), no_wrap=True, overflow="ellipsis", end="")


class FitTable(DataTable[Any], inherit_bindings=False):
    """Rows by key, columns fitted to the width; j/k, g/G and the arrows move the cursor.

    Enter is left to the screen, whose registry binding says what it does (open the
    patch, read the trace) in the key bar, in help and in the palette.
    """

    BINDINGS: ClassVar = [
        Binding("down,j", "cursor_down", "Down", show=False, id="list-down", tooltip="The next row"),
        Binding("up,k", "cursor_up", "Up", show=False, id="list-up", tooltip="The row above"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list-page-down", tooltip="One screen down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list-page-up", tooltip="One screen up"),
        Binding("home,g", "scroll_top", "First", show=False, id="list-first", tooltip="The first row"),
        Binding("end,G", "scroll_bottom", "Last", show=False, id="list-last", tooltip="The last row"),
    ]

    def __init__(self, columns: Sequence[Column], *, wrap: bool = False, **kw: Any) -> None:
        """``wrap``: a row grows to show all of a long cell instead of cutting it."""
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.specs = list(columns)
        self.wrap = wrap
        self.fitted: list[tuple[Column, int]] = []
        self._rows: list[tuple[str, dict[str, Any]]] = []

    def set_rows(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """Replace the rows (key, values by column key); the cursor stays on its row."""
        self._rows = rows
        self._fill()

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def on_resize(self) -> None:
        if fit_columns(self.specs, self.size.width) != self.fitted:
            self._fill()

    def _fill(self) -> None:
        keep = self.current_key
        fitted = fit_columns(self.specs, self.size.width or 80)
        if fitted != self.fitted:
            self.clear(columns=True)
            for column, width in fitted:
                self.add_column(column.label, key=column.key, width=width)
            self.fitted = fitted
        else:
            self.clear()
        for key, values in self._rows:
            self.add_row(
                *(values.get(column.key, "") for column, _ in fitted), key=key, height=None if self.wrap else 1
            )
        keys = [key for key, _ in self._rows]
        if keep in keys:
            self.move_cursor(row=keys.index(keep), animate=False)

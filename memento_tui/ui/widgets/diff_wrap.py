"""Long lines wrapped inside their side of the diff, as plain data.

A diff row (an old line beside a new one) becomes as many screen lines as its taller side
needs, so both sides stay aligned and every changed word is on screen without scrolling
sideways. The layout needs only the width of each line as painted, which for the usual
line (ASCII, printable) is its length; lines are measured once and split into pieces only
when they are longer than their side.

What is measured here is exactly what the painter draws: hidden characters replaced by
their ``⟨U+…⟩`` markers, tabs expanded to 4 cells the way ``Content.expand_tabs`` does it.
The painter cuts its styled line at the offsets ``wrap_starts`` gives, so a row is never
painted taller than the layout made room for.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style

from memento_tui.domain.patches.diff import DiffLine
from memento_tui.ui.widgets.diff_rows import DiffRows, Layout
from memento_tui.ui.widgets.hidden import hidden_spots

TAB_SIZE = 4
_AFTER_TAB = re.compile("(?<=\t)")


def expand_tabs(text: str, size: int = TAB_SIZE) -> str:
    """Tabs as spaces, counted in cells: what ``Content.expand_tabs`` makes of styled text
    (plain ``str.expandtabs`` counts characters, which differs after a wide character)."""
    if "\t" not in text:
        return text
    out: list[str] = []
    position = 0
    for part in _AFTER_TAB.split(text):
        if part.endswith("\t"):
            part = part[:-1] + " "
            position += cell_len(part)
            remainder = position % size
            if remainder:
                part += " " * (size - remainder)
                position += size - remainder
        else:
            position += cell_len(part)
        out.append(part)
    return "".join(out)


def display_text(text: str) -> str:
    """One diff line as the painter shows it: hidden characters as markers, tabs as spaces."""
    if text.isascii() and text.isprintable():
        return text  # the usual line: nothing to replace (a tab is not printable)
    spots = hidden_spots(text)
    if spots:
        pieces: list[str] = []
        start = 0
        for index, marker in spots:
            pieces += [text[start:index], marker]
            start = index + 1
        pieces.append(text[start:])
        text = "".join(pieces)
    return expand_tabs(text)


def wrap_starts(plain: str, width: int) -> list[int]:
    """The cell offsets at which each screen line of ``plain`` begins, wrapped to ``width``.

    Breaks after a space when one falls in the second half of the line (a word is not cut
    in two), else at the width. A line may end one cell past the width when that cell is
    the space it breaks at; the painter crops that space.
    """
    width = max(1, width)
    if plain.isascii():
        length = len(plain)
        if length <= width:
            return [0]
        starts = [0]
        pos = 0
        while length - pos > width:
            space = plain.rfind(" ", pos + 1, pos + width + 1)
            nxt = space + 1 if space >= 0 and space + 1 - pos > width // 2 else pos + width
            if nxt >= length:
                break
            starts.append(nxt)
            pos = nxt
        return starts
    return _wrap_cells(plain, width)


def _wrap_cells(plain: str, width: int) -> list[int]:
    """``wrap_starts`` for text with wide or combining characters: offsets in cells, at
    character boundaries."""
    cells = [get_character_cell_size(ch) for ch in plain]
    total = sum(cells)
    if total <= width:
        return [0]
    starts = [0]
    line_start = 0  # cell offset of the current screen line
    used = 0  # cells on the current line
    space_end = -1  # cell offset just after the last space on this line
    for ch, size in zip(plain, cells, strict=True):
        if used + size > width and used:
            if ch == " " and used + size == width + 1:
                # The space that ends a full line stays on it (cropped when painted).
                starts.append(line_start + used + size)
                line_start, used, space_end = line_start + used + size, 0, -1
                continue
            if space_end > line_start and space_end - line_start > width // 2:
                cut = space_end
            else:
                cut = line_start + used
            starts.append(cut)
            used = line_start + used - cut
            line_start = cut
            space_end = -1
        used += size
        if ch == " ":
            space_end = line_start + used
    if starts[-1] >= total:
        starts.pop()
    return starts


def crop(text: list[Segment], x: int, width: int, base: Style, more: Style) -> list[Segment]:
    """Cells [x, x + width) of a line that does not wrap, padded in ``base``; a › in
    ``more`` at the edge says there is more to the right, rather than let it pass unseen."""
    length = Segment.get_line_length(text)
    longer = length > x + width and width > 1
    keep = width - 1 if longer else width
    if x or length > keep:
        parts = list(Segment.divide(text, [x, x + keep]))
        text = parts[1] if len(parts) > 1 else []
    line = Segment.adjust_line_length(list(text), max(0, keep), base)
    if longer:
        line.append(Segment("›", more))
    return line


StartsFor = Callable[[DiffLine, int], list[int]]
ONE_LINE = [0]  # wrap offsets of a line that fits (shared, never changed)


class LineMeasure:
    """Each line of one diff as painted, and where it wraps at a width, worked out once.

    The usual line (ASCII, printable, no longer than its side) is answered without a
    lookup and nothing is stored for it. Lines are known by identity: one measure serves
    one diff (``clear`` when the diff changes).
    """

    def __init__(self) -> None:
        self._shown: dict[int, str] = {}
        self._starts: dict[tuple[int, int], list[int]] = {}

    def clear(self) -> None:
        self._shown.clear()
        self._starts.clear()

    def shown(self, line: DiffLine) -> str:
        """The text as painted: hidden characters as markers, tabs expanded."""
        text = line.text
        if text.isascii() and text.isprintable():
            return text
        shown = self._shown.get(id(line))
        if shown is None:
            shown = self._shown[id(line)] = display_text(text)
        return shown

    def starts(self, line: DiffLine, width: int) -> list[int]:
        """Where each screen line of ``line`` begins when wrapped to ``width`` cells."""
        text = line.text
        if len(text) <= width and text.isascii() and text.isprintable():
            return ONE_LINE  # the usual line: no lookup, nothing stored
        key = (id(line), width)
        starts = self._starts.get(key)
        if starts is None:
            starts = self._starts[key] = wrap_starts(self.shown(line), width)
        return starts

    def longest(self, rows: DiffRows) -> int:
        """Cells of the widest line of ``rows`` (how far the view scrolls sideways)."""
        return max(
            (cell_len(self.shown(line)) for row in rows.rows for line in (row.left, row.right) if line is not None),
            default=0,
        )


class RowLayout:
    """Where each diff row starts on screen, and which row a screen line shows."""

    def __init__(
        self,
        rows: DiffRows,
        mode: Layout,
        widths: tuple[int, int],
        starts_for: StartsFor | None,
    ) -> None:
        """``widths``: text cells of the left and right side (unified: both the same).
        ``starts_for``: a line's wrap offsets at a width; None means no wrapping (one screen
        line per row, the view scrolls sideways instead)."""
        self.widths = widths
        if starts_for is None:
            heights = [1] * len(rows.rows)
        else:
            heights = [_height(row.left, row.right, row.kind, mode, widths, starts_for) for row in rows.rows]
        self.heights = heights
        self.tops = [0, *accumulate(heights)]

    @property
    def height(self) -> int:
        return self.tops[-1]

    def top_of(self, row: int) -> int:
        return self.tops[max(0, min(row, len(self.tops) - 1))]

    def row_at(self, y: int) -> tuple[int, int]:
        """(row index, which of its screen lines) for screen line ``y`` of the whole diff."""
        row = bisect_right(self.tops, y) - 1
        return row, y - self.tops[row]


def _height(
    left: DiffLine | None,
    right: DiffLine | None,
    kind: str,
    mode: Layout,
    widths: tuple[int, int],
    starts_for: StartsFor,
) -> int:
    if kind in ("file", "note", "hunk", "gap"):
        return 1
    if mode == "unified":
        line = right if kind == "add" else left
        return len(starts_for(line, widths[0])) if line is not None else 1
    tall = len(starts_for(left, widths[0])) if left is not None else 1
    if right is not None:
        tall = max(tall, len(starts_for(right, widths[1])))
    return tall

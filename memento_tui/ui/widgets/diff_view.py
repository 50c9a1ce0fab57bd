"""A side-by-side (or unified) diff, painted line by line.

Long lines wrap inside their own side by default, the taller side setting the row's
height, so line numbers stay aligned and every changed word is on screen at any width
(diff_wrap.py); ``wrap = False`` scrolls sideways instead, half a side per step.

The rows are built once per layout (diff_rows.py); a row is painted only when it scrolls
into view, and its syntax highlighting is done per hunk side on first sight
(diff_highlight.py), so opening a 2,000-line change costs the rows on screen, not the
whole file. Colours come from the component classes in diff_view.tcss.

Hidden characters (bidi controls, zero-width, tag characters, escapes) are replaced by
visible markers before painting: what the reviewer sees is what would be merged.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from memento_tui.domain.patches.diff import DiffLine, StructuredDiff
from memento_tui.ui.widgets.diff_highlight import LineHighlighter
from memento_tui.ui.widgets.diff_rows import DiffRows, Layout, Row, build_rows, word_changes
from memento_tui.ui.widgets.diff_wrap import LineMeasure, RowLayout, crop, expand_tabs
from memento_tui.ui.widgets.hidden import has_hidden, mark_hidden

CONTINUED = "↪"  # in the sign column of a wrapped line's further screen lines


class DiffView(ScrollView, can_focus=True):
    """Old on the left, new on the right (or one column), aligned row by row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diffview--file",
        "diffview--note",
        "diffview--hunk",
        "diffview--hunk-current",
        "diffview--gutter",
        "diffview--gutter-add",
        "diffview--gutter-del",
        "diffview--line-add",
        "diffview--line-del",
        "diffview--word-add",
        "diffview--word-del",
        "diffview--empty",
        "diffview--hidden",
        "diffview--separator",
        "diffview--more",
    }
    # Plain movement keys; the review's actions live in the registry (actions.py).
    BINDINGS: ClassVar = [
        Binding("up,k", "scroll_up", "Up", show=False, id="diff-up", tooltip="One line up"),
        Binding("down,j", "scroll_down", "Down", show=False, id="diff-down", tooltip="One line down"),
        Binding(
            "left,h",
            "side(-1)",
            "Left",
            show=False,
            id="diff-left",
            tooltip="Half a side to the left (when lines do not wrap)",
        ),
        Binding(
            "right,l",
            "side(1)",
            "Right",
            show=False,
            id="diff-right",
            tooltip="Half a side to the right (when lines do not wrap)",
        ),
        Binding("pageup,b", "page_up", "Page up", show=False, id="diff-page-up", tooltip="One screen up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="diff-page-down", tooltip="One screen down"),
        Binding("home,g", "scroll_home", "Top", show=False, id="diff-top", tooltip="The top of the diff"),
        Binding("end,G", "scroll_end", "Bottom", show=False, id="diff-bottom", tooltip="The end of the diff"),
    ]

    # Not "layout": that name is Widget's own (its layout algorithm).
    mode: reactive[Layout] = reactive("split")
    wrap: reactive[bool] = reactive(True)
    current_hunk: reactive[int] = reactive(0)

    class HunkChanged(Message):
        """The hunk under the cursor changed (n/p or scrolling)."""

        def __init__(self, hunk: int, total: int, path: str) -> None:
            super().__init__()
            self.hunk = hunk
            self.total = total
            self.path = path

    def __init__(
        self, diff: StructuredDiff | None = None, *, layout: Layout = "split", wrap: bool = True, **kw: object
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.set_reactive(DiffView.mode, layout)
        self.set_reactive(DiffView.wrap, wrap)
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        self._texts: LRUCache[tuple[int, str], list[Segment]] = LRUCache(512)
        self._measure = LineMeasure()  # each line as painted and where it wraps
        self._layout = RowLayout(build_rows(StructuredDiff(base="", head=""), layout), layout, (1, 1), None)
        self._shape: tuple[object, ...] = ()  # what the layout was made for
        self.set_diff(diff or StructuredDiff(base="", head=""), loaded=diff is not None)

    def set_diff(self, diff: StructuredDiff, *, loaded: bool = True) -> None:
        """Show ``diff`` (the view exists before its diff arrives, so nothing is mounted late)."""
        self.diff = diff
        self.loaded = loaded
        self._rows: DiffRows = build_rows(diff, self.mode)
        self._highlighter = LineHighlighter(diff, self._rows)
        self._strips.clear()
        self._texts.clear()
        self._measure.clear()
        self.hidden_count = sum(
            1
            for f in diff.files
            for h in f.hunks
            for line in h.lines
            if line.kind != "context" and has_hidden(line.text)
        )
        self.set_reactive(DiffView.current_hunk, 0)
        self._current_file = 0
        if self.is_mounted:
            self._relayout(keep_place=False)
            self.scroll_to(0, 0, animate=False)
            self.refresh()

    # -- geometry ----------------------------------------------------------------------
    @property
    def rows(self) -> DiffRows:
        return self._rows

    @property
    def row_layout(self) -> RowLayout:
        return self._layout

    def _gutter(self) -> int:
        return self._rows.number_width + 3  # number, space, sign, space

    def text_widths(self) -> tuple[int, int]:
        """Cells for the text of the left and right side (unified: one column, twice)."""
        width = self.scrollable_content_region.width
        if self.mode == "split":
            pane = (width - 1) // 2
            return max(1, pane - self._gutter()), max(1, width - 1 - pane - self._gutter())
        text = max(1, width - 2 * (self._rows.number_width + 1) - 2)
        return text, text

    def _relayout(self, *, keep_place: bool = True) -> None:
        """Lay the rows out for the current width, mode and wrapping; the row at the top of
        the view stays there."""
        width = self.scrollable_content_region.width
        if not width:
            return  # not laid out yet: on_resize comes with the real width
        widths = self.text_widths()
        shape = (id(self._rows), self.mode, self.wrap, widths)
        if shape == self._shape:
            return  # a resize that changed nothing lines wrap to (the height, say)
        self._shape = shape
        top_row = self._layout.row_at(round(self.scroll_y))[0] if keep_place and self._layout.height else 0
        self._layout = RowLayout(self._rows, self.mode, widths, self._measure.starts if self.wrap else None)
        extra = 0 if self.wrap else max(0, self._measure.longest(self._rows) - min(widths) + 1)
        self.virtual_size = Size(width + extra, self._layout.height)
        if keep_place:
            self.scroll_to(y=self._layout.top_of(top_row), animate=False, immediate=True)

    def on_mount(self) -> None:
        self._relayout(keep_place=False)

    def on_resize(self) -> None:
        # Painted rows are cached by width, so nothing painted needs throwing away here.
        self._relayout()

    def watch_mode(self, layout: Layout) -> None:
        hunk = self.current_hunk
        self._rows = build_rows(self.diff, layout)
        self._highlighter = LineHighlighter(self.diff, self._rows)
        self._strips.clear()
        self._texts.clear()
        self._relayout(keep_place=False)
        if self._rows.hunk_rows:
            self.scroll_to(y=self._layout.top_of(self._rows.hunk_rows[hunk]), animate=False)
        self.refresh()

    def watch_wrap(self) -> None:
        self._relayout()
        if self.wrap:
            self.scroll_to(x=0, animate=False)
        self.refresh()

    def watch_current_hunk(self, hunk: int) -> None:
        # Only hunk headers look different; their cache key says whether they are current.
        self.refresh()

    # -- navigation --------------------------------------------------------------------
    @property
    def hunk_count(self) -> int:
        return len(self._rows.hunk_rows)

    def go_to_hunk(self, hunk: int) -> None:
        if not self._rows.hunk_rows:
            return
        hunk = max(0, min(hunk, self.hunk_count - 1))
        self.current_hunk = hunk
        self._current_file = self._rows.hunk_files[hunk]
        # Leave a line of context above the header.
        self.scroll_to(y=max(0, self._layout.top_of(self._rows.hunk_rows[hunk]) - 1), animate=False)
        file_no = self._rows.hunk_files[hunk]
        self.post_message(self.HunkChanged(hunk, self.hunk_count, self.diff.files[file_no].path))

    def go_to_file(self, file_no: int) -> None:
        if not self._rows.file_rows:
            return
        file_no = max(0, min(file_no, len(self._rows.file_rows) - 1))
        self._current_file = file_no
        self.scroll_to(y=self._layout.top_of(self._rows.file_rows[file_no]), animate=False)
        hunks = [i for i, f in enumerate(self._rows.hunk_files) if f == file_no]
        if hunks:
            self.current_hunk = hunks[0]
        self.post_message(self.HunkChanged(self.current_hunk, self.hunk_count, self.diff.files[file_no].path))

    @property
    def current_file(self) -> int:
        """The file of the current hunk, or the one ]/[ went to (e opens this one)."""
        return self._current_file

    def action_side(self, direction: int) -> None:
        """Sideways by half a side: a changed word is a few presses away, not dozens."""
        if self.wrap:
            self.notify("Long lines wrap, so nothing is off to the side; w scrolls sideways instead.", timeout=3)
            return
        step = max(4, min(self.text_widths()) // 2)
        self.scroll_to(x=max(0, self.scroll_x + direction * step), animate=False)

    # -- painting ----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if not self.loaded and y == 1:
            style = self.get_component_rich_style("diffview--note")
            return Strip([Segment("   reading the diff…", style)]).adjust_cell_length(width, style)
        if index >= self._layout.height or width <= 0:
            return Strip.blank(width, self.rich_style)
        row_no, sub = self._layout.row_at(index)
        x = 0 if self.wrap else round(self.scroll_x)
        row = self._rows.rows[row_no]
        current = row.kind == "hunk" and row.hunk == self.current_hunk
        key = (row_no, sub, width, x, self.mode, self.wrap, current)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._paint(row, row_no, sub, width, x, current)
            self._strips[key] = strip
        return strip

    def _paint(self, row: Row, row_no: int, sub: int, width: int, x: int, current: bool) -> Strip:
        """One screen line as one Strip: segments are gathered in lists and joined once."""
        if row.kind == "gap":
            return Strip.blank(width, self.rich_style)
        if row.kind in ("file", "note", "hunk"):
            name = {
                "file": "diffview--file",
                "note": "diffview--note",
                "hunk": "diffview--hunk-current" if current else "diffview--hunk",
            }[row.kind]
            style = self.get_component_rich_style(name)
            text = (" ▸ " if current else "   ") + row.text if row.kind == "hunk" else " " + row.text
            return Strip(Segment.adjust_line_length([Segment(text, style)], width, style), width)
        if self.mode == "split":
            pane = (width - 1) // 2
            segments = self._side(row, row_no, "left", pane, x, sub)
            segments.append(Segment("│", self.get_component_rich_style("diffview--separator")))
            segments += self._side(row, row_no, "right", width - 1 - pane, x, sub)
        else:
            segments = self._unified(row, row_no, width, x, sub)
        if Segment.get_line_length(segments) != width:  # a very narrow view
            segments = Segment.adjust_line_length(segments, width, self.rich_style)
        return Strip(segments, width)

    def _gutter_style(self, kind: str) -> Style:
        return self.get_component_rich_style(
            {"del": "diffview--gutter-del", "add": "diffview--gutter-add"}.get(kind, "diffview--gutter")
        )

    def _side(self, row: Row, row_no: int, side: str, pane: int, x: int, sub: int) -> list[Segment]:
        line = row.left if side == "left" else row.right
        nw = self._rows.number_width
        if line is None:
            return [Segment(" " * pane, self.get_component_rich_style("diffview--empty"))]
        changed = row.kind != "context"
        kind = ("del" if side == "left" else "add") if changed else "context"
        other = (row.right if side == "left" else row.left) if row.kind == "change" else None
        number = line.old_no if side == "left" else line.new_no
        sign = {"del": "-", "add": "+", "context": " "}[kind]
        text_width = pane - nw - 3
        text, more = self._piece(row_no, row, line, side, other, kind, x, text_width, sub)
        if sub:
            gutter = Segment(f"{'':>{nw}} {CONTINUED if more else ' '} ", self._gutter_style(kind))
        else:
            gutter = Segment(f"{number or '':>{nw}} {sign} ", self._gutter_style(kind))
        return [gutter, *text]

    def _unified(self, row: Row, row_no: int, width: int, x: int, sub: int) -> list[Segment]:
        nw = self._rows.number_width
        kind = row.kind if row.kind in ("add", "del") else "context"
        line = row.right if kind == "add" else row.left
        assert line is not None
        side = "right" if kind == "add" else "left"
        text, more = self._piece(row_no, row, line, side, row.partner, kind, x, width - 2 * nw - 4, sub)
        if sub:
            gutter = Segment(f"{'':>{2 * nw + 1}} {CONTINUED if more else ' '} ", self._gutter_style(kind))
        else:
            sign = {"del": "-", "add": "+", "context": " "}[kind]
            old = f"{line.old_no or '':>{nw}}" if kind != "add" else " " * nw
            new = f"{line.new_no or '':>{nw}}" if kind != "del" else " " * nw
            gutter = Segment(f"{old} {new} {sign} ", self._gutter_style(kind))
        return [gutter, *text]

    def _piece(
        self,
        row_no: int,
        row: Row,
        line: DiffLine,
        side: str,
        other: DiffLine | None,
        kind: str,
        x: int,
        text_width: int,
        sub: int,
    ) -> tuple[list[Segment], bool]:
        """The cells of ``line`` on screen line ``sub`` of its row, padded to the side's
        width, and whether that screen line holds any of it (a wrapped line's rest)."""
        key = (row_no, side)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._text(row, line, side, other, kind)
        base = self._line_style(kind)
        if not self.wrap:
            more = self.get_component_rich_style("diffview--more")
            return crop(text, x, text_width, base, more), True
        starts = self._measure.starts(line, text_width)
        if sub >= len(starts):
            return [Segment(" " * max(0, text_width), base)], False
        if len(starts) == 1:
            piece = text
        else:
            cuts = [*starts[1:], Segment.get_line_length(text)]
            piece = list(Segment.divide(text, cuts))[sub]
        # A piece can end one cell past the width with the space it breaks at: cropped.
        return Segment.adjust_line_length(list(piece), max(0, text_width), base), True

    def _line_style(self, kind: str) -> Style:
        if kind == "add":
            return self.get_component_rich_style("diffview--line-add")
        if kind == "del":
            return self.get_component_rich_style("diffview--line-del")
        return self.rich_style

    def _text(self, row: Row, line: DiffLine, side: str, other: DiffLine | None, kind: str) -> list[Segment]:
        """The whole line, styled: syntax colours, changed words, hidden characters marked."""
        content = self._highlighter.line(row, line, side)
        if other is not None and kind in ("add", "del"):
            old, new = (line.text, other.text) if kind == "del" else (other.text, line.text)
            old_ranges, new_ranges = word_changes(old, new)
            ranges = old_ranges if kind == "del" else new_ranges
            word = "diffview--word-del" if kind == "del" else "diffview--word-add"
            word_style = self.get_visual_style(word, partial=True)
            for start, end in ranges:
                content = content.stylize(word_style, start, end)
        content = mark_hidden(content, self.get_visual_style("diffview--hidden", partial=True))
        if "\t" in content.plain:
            # Counted in cells, as diff_wrap measures it: the layout and the paint agree.
            content = content.expand_tabs(4) if content.spans else Content(expand_tabs(content.plain))
        if kind == "add":
            base = self.get_visual_style("diffview--line-add")
        elif kind == "del":
            base = self.get_visual_style("diffview--line-del")
        else:
            base = self.visual_style
        parse = self.app.stylesheet.parse_style
        return [
            Segment(text, (base + style).rich_style) for text, style in content.render(base, end="", parse_style=parse)
        ]

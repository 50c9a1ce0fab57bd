"""A side-by-side (or unified) diff, painted line by line.

The rows are built once per layout (diff_rows.py); a row is painted only when it scrolls
into view, and its syntax highlighting is done per hunk side on first sight, so opening a
2,000-line change costs the rows on screen, not the whole file. Colours come from the
component classes in diff_view.tcss, syntax colours from the theme (textual.highlight).

Hidden characters (bidi controls, zero-width, tag characters, escapes) are replaced by
visible markers before painting: what the reviewer sees is what would be merged.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.highlight import highlight
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from memento_tui.domain.patch_diff import DiffLine, StructuredDiff
from memento_tui.ui.widgets.diff_rows import DiffRows, Layout, Row, build_rows, word_changes
from memento_tui.ui.widgets.hidden import has_hidden, hidden_spots

_LANGUAGE_BY_SUFFIX = {
    ".md": "markdown",
    ".py": "python",
    ".sh": "bash",
    ".bash": "bash",
    ".js": "javascript",
    ".ts": "typescript",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".csv": "text",
    ".txt": "text",
}


def language_for(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in _LANGUAGE_BY_SUFFIX:
        return _LANGUAGE_BY_SUFFIX[suffix]
    try:
        from pygments.lexers import get_lexer_for_filename
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_for_filename(path)
        except ClassNotFound:
            return "text"
        return lexer.aliases[0] if lexer.aliases else "text"
    except ImportError:  # pragma: no cover
        return "text"


HIGHLIGHT_BLOCK = 64  # lines highlighted together


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
    # Plain scrolling keys; the review actions live in the registry (actions.py).
    BINDINGS: ClassVar = [
        Binding("up,k", "scroll_up", "Up", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("left,h", "scroll_left", "Left", show=False),
        Binding("right,l", "scroll_right", "Right", show=False),
        Binding("pageup,b", "page_up", "Page up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
        Binding("end,G", "scroll_end", "Bottom", show=False),
    ]

    # Not "layout": that name is Widget's own (its layout algorithm).
    mode: reactive[Layout] = reactive("split")
    current_hunk: reactive[int] = reactive(0)

    class HunkChanged(Message):
        """The hunk under the cursor changed (n/p or scrolling)."""

        def __init__(self, hunk: int, total: int, path: str) -> None:
            super().__init__()
            self.hunk = hunk
            self.total = total
            self.path = path

    def __init__(self, diff: StructuredDiff | None = None, *, layout: Layout = "split", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.set_reactive(DiffView.mode, layout)
        self._strips: LRUCache[tuple[int, int, int, int, bool], Strip] = LRUCache(1024)
        self.set_diff(diff or StructuredDiff(base="", head=""), loaded=diff is not None)

    def set_diff(self, diff: StructuredDiff, *, loaded: bool = True) -> None:
        """Show ``diff`` (the view exists before its diff arrives, so nothing is mounted late)."""
        self.diff = diff
        self.loaded = loaded
        self._rows: DiffRows = build_rows(diff, self.mode)
        self._languages = [language_for(f.path) for f in diff.files]
        # (file, hunk, side) -> that side's lines; (file, hunk, side, block) -> highlighted
        self._sides: dict[tuple[int, int, str], tuple[list[DiffLine], dict[int, int]]] = {}
        self._highlighted: dict[tuple[int, int, str, int], list[Content]] = {}
        self._strips.clear()
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
            self._update_virtual_size()
            self.scroll_to(0, 0, animate=False)
            self.refresh()

    # -- geometry ----------------------------------------------------------------------
    @property
    def rows(self) -> DiffRows:
        return self._rows

    def _pane_text_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width
        gutter = self._rows.number_width + 3  # number, space, sign, space
        if self.mode == "split":
            return max(1, (width - 1) // 2 - gutter)
        return max(1, width - 2 * (self._rows.number_width + 1) - 2)

    def _update_virtual_size(self) -> None:
        extra = max(0, self._rows.longest - self._pane_text_width() + 1)
        width = self.scrollable_content_region.width or self.size.width
        self.virtual_size = Size(width + extra, len(self._rows.rows))

    def on_mount(self) -> None:
        self._update_virtual_size()

    def on_resize(self) -> None:
        # Painted rows are cached by width, so nothing painted needs throwing away here.
        self._update_virtual_size()

    def watch_mode(self, layout: Layout) -> None:
        hunk = self.current_hunk
        self._rows = build_rows(self.diff, layout)
        self._strips.clear()
        self._update_virtual_size()
        if self._rows.hunk_rows:
            self.scroll_to(y=self._rows.hunk_rows[hunk], animate=False)
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
        self.scroll_to(y=max(0, self._rows.hunk_rows[hunk] - 1), animate=False)
        file_no = self._rows.hunk_files[hunk]
        self.post_message(self.HunkChanged(hunk, self.hunk_count, self.diff.files[file_no].path))

    def go_to_file(self, file_no: int) -> None:
        if not self._rows.file_rows:
            return
        file_no = max(0, min(file_no, len(self._rows.file_rows) - 1))
        self._current_file = file_no
        self.scroll_to(y=self._rows.file_rows[file_no], animate=False)
        hunks = [i for i, f in enumerate(self._rows.hunk_files) if f == file_no]
        if hunks:
            self.current_hunk = hunks[0]
        self.post_message(
            self.HunkChanged(self.current_hunk, self.hunk_count, self.diff.files[file_no].path)
        )

    @property
    def current_file(self) -> int:
        """The file of the current hunk, or the one ]/[ went to (e opens this one)."""
        return self._current_file

    # -- painting ----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if not self.loaded and y == 1:
            style = self.get_component_rich_style("diffview--note")
            return Strip([Segment("   reading the diff…", style)]).adjust_cell_length(width, style)
        if index >= len(self._rows.rows) or width <= 0:
            return Strip.blank(width, self.rich_style)
        x = round(self.scroll_x)
        row = self._rows.rows[index]
        current = row.kind == "hunk" and row.hunk == self.current_hunk
        key = (index, width, x, hash(self.mode), current)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._paint(row, width, x, current)
            self._strips[key] = strip
        return strip

    def _paint(self, row: Row, width: int, x: int, current: bool) -> Strip:
        """One row as one Strip: segments are gathered in lists and joined once."""
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
            segments = self._side(row, "left", pane, x)
            segments.append(Segment("│", self.get_component_rich_style("diffview--separator")))
            segments += self._side(row, "right", width - 1 - pane, x)
        else:
            segments = self._unified(row, width, x)
        if Segment.get_line_length(segments) != width:  # a very narrow view
            segments = Segment.adjust_line_length(segments, width, self.rich_style)
        return Strip(segments, width)

    def _gutter_style(self, kind: str) -> Style:
        return self.get_component_rich_style(
            {"del": "diffview--gutter-del", "add": "diffview--gutter-add"}.get(kind, "diffview--gutter")
        )

    def _side(self, row: Row, side: str, pane: int, x: int) -> list[Segment]:
        line = row.left if side == "left" else row.right
        nw = self._rows.number_width
        if line is None:
            return [Segment(" " * pane, self.get_component_rich_style("diffview--empty"))]
        changed = row.kind != "context"
        kind = ("del" if side == "left" else "add") if changed else "context"
        number = line.old_no if side == "left" else line.new_no
        sign = {"del": "-", "add": "+", "context": " "}[kind]
        gutter = Segment(f"{number or '':>{nw}} {sign} ", self._gutter_style(kind))
        other = (row.right if side == "left" else row.left) if row.kind == "change" else None
        text = self._text(row, line, side, other, kind)
        return [gutter, *self._crop(text, x, pane - nw - 3, kind)]

    def _unified(self, row: Row, width: int, x: int) -> list[Segment]:
        nw = self._rows.number_width
        kind = row.kind if row.kind in ("add", "del") else "context"
        line = row.right if kind == "add" else row.left
        assert line is not None
        sign = {"del": "-", "add": "+", "context": " "}[kind]
        old = f"{line.old_no or '':>{nw}}" if kind != "add" else " " * nw
        new = f"{line.new_no or '':>{nw}}" if kind != "del" else " " * nw
        gutter = Segment(f"{old} {new} {sign} ", self._gutter_style(kind))
        side = "right" if kind == "add" else "left"
        text = self._text(row, line, side, row.partner, kind)
        return [gutter, *self._crop(text, x, width - 2 * nw - 4, kind)]

    def _crop(self, text: list[Segment], x: int, text_width: int, kind: str) -> list[Segment]:
        """The cells [x, x + text_width) of the line, padded; a › marks more to the right."""
        base = self._line_style(kind)
        length = Segment.get_line_length(text)
        longer = length > x + text_width and text_width > 1
        keep = text_width - 1 if longer else text_width
        if x or length > keep:
            parts = list(Segment.divide(text, [x, x + keep]))
            text = parts[1] if len(parts) > 1 else []
        line = Segment.adjust_line_length(list(text), max(0, keep), base)
        if longer:
            # Something is further right: say so rather than let it pass unseen.
            line.append(Segment("›", self.get_component_rich_style("diffview--more")))
        return line

    def _line_style(self, kind: str) -> Style:
        if kind == "add":
            return self.get_component_rich_style("diffview--line-add")
        if kind == "del":
            return self.get_component_rich_style("diffview--line-del")
        return self.rich_style

    def _text(
        self, row: Row, line: DiffLine, side: str, other: DiffLine | None, kind: str
    ) -> list[Segment]:
        content = self._highlighted_line(row, line, side)
        if other is not None and kind in ("add", "del"):
            old, new = (line.text, other.text) if kind == "del" else (other.text, line.text)
            old_ranges, new_ranges = word_changes(old, new)
            ranges = old_ranges if kind == "del" else new_ranges
            word = "diffview--word-del" if kind == "del" else "diffview--word-add"
            word_style = self.get_visual_style(word, partial=True)
            for start, end in ranges:
                content = content.stylize(word_style, start, end)
        content = self._show_hidden(content)
        content = content.expand_tabs(4)
        if kind == "add":
            base = self.get_visual_style("diffview--line-add")
        elif kind == "del":
            base = self.get_visual_style("diffview--line-del")
        else:
            base = self.visual_style
        parse = self.app.stylesheet.parse_style
        return [
            Segment(text, (base + style).rich_style)
            for text, style in content.render(base, end="", parse_style=parse)
        ]

    def _show_hidden(self, content: Content) -> Content:
        plain = content.plain
        if not has_hidden(plain):
            return content
        hidden_style = self.get_visual_style("diffview--hidden", partial=True)
        pieces: list[Content] = []
        start = 0
        for index, shown in hidden_spots(plain):
            pieces.append(content[start:index])
            pieces.append(Content.styled(shown, hidden_style))
            start = index + 1
        pieces.append(content[start:])
        return Content("").join(pieces)

    def _highlighted_line(self, row: Row, line: DiffLine, side: str) -> Content:
        assert row.hunk is not None
        key = (row.file, row.hunk, side)
        found = self._sides.get(key)
        if found is None:
            found = self._sides[key] = self._side_lines(row.file, row.hunk, side)
        lines, where = found
        number = line.old_no if side == "left" else line.new_no
        at = where.get(number or 0)
        if at is None:
            return Content(line.text)
        block = at // HIGHLIGHT_BLOCK
        contents = self._highlighted.get((*key, block))
        if contents is None:
            chunk = lines[block * HIGHLIGHT_BLOCK : (block + 1) * HIGHLIGHT_BLOCK]
            contents = self._highlight(chunk, self._languages[row.file])
            self._highlighted[(*key, block)] = contents
        return contents[at % HIGHLIGHT_BLOCK]

    def _side_lines(self, file_no: int, hunk_no: int, side: str) -> tuple[list[DiffLine], dict[int, int]]:
        """One side of one hunk (context plus its own changes), and line number → place."""
        first = self._rows.hunk_files.index(file_no)
        hunk = self.diff.files[file_no].hunks[hunk_no - first]
        own = "del" if side == "left" else "add"
        lines = [line for line in hunk.lines if line.kind in ("context", own)]
        where = {((line.old_no if side == "left" else line.new_no) or 0): i for i, line in enumerate(lines)}
        return lines, where

    @staticmethod
    def _highlight(wanted: list[DiffLine], language: str) -> list[Content]:
        """Highlight consecutive lines as one block, so multi-line tokens mostly come out
        right; blocks keep the cost to what is on screen, whatever the size of the hunk."""
        if language == "text":
            return [Content(line.text) for line in wanted]
        # Control characters would confuse the lexer's line split; they are marked later.
        code = "\n".join(line.text.replace("\r", " ").replace("\x0b", " ").replace("\x0c", " ") for line in wanted)
        contents = highlight(code, language=language).split("\n", allow_blank=True)
        # highlight() drops trailing blank lines; they have nothing to colour.
        while len(contents) < len(wanted) and not wanted[len(contents)].text:
            contents.append(Content(""))
        while len(contents) > len(wanted) and not contents[-1].plain:
            contents.pop()
        if len(contents) != len(wanted):  # never guess: fall back to plain text
            return [Content(line.text) for line in wanted]
        # Put the real characters back (the lexer saw spaces for \r etc.).
        return [
            c if c.plain == line.text else Content(line.text, spans=list(c.spans))
            for c, line in zip(contents, wanted, strict=True)
        ]

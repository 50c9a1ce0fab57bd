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

    layout: reactive[Layout] = reactive("split")
    current_hunk: reactive[int] = reactive(0)

    class HunkChanged(Message):
        """The hunk under the cursor changed (n/p or scrolling)."""

        def __init__(self, hunk: int, total: int, path: str) -> None:
            super().__init__()
            self.hunk = hunk
            self.total = total
            self.path = path

    def __init__(self, diff: StructuredDiff, *, layout: Layout = "split", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.diff = diff
        self.set_reactive(DiffView.layout, layout)
        self._rows: DiffRows = build_rows(diff, layout)
        self._languages = [language_for(f.path) for f in diff.files]
        # (file, hunk, side) -> highlighted lines of that side of that hunk
        self._highlighted: dict[tuple[int, int, str], dict[int, Content]] = {}
        self._strips: LRUCache[tuple[int, int, int, int, bool], Strip] = LRUCache(1024)
        self.hidden_count = sum(
            1
            for f in diff.files
            for h in f.hunks
            for line in h.lines
            if line.kind != "context" and has_hidden(line.text)
        )

    # -- geometry ----------------------------------------------------------------------
    @property
    def rows(self) -> DiffRows:
        return self._rows

    def _pane_text_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width
        gutter = self._rows.number_width + 3  # number, space, sign, space
        if self.layout == "split":
            return max(1, (width - 1) // 2 - gutter)
        return max(1, width - 2 * (self._rows.number_width + 1) - 2)

    def _update_virtual_size(self) -> None:
        extra = max(0, self._rows.longest - self._pane_text_width() + 1)
        width = self.scrollable_content_region.width or self.size.width
        self.virtual_size = Size(width + extra, len(self._rows.rows))

    def on_mount(self) -> None:
        self._update_virtual_size()

    def on_resize(self) -> None:
        self._strips.clear()
        self._update_virtual_size()

    def watch_layout(self, layout: Layout) -> None:
        hunk = self.current_hunk
        self._rows = build_rows(self.diff, layout)
        self._strips.clear()
        self._update_virtual_size()
        if self._rows.hunk_rows:
            self.scroll_to(y=self._rows.hunk_rows[hunk], animate=False)
        self.refresh()

    def watch_current_hunk(self, hunk: int) -> None:
        self._strips.clear()
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
        # Leave a line of context above the header.
        self.scroll_to(y=max(0, self._rows.hunk_rows[hunk] - 1), animate=False)
        file_no = self._rows.hunk_files[hunk]
        self.post_message(self.HunkChanged(hunk, self.hunk_count, self.diff.files[file_no].path))

    def go_to_file(self, file_no: int) -> None:
        if not self._rows.file_rows:
            return
        file_no = max(0, min(file_no, len(self._rows.file_rows) - 1))
        self.scroll_to(y=self._rows.file_rows[file_no], animate=False)
        hunks = [i for i, f in enumerate(self._rows.hunk_files) if f == file_no]
        if hunks:
            self.current_hunk = hunks[0]
        self.post_message(
            self.HunkChanged(self.current_hunk, self.hunk_count, self.diff.files[file_no].path)
        )

    @property
    def current_file(self) -> int:
        top = round(self.scroll_y)
        current = 0
        for file_no, row in enumerate(self._rows.file_rows):
            if row <= top + 1:
                current = file_no
        return current

    # -- painting ----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._rows.rows) or width <= 0:
            return Strip.blank(width, self.rich_style)
        x = round(self.scroll_x)
        row = self._rows.rows[index]
        current = row.kind == "hunk" and row.hunk == self.current_hunk
        key = (index, width, x, hash(self.layout), current)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._paint(row, width, x, current)
            self._strips[key] = strip
        return strip

    def _style(self, *names: str) -> object:
        return self.get_component_rich_style(*names)

    def _paint(self, row: Row, width: int, x: int, current: bool) -> Strip:
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
            return Strip([Segment(text, style)]).adjust_cell_length(width, style)
        if self.layout == "split":
            pane = (width - 1) // 2
            left = self._side(row, "left", pane, x)
            right = self._side(row, "right", width - 1 - pane, x)
            sep = Strip([Segment("│", self.get_component_rich_style("diffview--separator"))])
            return Strip.join([left, sep, right])
        return self._unified(row, width, x)

    def _side(self, row: Row, side: str, pane: int, x: int) -> Strip:
        line = row.left if side == "left" else row.right
        nw = self._rows.number_width
        if line is None:
            empty = self.get_component_rich_style("diffview--empty")
            return Strip([Segment(" " * pane, empty)])
        changed = row.kind != "context"
        kind = ("del" if side == "left" else "add") if changed else "context"
        number = line.old_no if side == "left" else line.new_no
        sign = {"del": "-", "add": "+", "context": " "}[kind]
        gutter_style = self.get_component_rich_style(
            {"del": "diffview--gutter-del", "add": "diffview--gutter-add"}.get(kind, "diffview--gutter")
        )
        gutter = Strip([Segment(f"{number or '':>{nw}} {sign} ", gutter_style)])
        other = (row.right if side == "left" else row.left) if row.kind == "change" else None
        text = self._text(row, line, side, other, kind)
        return Strip.join([gutter, self._crop(text, x, pane - nw - 3, kind)])

    def _unified(self, row: Row, width: int, x: int) -> Strip:
        nw = self._rows.number_width
        kind = row.kind if row.kind in ("add", "del") else "context"
        line = row.right if kind == "add" else row.left
        assert line is not None
        sign = {"del": "-", "add": "+", "context": " "}[kind]
        gutter_style = self.get_component_rich_style(
            {"del": "diffview--gutter-del", "add": "diffview--gutter-add"}.get(kind, "diffview--gutter")
        )
        old = f"{line.old_no or '':>{nw}}" if kind != "add" else " " * nw
        new = f"{line.new_no or '':>{nw}}" if kind != "del" else " " * nw
        gutter = Strip([Segment(f"{old} {new} {sign} ", gutter_style)])
        side = "right" if kind == "add" else "left"
        text = self._text(row, line, side, row.partner, kind)
        return Strip.join([gutter, self._crop(text, x, width - 2 * nw - 4, kind)])

    def _crop(self, text: Strip, x: int, text_width: int, kind: str) -> Strip:
        base = self._line_style(kind)
        longer = text.cell_length > x + text_width
        cropped = text.crop(x, x + text_width)
        cropped = cropped.adjust_cell_length(text_width, base)
        if longer and text_width > 1:
            # Something is further right: say so rather than let it pass unseen.
            more = Strip([Segment("›", self.get_component_rich_style("diffview--more"))])
            cropped = Strip.join([cropped.crop(0, text_width - 1), more])
        return cropped

    def _line_style(self, kind: str) -> object:
        if kind == "add":
            return self.get_component_rich_style("diffview--line-add")
        if kind == "del":
            return self.get_component_rich_style("diffview--line-del")
        return self.rich_style

    def _text(
        self, row: Row, line: DiffLine, side: str, other: DiffLine | None, kind: str
    ) -> Strip:
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
        segments = [
            Segment(text, (base + style).rich_style)
            for text, style in content.render(base, end="", parse_style=parse)
        ]
        return Strip(segments)

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
        lines = self._highlighted.get(key)
        if lines is None:
            lines = self._highlight_hunk(row.file, row.hunk, side)
            self._highlighted[key] = lines
        number = line.old_no if side == "left" else line.new_no
        return lines.get(number or 0, Content(line.text))

    def _highlight_hunk(self, file_no: int, hunk_no: int, side: str) -> dict[int, Content]:
        """Highlight one side of one hunk as a block, so multi-line tokens come out right."""
        first = self._rows.hunk_files.index(file_no)
        hunk = self.diff.files[file_no].hunks[hunk_no - first]
        wanted = [
            line
            for line in hunk.lines
            if line.kind == "context" or line.kind == ("del" if side == "left" else "add")
        ]
        numbers = [(line.old_no if side == "left" else line.new_no) or 0 for line in wanted]
        # Control characters would confuse the lexer's line split; they are marked later.
        code = "\n".join(line.text.replace("\r", " ").replace("\x0b", " ").replace("\x0c", " ") for line in wanted)
        language = self._languages[file_no]
        if language == "text":
            contents = [Content(line.text) for line in wanted]
        else:
            block = highlight(code, language=language)
            contents = block.split("\n", allow_blank=True)
            # highlight() drops trailing blank lines; they have nothing to colour.
            while len(contents) < len(wanted) and not wanted[len(contents)].text:
                contents.append(Content(""))
            while len(contents) > len(wanted) and not contents[-1].plain:
                contents.pop()
            if len(contents) != len(wanted):  # never guess: fall back to plain text
                contents = [Content(line.text) for line in wanted]
            else:
                # Put the real characters back (the lexer saw spaces for \r etc.).
                contents = [
                    c if c.plain == line.text else Content(line.text, spans=list(c.spans))
                    for c, line in zip(contents, wanted, strict=True)
                ]
        return dict(zip(numbers, contents, strict=True))

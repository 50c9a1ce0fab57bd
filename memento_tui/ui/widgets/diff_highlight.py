"""Syntax highlighting for the diff view, done as lines scroll into view.

Each side of a hunk (its context plus its own changes) is highlighted in blocks of
``HIGHLIGHT_BLOCK`` lines the first time one of them is painted: a 2,000-line hunk
highlighted whole took 170 ms, a block costs what is on screen. Colours come from the
theme (``textual.highlight``).
"""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.highlight import highlight

from memento_tui.domain.patches.diff import DiffLine, StructuredDiff
from memento_tui.ui.widgets.diff_rows import DiffRows, Row

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

HIGHLIGHT_BLOCK = 64  # lines highlighted together


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


class LineHighlighter:
    """Highlighted lines of one diff, computed block by block on first sight."""

    def __init__(self, diff: StructuredDiff, rows: DiffRows) -> None:
        self.diff = diff
        self.rows = rows
        self.languages = [language_for(f.path) for f in diff.files]
        # (file, hunk, side) -> that side's lines; (file, hunk, side, block) -> highlighted
        self._sides: dict[tuple[int, int, str], tuple[list[DiffLine], dict[int, int]]] = {}
        self._highlighted: dict[tuple[int, int, str, int], list[Content]] = {}

    def line(self, row: Row, line: DiffLine, side: str) -> Content:
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
            contents = highlight_lines(chunk, self.languages[row.file])
            self._highlighted[(*key, block)] = contents
        return contents[at % HIGHLIGHT_BLOCK]

    def _side_lines(self, file_no: int, hunk_no: int, side: str) -> tuple[list[DiffLine], dict[int, int]]:
        """One side of one hunk (context plus its own changes), and line number → place."""
        first = self.rows.hunk_files.index(file_no)
        hunk = self.diff.files[file_no].hunks[hunk_no - first]
        own = "del" if side == "left" else "add"
        lines = [line for line in hunk.lines if line.kind in ("context", own)]
        where = {((line.old_no if side == "left" else line.new_no) or 0): i for i, line in enumerate(lines)}
        return lines, where


def highlight_lines(wanted: list[DiffLine], language: str) -> list[Content]:
    """Highlight consecutive lines as one block, so multi-line tokens mostly come out right."""
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

"""Which characters a reviewer could not see, and the marker shown in their place.

The domain's ``hidden_text`` (shared with ``memento verify``) decides what counts as
hidden; this is the thin layer the diff painter calls per line.
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style

from memento_tui.domain.skills.hidden_text import find_hidden, has_hidden

__all__ = ["has_hidden", "hidden_spots", "mark_hidden"]


def hidden_spots(line: str) -> list[tuple[int, str]]:
    """(index in the line, marker) for each hidden character of one line."""
    return [(h.col - 1, h.marker) for h in find_hidden(line)]


def mark_hidden(content: Content, style: Style) -> Content:
    """The line with each hidden character replaced by its marker in ``style``; the rest
    keeps its styles (syntax colours, changed words)."""
    plain = content.plain
    if not has_hidden(plain):
        return content
    pieces: list[Content] = []
    start = 0
    for index, shown in hidden_spots(plain):
        pieces.append(content[start:index])
        pieces.append(Content.styled(shown, style))
        start = index + 1
    pieces.append(content[start:])
    return Content("").join(pieces)

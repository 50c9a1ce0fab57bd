"""Which characters a reviewer could not see, and the marker shown in their place.

The domain's ``hidden_text`` (shared with ``memento verify``) decides what counts as
hidden; this is the thin layer the diff painter calls per line.
"""

from __future__ import annotations

from memento_tui.domain.hidden_text import find_hidden, has_hidden

__all__ = ["has_hidden", "hidden_spots"]


def hidden_spots(line: str) -> list[tuple[int, str]]:
    """(index in the line, marker) for each hidden character of one line."""
    return [(h.col - 1, h.marker) for h in find_hidden(line)]

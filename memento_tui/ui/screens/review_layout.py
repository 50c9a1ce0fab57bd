"""Where the review's side panel goes: beside the diff when both fit, else under it.

The diff comes first. Beside it, the panel gets what is left once the diff has
``DIFF_TEXT_MIN`` cells of text on each side (one column in the unified view), up to
``SIDE_MAX``; when that leaves less than ``SIDE_MIN``, the panel folds under the diff and
waits for ``c``.
"""

from __future__ import annotations

DIFF_TEXT_MIN = 36  # cells of text per side the diff never drops under for the panel
SIDE_MIN = 40  # narrower, the failing step and the evidence wrap into a column of words
SIDE_MAX = 52
SCROLLBAR = 1


def diff_min_width(mode: str, number_width: int) -> int:
    """The narrowest the diff may get while the panel takes room beside it."""
    gutter = number_width + 3  # number, space, sign, space
    if mode == "split":
        return 2 * (DIFF_TEXT_MIN + gutter) + 1 + SCROLLBAR  # 1: the separator
    return DIFF_TEXT_MIN + 2 * (number_width + 1) + 2 + SCROLLBAR


def side_width(total: int, mode: str, number_width: int) -> int:
    """The panel's width beside a diff on a ``total``-column screen; 0: it goes under."""
    room = min(SIDE_MAX, total - diff_min_width(mode, number_width))
    return room if room >= SIDE_MIN else 0

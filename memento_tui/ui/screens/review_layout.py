"""Where the review's side panel goes: beside the diff when both fit, else under it; and
what the head line says, in the order a narrow terminal may cut it.

The diff comes first. Beside it, the panel gets what is left once the diff has
``DIFF_TEXT_MIN`` cells of text on each side (one column in the unified view), up to
``SIDE_MAX``; when that leaves less than ``SIDE_MIN``, the panel folds under the diff and
waits for ``c``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from memento_tui.domain.patches.diff import StructuredDiff
    from memento_tui.domain.patches.model import Patch
    from memento_tui.ui.widgets.diff_view import DiffView

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


def head_parts(patch: Patch, diff: StructuredDiff, view: DiffView | None) -> list[str]:
    """Skill, status, where the cursor is, the counts, then the id: what a narrow terminal
    cuts off is what the reviewer needs least."""
    skill = patch.skill
    parts = [skill, patch.status.upper() if patch.status != "pending" else "pending"]
    if view is not None and diff.files:
        path = diff.files[view.current_file].path.removeprefix(f"skills/{skill}/")
        count = len(diff.files)
        parts.append(f"{path} ({view.current_file + 1}/{count})" if count > 1 else path)
        if view.hunk_count:
            parts.append(f"hunk {view.current_hunk + 1}/{view.hunk_count}")
        parts.append(view.mode if view.wrap else f"{view.mode}, scrolling")
    parts.append(f"+{diff.additions} −{diff.deletions}")
    parts.append(f"patch {patch.id}")
    return parts

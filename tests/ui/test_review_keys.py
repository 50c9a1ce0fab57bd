"""The review at the sizes people use: long lines wrap inside their side so every changed
word is on screen from 80 columns up, w switches to scrolling sideways by half a side,
n/p jump between hunks across files, and the key bar keeps the keys that decide."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from memento_tui.services.factory import Services
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.widgets.diff_view import DiffView
from memento_tui.ui.widgets.diff_wrap import display_text
from memento_tui.ui.widgets.footer import MementoFooter
from tests.ui.conftest import Driven, drive
from tests.ui.patches import SCRIPT, long_line_patch

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'


async def _review(d: Driven, patch_id: str) -> tuple[ReviewScreen, DiffView]:
    screen = d.app.screen
    assert isinstance(screen, PatchesScreen)
    await d.until(lambda: patch_id in screen.patches, "the patch to be listed")
    await d.press("enter")
    review = d.app.screen
    assert isinstance(review, ReviewScreen)
    await d.until(lambda: review.view is not None, "the diff")
    await d.pilot.pause()
    view = review.query_one(DiffView)
    return review, view


def _painted_sides(view: DiffView) -> dict[tuple[int, str], str]:
    """What each side of each line row shows, its screen lines joined (gutters removed)."""
    width = view.scrollable_content_region.width
    pane = (width - 1) // 2
    gutter = view.rows.number_width + 3
    view.scroll_to(y=0, animate=False, immediate=True)
    shown: dict[tuple[int, str], str] = {}
    for y in range(view.row_layout.height):
        row_no, _ = view.row_layout.row_at(y)
        if view.rows.rows[row_no].kind not in ("context", "change", "add", "del"):
            continue
        text = view.render_line(y).text
        for side, cells in (("left", text[:pane]), ("right", text[pane + 1 :])):
            shown[(row_no, side)] = shown.get((row_no, side), "") + cells[gutter:].rstrip(" ")
    return shown


@pytest.mark.parametrize("width", [80, 100, 120, 140])
async def test_every_changed_word_is_on_screen_without_scrolling_sideways(services: Services, width: int) -> None:
    patch = long_line_patch(services)
    async with drive(services, mode="patches", size=(width, 40)) as d:
        _, view = await _review(d, patch.id)
        assert view.wrap and view.mode == "split" and view.virtual_size.width == view.scrollable_content_region.width
        shown = _painted_sides(view)
        changed = 0
        for row_no, row in enumerate(view.rows.rows):
            for side, line in (("left", row.left), ("right", row.right)):
                if line is None or (row.kind == "context" and side == "right"):
                    continue
                # Spaces at a break fall at the edge: compare everything but spaces, in order.
                assert "".join(shown[(row_no, side)].split()) == "".join(display_text(line.text).split()), (
                    width,
                    line.text,
                )
                changed += row.kind != "context"
        assert changed >= 10
        # The long usage line wraps, and its number is on its first screen line only.
        usage = next(
            i for i, r in enumerate(view.rows.rows) if r.right is not None and "--strict-delimiter" in r.right.text
        )
        assert view.row_layout.heights[usage] >= 2 or width >= 140


async def test_w_scrolls_sideways_by_half_a_side_and_back(services: Services) -> None:
    patch = long_line_patch(services)
    async with drive(services, mode="patches", size=(80, 24)) as d:
        review, view = await _review(d, patch.id)
        await d.press("right")  # wrapped: nothing is off to the side, and it says so
        assert view.scroll_x == 0 and any("w scrolls sideways" in n for n in d.notifications())
        await d.press("w")
        assert not view.wrap and set(view.row_layout.heights) == {1}
        assert "split, scrolling" in str(review.query_one("#review-head", Static).render())
        step = min(view.text_widths()) // 2
        await d.press("right")
        assert view.scroll_x == step  # half a side, not one column
        await d.press("l", "left")
        assert view.scroll_x == step
        await d.press("w")
        assert view.wrap and view.scroll_x == 0
        # The choice carries over to the next review.
        await d.press("w", "s", "escape")
        review, view = await _review(d, patch.id)
        assert not view.wrap and view.mode == "unified"


async def test_n_and_p_jump_between_hunks_across_files(services: Services) -> None:
    patch = long_line_patch(services)
    async with drive(services, mode="patches", size=(80, 24)) as d:
        review, view = await _review(d, patch.id)
        head = review.query_one("#review-head", Static)
        assert view.hunk_count == 3 and "hunk 1/3" in str(head.render())
        await d.press("n", "n")
        assert view.current_hunk == 2 and view.current_file == 1
        assert "scripts/delimiter_guard.py (2/2)" in str(head.render())
        assert SCRIPT.endswith("delimiter_guard.py")
        # The hunk's header is on screen (at the top unless the diff ends first).
        header = view.row_layout.top_of(view.rows.hunk_rows[2])
        assert round(view.scroll_y) <= header < round(view.scroll_y) + view.scrollable_content_region.height
        await d.press("p")
        assert view.current_hunk == 1 and view.current_file == 0


@pytest.mark.parametrize("width", [60, 80, 100])
async def test_the_key_bar_keeps_the_keys_that_decide_at_every_width(services: Services, width: int) -> None:
    patch = long_line_patch(services)
    async with drive(services, mode="patches", size=(width, 24)) as d:
        review, _ = await _review(d, patch.id)
        bar = review.query_one(MementoFooter)
        line = bar.render().plain
        keys = [span.key for span in bar.spans]
        for key in ("m", "x", "n", "question_mark"):
            assert key in keys, (width, line)
        assert keys[-1] == "ctrl+p" and len(line) <= width
        # The kept keys come in their usual order, each whole.
        assert line.index("Merge") < line.index("Reject") < line.index("Help")

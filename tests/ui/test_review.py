"""Patches and review on a real repository with real patch branches: the queue, the split
diff, hunk and file navigation, merge / undo / reject with confirmations, hidden
characters made visible, and branches made elsewhere appearing without a restart."""

from __future__ import annotations

import subprocess

import pytest
from textual.widgets import DataTable, Input, Static

from memento_tui.services.factory import Services
from memento_tui.ui.app import MementoApp
from memento_tui.ui.screens.dialogs import ConfirmScreen, ReasonScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.widgets.diff_view import DiffView
from tests.ui.conftest import drive, make_patch

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'


def _main_file(services: Services) -> str:
    out = subprocess.run(
        ["git", "show", "main:skills/csv-json/SKILL.md"],
        cwd=services.paths.root,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


async def _open_review(d, patch_id: str) -> ReviewScreen:  # type: ignore[no-untyped-def]
    screen = d.app.screen
    assert isinstance(screen, PatchesScreen)
    await d.until(lambda: patch_id in screen.patches, "the patch to be listed")
    await d.press("enter")
    review = d.app.screen
    assert isinstance(review, ReviewScreen)
    await d.until(lambda: review.view is not None, "the diff to load")
    return review


async def test_the_queue_shows_the_evidence_and_enter_opens_an_aligned_split_diff(services: Services) -> None:
    patch = make_patch(services)
    async with drive(services, mode="patches") as d:
        screen = d.app.screen
        await d.until(lambda: patch.id in screen.patches)
        evidence = str(screen.query_one("#patch-evidence").render())
        assert "validated: yes" in evidence and "semicolons" in evidence and "wrong data-format assumption" in evidence
        review = await _open_review(d, patch.id)
        # The queue read the diff while it loaded, so the review paints it at once.
        assert patch.id in screen.diffs and review.diff is screen.diffs[patch.id]
        view = review.view
        assert view.mode == "split" and view.hunk_count == 2
        kinds = [r.kind for r in view.rows.rows]
        assert kinds[0] == "file" and "change" in kinds and "add" in kinds
        change = next(r for r in view.rows.rows if r.kind == "change")
        assert change.left.text.startswith("Three") and change.right.text.startswith("Four")
        assert change.left.old_no == change.right.new_no
        head = str(review.query_one("#review-head", Static).render())
        assert "hunk 1/2" in head and "pending" in head
        # n / p move between hunks; s switches to unified and back.
        await d.press("n")
        assert view.current_hunk == 1 and "hunk 2/2" in str(review.query_one("#review-head", Static).render())
        await d.press("n")
        assert "That was the last hunk." in d.notifications()
        await d.press("p")
        assert view.current_hunk == 0
        await d.press("s")
        assert view.mode == "unified" and [r.kind for r in view.rows.rows].count("change") == 0
        await d.press("s")
        assert view.mode == "split"
        # One file: file navigation says why it cannot move.
        await d.press("right_square_bracket")
        assert "this patch changes one file" in d.notifications()
        await d.press("escape")
        assert isinstance(d.app.screen, PatchesScreen)


async def test_merge_asks_first_then_merges_and_undo_puts_main_back(services: Services) -> None:
    patch = make_patch(services)
    before = _main_file(services)
    async with drive(services, mode="patches") as d:
        review = await _open_review(d, patch.id)
        await d.press("m")
        assert isinstance(d.app.screen, ConfirmScreen)
        await d.press("n")  # no: nothing changes
        assert isinstance(d.app.screen, ReviewScreen) and _main_file(services) == before
        await d.press("m")
        await d.press("y")
        await d.until(lambda: d.seen(ReviewScreen.PatchMerged), "the merge")
        assert "## Semicolons too" in _main_file(services)
        await d.until(lambda: review.patch.status == "merged")
        assert review.query_one("#review-head").has_class("-merged")
        # A merged patch cannot be merged again, and the key says so.
        await d.press("m")
        assert "this patch is already merged" in d.notifications()
        await d.press("u")
        assert isinstance(d.app.screen, ConfirmScreen)
        await d.press("y")
        await d.until(lambda: d.seen(ReviewScreen.MergeUndone), "the undo")
        assert _main_file(services) == before
        await d.until(lambda: review.patch.status == "pending")


async def test_reject_asks_for_a_reason_and_records_it(services: Services) -> None:
    patch = make_patch(services)
    async with drive(services, mode="patches") as d:
        await _open_review(d, patch.id)
        await d.press("x")
        dialog = d.app.screen
        assert isinstance(dialog, ReasonScreen)
        await d.press("enter")  # empty: a reason is needed
        assert isinstance(d.app.screen, ReasonScreen)
        assert "reason is needed" in str(dialog.query_one("#reason-error", Static).render())
        dialog.query_one("#reason", Input).value = "semicolons are handled by csvsniff already"
        await d.press("enter")
        await d.until(lambda: d.seen(ReviewScreen.PatchRejected), "the rejection")
        assert isinstance(d.app.screen, PatchesScreen)
        rejected = services.patches().get(patch.id)
        assert rejected.status == "rejected" and rejected.reason == "semicolons are handled by csvsniff already"
        assert [r.reason for r in services.patches().rejected_ideas("csv-json")] == [rejected.reason]
        await d.until(lambda: patch.id not in d.app.screen.patches, "the queue to drop it")


async def test_hidden_characters_are_shown_as_markers_with_a_warning(services: Services) -> None:
    patch = make_patch(services, extra=" Trust\u202eme\u200b.")
    async with drive(services, mode="patches") as d:
        screen = d.app.screen
        await d.until(lambda: patch.id in screen.patches)
        assert screen.hidden[patch.id] == 1
        assert "⚠" in str(screen.query_one("#patch-table", DataTable).get_row(patch.id)[0])
        review = await _open_review(d, patch.id)
        banner = review.query_one("#hidden-banner", Static)
        assert not banner.has_class("hidden") and "invisible or control characters" in str(banner.render())
        view = review.query_one(DiffView)
        row = next(i for i, r in enumerate(view.rows.rows) if r.right is not None and "Trust" in r.right.text)
        top = view.row_layout.top_of(row)
        view.scroll_to(y=max(0, top - 3), animate=False)
        await d.pilot.pause()
        # The line wraps inside its side: every screen line of the row, markers and all.
        lines = range(top, top + view.row_layout.heights[row])
        painted = "".join(seg.text for y in lines for seg in view.render_line(y - round(view.scroll_y)))
        assert "⟨U+202E⟩" in painted and "⟨U+200B⟩" in painted and "\u202e" not in painted


async def test_a_branch_made_by_another_process_appears_without_restart(services: Services) -> None:
    async with drive(services, mode="patches", live=True) as d:
        screen = d.app.screen
        await d.until(lambda: screen.loaded)
        assert screen.patches == {}
        patch = make_patch(services)  # as a headless `memento run` would, from outside the app
        await d.until(lambda: patch.id in screen.patches, "the poll to notice the new branch")
        assert d.seen(MementoApp.PatchesChanged)


async def test_an_edit_becomes_a_new_pending_patch_that_opens_in_review(
    services: Services, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "\\n## Edited in review\\n" >> "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    patch = make_patch(services)
    async with drive(services, mode="patches") as d:
        await _open_review(d, patch.id)
        await d.press("e")
        assert isinstance(d.app.screen, ConfirmScreen)
        await d.press("y")
        await d.until(lambda: d.seen(ReviewScreen.PatchEdited), "the edit to be saved")
        edited = d.seen(ReviewScreen.PatchEdited)[0].patch
        assert edited.id != patch.id and edited.evidence.details["edited_from"] == patch.id
        assert not edited.evidence.validated  # replay ran on the original, not on the edit
        # The new patch opens in a review screen of its own; the original stays pending.
        await d.until(
            lambda: isinstance(d.app.screen, ReviewScreen) and d.app.screen.patch_id == edited.id, "the new patch"
        )
        assert f"Saved as patch {edited.id}." in d.notifications()
        assert services.patches().get(patch.id).status == "pending"
        diff = services.patches().diff(edited.id)
        assert any("## Edited in review" in line.text for f in diff.files for h in f.hunks for line in h.lines)

"""Review with context: the failing step of the run a patch came from beside the diff, the
runs behind the patch opening their traces, critical patches first in the queue, and the
lock on protected skills. Real patch branches; runs written as the agent loop writes them,
or made by a real (scripted) failed run and learning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, Static

from memento_tui.domain.analytics import CriticalMark
from memento_tui.services.factory import Services
from memento_tui.services.insights import critical_store
from memento_tui.testing.scripted_server import ScriptedServer
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.screens.trace import TraceScreen
from memento_tui.ui.widgets.diff_view import DiffView
from memento_tui.ui.widgets.review_side import HangingLines, ReviewSide
from memento_tui.ui.widgets.skill_list import SkillList
from tests.ui.conftest import Driven, drive, evidence, make_patch
from tests.ui.learned_patch import learned_patch
from tests.ui.run_files import FAILED, REGRESSION, REPLAY, patch_with_runs

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

WIDE = (160, 45)


async def _review(d: Driven, patch_id: str) -> tuple[ReviewScreen, ReviewSide]:
    screen = d.app.screen
    assert isinstance(screen, PatchesScreen)
    await d.until(lambda: patch_id in screen.patches, "the patch to be listed")
    await d.press("enter")
    review = d.app.screen
    assert isinstance(review, ReviewScreen)
    # The side panel is mounted just after the diff's first frame.
    await d.until(lambda: bool(review.query(ReviewSide)), "the side panel")
    side = review.query_one(ReviewSide)
    await d.until(lambda: review.view is not None and side.failing is not None, "the diff and the failing step")
    return review, side


def _shown(side: ReviewSide) -> str:
    """The panel's lines before they are wrapped to its width."""
    return "\n".join(side.query_one("#failing-step", HangingLines).lines)


def _runs(side: ReviewSide) -> list[str]:
    runs = side.query_one("#review-runs", OptionList)
    return [str(runs.get_option_at_index(i).prompt) for i in range(runs.option_count)]


async def _open_trace(d: Driven, key: str) -> TraceScreen:
    await d.press(key)
    trace = d.app.screen
    assert isinstance(trace, TraceScreen)
    await d.until(lambda: d.seen(TraceScreen.TraceLoaded) and trace.query_one("#trace-log").lines, "the trace")
    return trace


async def test_the_failing_step_sits_beside_the_diff_and_the_runs_open_their_traces(services: Services) -> None:
    patch = patch_with_runs(services)
    async with drive(services, mode="patches", size=WIDE) as d:
        review, side = await _review(d, patch.id)
        view = review.query_one("#diff", DiffView)
        # Wide enough: shown without asking, to the right of the diff, on the same rows.
        assert not side.has_class("hidden") and side.region.width >= 40
        assert side.region.x >= view.region.right and side.region.y == view.region.y
        assert d.seen(ReviewSide.FailingStepLoaded)
        text = _shown(side)
        title = str(side.query_one("#failing-title", Static).render())
        assert title == f"Failing step · run {FAILED}"
        assert "step 2: the step the reflection named" in text
        assert "→ run" in text and "command: python3 /skill/scripts/csv2json.py people.csv" in text
        assert "← FAILED · exit 1 · skill csv-json" in text
        assert "csv.Error: field larger than field limit" in text
        # The script's escape and bidi override are shown as markers, never passed through.
        assert "⟨U+001B⟩[2J" in text and "⟨U+202E⟩redacted" in text and "\x1b" not in text
        assert "■ verdict FAIL by check" in text and "AssertionError: expected 3 records, got 1" in text
        painted = side.query_one("#failing-step", HangingLines).render().plain
        assert "      /skill/scripts/csv2json.py people.csv" in painted  # wrapped under its indent
        assert "← FAILED · exit 1 · skill csv-json" in painted
        # The runs behind the patch, each with its outcome; the replay is under the cursor.
        assert _runs(side) == [
            f"✗ failed run {FAILED}",
            f"✓ replay {REPLAY}",
            f"✗ regression {REGRESSION}  convert orders.csv to JSON",
        ]
        assert side.current_run == REPLAY
        trace = await _open_trace(d, "t")
        assert trace.run_id == REPLAY
        assert f"run {REPLAY} · passed" in str(trace.query_one("#trace-head", Static).render())
        await d.press("escape")
        assert d.app.screen is review
        # tab goes to the runs list; enter on the failed run opens it at the failing step.
        await d.press("tab")
        assert isinstance(review.focused, OptionList)
        await d.press("k")  # j/k move this list as every other
        trace = await _open_trace(d, "enter")
        assert trace.run_id == FAILED and trace.step == 2
        assert "at step 2" in str(trace.query_one("#trace-head", Static).render())
        log = trace.query_one("#trace-log")
        assert trace.start and log.lines[trace.start].text.startswith("[2] model")  # where it starts
        assert log.lines[trace.start + 1].text.startswith("  → run")
        await d.press("escape")
        # esc pops one level: the list, then the review.
        await d.press("escape")
        assert d.app.screen is review and isinstance(review.focused, DiffView)
        await d.press("escape")
        assert isinstance(d.app.screen, PatchesScreen)


async def test_on_a_narrow_terminal_the_panel_folds_under_the_diff_and_one_key_shows_it(services: Services) -> None:
    patch = patch_with_runs(services)
    async with drive(services, mode="patches") as d:  # 120 columns: no room beside the diff
        review, side = await _review(d, patch.id)
        view = review.query_one("#diff", DiffView)
        assert side.has_class("hidden") and view.region.width == 120
        await d.press("c")
        await d.pilot.pause()
        # Under the diff, the whole width; the diff keeps its columns.
        assert not side.has_class("hidden") and side.region.y >= view.region.bottom
        assert side.region.width == 120 and view.region.width == 120
        assert side.query_one("#failing-step").region.height > 5 and "← FAILED" in _shown(side)
        assert not side.query_one("#review-evidence").has_class("hidden")
        await d.press("c")  # one key hides all of it
        assert side.has_class("hidden")
        # i shows the panel at the evidence.
        await d.press("i")
        await d.pilot.pause()
        assert not side.has_class("hidden")
        scroll = side.query_one("#review-side-scroll")
        await d.until(lambda: scroll.scroll_y > 0, "the evidence to scroll into view")
        await d.press("c")
        # t works with the panel hidden: it opens the replay.
        trace = await _open_trace(d, "t")
        assert trace.run_id == REPLAY


async def test_beside_the_diff_the_panel_takes_only_what_the_diff_can_spare(services: Services) -> None:
    patch = patch_with_runs(services)
    async with drive(services, mode="patches", size=(140, 45)) as d:
        review, side = await _review(d, patch.id)
        view = review.query_one("#diff", DiffView)
        assert not side.has_class("hidden") and side.region.x >= view.region.right
        assert min(view.text_widths()) >= 36  # the diff never drops under 2 x 36 for the panel
        await d.press("c")
        assert side.has_class("hidden") and view.region.width == 140
        await d.press("c")
        # Narrower: the panel goes under, shown because the person asked for it.
        await d.pilot.resize_terminal(100, 40)
        await d.pilot.pause()
        assert review.query_one("#review-body").has_class("-below") and not side.has_class("hidden")
        assert min(view.text_widths()) >= 36


async def test_a_patch_whose_run_is_gone_says_so(services: Services) -> None:
    patch = make_patch(services)  # its evidence names a run that was never written
    async with drive(services, mode="patches", size=WIDE) as d:
        _, side = await _review(d, patch.id)
        assert "the trace could not be read" in _shown(side) and "no trace file" in _shown(side)
        assert _runs(side) == ["✗ failed run 20260101-000000-abcd"]


async def test_a_real_failed_run_and_its_learned_patch(
    scripted: ScriptedServer, services: Services, tmp_path: Path
) -> None:
    result = learned_patch(services, scripted, tmp_path)
    patch = services.patches().get(result.patch_id)
    async with drive(services, mode="patches", size=WIDE) as d:
        _, side = await _review(d, patch.id)
        text = _shown(side)
        assert side.failing is not None and side.failing.chosen == "decision-step"
        assert "→ run" in text and "normalize_dates.py invoices.csv --column date -o out.csv" in text
        assert "numeric dates read month-first (US)" in text  # what the script said
        assert "■ verdict FAIL by check" in text and "AssertionError: ['2024-03-04', '2024-01-02']" in text
        runs = _runs(side)
        assert runs[0] == f"✗ failed run {patch.evidence.run_id}"
        assert runs[1] == f"✓ replay {patch.evidence.replay.run_id}"
        assert runs[2].startswith(f"✗ regression {patch.evidence.regressions[0].run_id}")
        trace = await _open_trace(d, "t")
        assert trace.run_id == patch.evidence.replay.run_id
        assert "· passed ·" in str(trace.query_one("#trace-head", Static).render())


async def test_critical_patches_come_first_in_the_queue_marked(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memento_tui.domain.patches.create as patch_create

    ids = iter(["20260101-000001-aaaa", "20260101-000002-bbbb"])
    monkeypatch.setattr(patch_create, "new_patch_id", lambda: next(ids))
    older = make_patch(services, ev=evidence(run_id="20260101-000000-0001", task="invoices for the UK office"))
    newer = make_patch(services, marker="Tabs too", ev=evidence(run_id="20260101-000000-0002", task="tabs"))
    async with drive(services, mode="patches") as d:
        screen = d.app.screen
        assert isinstance(screen, PatchesScreen)
        await d.until(lambda: len(screen.patches) == 2, "both patches")
        assert list(screen.patches) == [newer.id, older.id]  # newest first
        critical_store(services).append(CriticalMark(kind="run", action="mark", run_id=older.evidence.run_id))
        await d.press("r")
        await d.until(lambda: screen.critical == {older.id}, "the critical mark")
        table = screen.query_one("#patch-table", DataTable)
        assert list(screen.patches) == [older.id, newer.id]
        assert str(table.get_row_at(0)[0]).startswith("!") and str(table.get_row_at(0)[1]) == older.id
        assert "!" not in str(table.get_row_at(1)[0])
        assert "1 critical (!) first" in str(screen.query_one("#patch-count", Static).render())
        # The cursor stayed on the patch it was on; on the critical one, the evidence says why it is first.
        assert screen.current_id == newer.id
        await d.press("up")
        assert screen.current_id == older.id
        assert "! critical" in str(screen.query_one("#patch-evidence").render())


async def test_protected_skills_have_a_lock_from_their_skill_md_or_a_config_glob(services: Services) -> None:
    skill_md = services.paths.skill_dir("text-stats") / "SKILL.md"
    text = skill_md.read_text(encoding="utf-8")
    skill_md.write_text(
        text.replace(
            'metadata:\n  version: "1.0"\n', 'metadata:\n  version: "1.0"\n  memento:\n    protected: true\n', 1
        )
    )
    async with drive(services, mode="skills") as d:
        screen = d.app.screen
        assert isinstance(screen, SkillsScreen)
        await d.until(lambda: screen.loaded, "the library")
        skills = screen.query_one(SkillList)
        assert skills.locked == {"text-stats"}
        row = skills.names().index("text-stats")
        await d.pilot.pause()
        assert "🔒" in skills.render_line(row).text and "🔒" not in skills.render_line(0).text
        skills.move_to("text-stats")
        await d.until(lambda: screen.shown == "text-stats")
        assert "🔒 protected: learning never patches it (metadata.memento.protected in its SKILL.md)" in str(
            screen.query_one("#skill-head", Static).render()
        )
        # A glob in the config locks more, as soon as the config is read again.
        config = services.paths.config
        config.write_text(re.sub(r"(?m)^protected = \[\]", 'protected = ["csv-*"]', config.read_text()))
        d.app.reload_config()
        await d.until(lambda: skills.locked == {"text-stats", "csv-json"}, "the glob to count")
        skills.move_to("csv-json")
        await d.until(lambda: screen.shown == "csv-json")
        assert "([learning] protected in .memento/config.toml)" in str(screen.query_one("#skill-head", Static).render())

"""App-wide behaviour: screens by key, help, the command palette, the keymap, and keys that
cannot act saying why."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from memento_tui.services.factory import Services
from memento_tui.ui.palette import ActionsProvider
from memento_tui.ui.screens.help import HelpScreen, help_rows
from memento_tui.ui.screens.insights import InsightsScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.run import RunScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.widgets.footer import MementoFooter
from tests.ui.conftest import drive

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'


async def test_number_keys_switch_screens_once_the_task_box_lets_go(services: Services) -> None:
    async with drive(services) as d:
        assert isinstance(d.app.screen, RunScreen)
        await d.press("t", "2")  # typed into the task box: no switch
        assert isinstance(d.app.screen, RunScreen)
        assert d.app.screen.query_one("#task").value == "2"
        await d.press("escape")
        for key, screen in (
            ("2", SkillsScreen),
            ("3", PatchesScreen),
            ("4", RunsScreen),
            ("5", InsightsScreen),
            ("1", RunScreen),
        ):
            await d.press(key)
            assert isinstance(d.app.screen, screen), key
        await d.press("f3")  # function keys work even while typing
        assert isinstance(d.app.screen, PatchesScreen)


async def test_question_mark_lists_the_keys_of_the_current_screen(services: Services) -> None:
    async with drive(services, mode="skills") as d:
        await d.press("question_mark")
        assert isinstance(d.app.screen, HelpScreen)
        rows = help_rows(d.app.screen.target)
        by_id = {row[3]: row for row in rows}
        assert by_id["skills-edit"][0] == "e"
        assert "app-patches" in by_id and "skills-search" in by_id
        await d.press("escape")
        assert isinstance(d.app.screen, SkillsScreen)


async def test_the_palette_lists_screen_and_app_actions_and_runs_them(services: Services) -> None:
    async with drive(services, mode="runs") as d:
        provider = ActionsProvider(d.app.screen)
        labels = [hit.text for hit in [h async for h in provider.discover()]]
        assert "Failures only" in labels and "Patches" in labels and "Quit" in labels
        hits = [h async for h in provider.search("failures")]
        assert hits
        await hits[0].command()
        await d.pilot.pause()
        assert d.app.screen.failed_only is True
        await d.press("ctrl+p")
        assert isinstance(d.app.screen, CommandPalette)


async def test_keys_from_the_config_remap_actions_by_id(services: Services) -> None:
    config = services.paths.config
    config.write_text(config.read_text() + '\n[keys]\napp-insights = "i"\nruns-failures = "z"\nnot-an-action = "q"\n')
    services.workspace.reload_config()
    async with drive(services, mode="runs") as d:
        await d.press("z")
        assert d.app.screen.failed_only is True
        await d.press("i")
        assert isinstance(d.app.screen, InsightsScreen)
        assert any("not-an-action" in n for n in d.notifications())


async def test_a_key_that_cannot_act_says_why(services: Services) -> None:
    async with drive(services, mode="skills") as d:
        await d.press("escape", "1", "escape")
        assert isinstance(d.app.screen, RunScreen)
        await d.press("ctrl+x")  # cancel, with nothing running
        assert "no run is going" in d.notifications()
        active = d.app.screen.active_bindings["ctrl+x"]
        assert active.enabled is False  # shown dim in the footer


async def test_the_key_bar_shows_the_focused_keys_and_a_click_presses_one(services: Services) -> None:
    async with drive(services, mode="runs") as d:
        bar = d.app.screen.query_one(MementoFooter)
        line = bar.render().plain
        assert "f Failures only" in line and line.rstrip().endswith("^p Commands")
        failures = next(span for span in bar.spans if span.key == "f")
        await d.pilot.click(MementoFooter, offset=(failures.start + 1, 0))
        await d.pilot.pause()
        assert d.app.screen.failed_only is True
        await d.pilot.hover(MementoFooter, offset=(failures.start + 1, 0))
        assert bar.tooltip == failures.tooltip and failures.tooltip


async def test_the_key_bar_keeps_the_palette_and_drops_whole_keys_when_narrow(services: Services) -> None:
    async with drive(services, mode="runs", size=(50, 20)) as d:
        bar = d.app.screen.query_one(MementoFooter)
        line = bar.render().plain
        assert len(line) == 50 and line.rstrip().endswith("^p Commands")
        keys = [span.key for span in bar.spans]
        assert keys[-1] == "ctrl+p" and "f" in keys and "ctrl+q" not in keys
        # every key shown is whole: its span's text is the key and its description
        for span in bar.spans:
            assert line[span.start : span.end].strip()


async def test_a_dim_key_in_the_bar_says_why_when_clicked(services: Services) -> None:
    async with drive(services, mode="skills") as d:
        await d.press("escape", "1", "escape")
        bar = d.app.screen.query_one(MementoFooter)
        bar.render()
        cancel = next(span for span in bar.spans if span.key == "ctrl+x")
        assert cancel.enabled is False
        await d.pilot.click(MementoFooter, offset=(cancel.start + 1, 0))
        await d.pilot.pause()
        assert "no run is going" in d.notifications()


async def test_the_app_collects_garbage_less_often_and_gives_the_setting_back(services: Services) -> None:
    import gc

    from memento_tui.ui.app import GC_YOUNG_THRESHOLD

    before = gc.get_threshold()
    async with drive(services) as d:
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
        await d.pilot.pause()
        # After the first frame: collecting again, with the start-up heap frozen.
        assert gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.isenabled() and gc.get_freeze_count() == 0


async def test_the_palette_offers_every_screens_commands_and_goes_there(services: Services) -> None:
    from memento_tui.ui.screens.dialogs import ConfirmScreen
    from memento_tui.ui.screens.review import ReviewScreen
    from tests.ui.conftest import make_patch

    patch = make_patch(services)
    async with drive(services, mode="insights") as d:
        provider = ActionsProvider(d.app.screen)
        labels = [hit.text for hit in [h async for h in provider.discover()]]
        assert labels[0] == "Reload" and "Review: Merge" in labels and "Patches: Filter" in labels
        assert "Review: Back" not in labels and not any(str(label).startswith("Trace") for label in labels)
        found = [h async for h in provider.search("merge")]
        hits = {str(h.text): h for h in found}
        assert "Review: Merge" in hits and "key m on Review" in str(hits["Review: Merge"].help)
        # The action named "Merge" ranks above "Undo merge".
        assert max(found, key=lambda h: h.score).text == "Review: Merge"
        hits["Review: Merge"].command()  # it goes there in a worker
        # To the queue, the review of the patch under its cursor, and merge asks first.
        await d.until(lambda: isinstance(d.app.screen, ConfirmScreen), "the merge question")
        await d.press("n")
        review = d.app.screen
        assert isinstance(review, ReviewScreen) and review.patch_id == patch.id
        assert services.patches().get(patch.id).status == "pending"
        runs_filter = {str(h.text): h for h in [h async for h in ActionsProvider(review).search("failures")]}
        runs_filter["Runs: Failures only"].command()
        await d.until(
            lambda: isinstance(d.app.screen, RunsScreen) and d.app.screen.failed_only, "the runs screen, filtered"
        )

"""Focus that never swallows keys: the app starts with the screen's keys live, a text box
keeps only printable keys (f1-f5, ctrl+p and esc still act, and the bars say so), a run
ends with the cursor off the task box, and j/k move every list."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import Services, make_services
from memento_tui.testing.scripted_server import ScriptedServer, Step, call
from memento_tui.ui.screens.help import HelpScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.run import RunScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.nav_bar import NavTab
from tests.ui.conftest import drive, make_patch
from tests.ui.run_files import FAILED, REGRESSION, REPLAY, patch_with_runs

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'


def _tabs(screen: object) -> list[str]:
    return [str(tab.render()).strip() for tab in screen.query(NavTab)]  # type: ignore[attr-defined]


async def test_the_app_starts_with_the_keys_live_and_t_opens_the_task_box(services: Services) -> None:
    async with drive(services, size=(80, 24)) as d:
        screen = d.app.screen
        assert isinstance(screen, RunScreen) and not isinstance(screen.focused, Input)
        assert _tabs(screen)[0] == "1 Run"
        await d.press("question_mark")
        assert isinstance(d.app.screen, HelpScreen)
        await d.press("escape")
        await d.press("t")
        task = screen.query_one("#task", Input)
        assert screen.focused is task
        # Typing: digits and ? are text; the bars name the keys that still act.
        await d.press("3", "question_mark")
        assert task.value == "3?" and d.app.current_mode == "run"
        assert _tabs(screen)[2] == "F3 Patches"
        bar = screen.query_one(MementoFooter)
        assert "esc Leave box" in bar.render().plain
        await d.press("ctrl+p")  # the palette, from the box
        assert isinstance(d.app.screen, CommandPalette)
        await d.press("escape")
        assert d.app.screen is screen and screen.focused is task
        await d.press("f3")
        assert d.app.current_mode == "patches"
        await d.press("f1", "escape")  # back to the box, then out of it
        assert not isinstance(screen.focused, Input) and _tabs(screen)[2] == "3 Patches"
        assert "esc Leave box" not in bar.render().plain
        await d.press("4")
        assert isinstance(d.app.screen, RunsScreen)


async def test_after_a_cancelled_run_the_cursor_is_off_the_task_box(
    workspace: Workspace, scripted: ScriptedServer
) -> None:
    scripted.add(
        Step(tool_calls=[{"name": "list_files", "arguments": {}}], delay=1.0),
        *[call("finish", answer="late", success=True)] * 3,
    )
    services = make_services(workspace)
    try:
        async with drive(services) as d:
            screen = d.app.screen
            await d.press("t", *"list the files", "enter")
            await d.until(lambda: screen.running)
            await d.press("ctrl+x")
            await d.until(lambda: d.seen(RunScreen.RunFinished), "the run to stop")
            await d.pilot.pause()
            assert not isinstance(screen.focused, Input), screen.focused
            await d.press("3")
            assert screen.query_one("#task", Input).value == "list the files"
            assert d.app.current_mode == "patches"
    finally:
        services.close()


async def test_j_and_k_move_the_patch_queue_and_enter_opens_the_patch_under_the_cursor(services: Services) -> None:
    first = make_patch(services, marker="First idea")
    second = make_patch(services, marker="Second idea")
    async with drive(services, mode="patches", size=(80, 24)) as d:
        screen = d.app.screen
        assert isinstance(screen, PatchesScreen)
        await d.until(lambda: {first.id, second.id} <= set(screen.patches), "both patches")
        assert screen.current_id == second.id  # newest first
        await d.press("j")
        assert screen.current_id == first.id
        await d.press("enter")
        review = d.app.screen
        assert isinstance(review, ReviewScreen) and review.patch_id == first.id
        await d.press("escape")
        await d.until(lambda: d.app.screen is screen and screen.current_id == first.id, "the queue again")
        await d.press("k")
        assert screen.current_id == second.id


async def test_j_and_k_move_the_runs_list(services: Services) -> None:
    patch_with_runs(services)  # three runs on disk
    async with drive(services, mode="runs", size=(80, 24)) as d:
        screen = d.app.screen
        assert isinstance(screen, RunsScreen)
        await d.until(lambda: len(screen.records) == 3, "the runs")
        order = list(screen.records)
        assert set(order) == {FAILED, REPLAY, REGRESSION}
        await d.press("j")
        assert screen.current_id == order[1]
        await d.press("G")
        assert screen.current_id == order[2]
        await d.press("k", "g")
        assert screen.current_id == order[0]

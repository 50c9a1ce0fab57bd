"""Every screen at the sizes people use, 80×24 and 120×40: the run screen (first run and
ready), skills, the patch queue, the review (split with long lines wrapped, unified, with
its side panel, help over it), runs, a trace and insights. The pictures are real
workspaces with fixed ids, dates and time zone, so they do not move.

The behaviour behind each picture is asserted by the Pilot tests; these catch what only a
picture shows (a column cut, a panel squeezing the diff). Update after a deliberate
change of look: ``pytest tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from memento_tui.domain.patches.model import RegressionResult, ReplayResult
from memento_tui.services.factory import Services
from memento_tui.ui.app import make_app
from memento_tui.ui.screens.help import HelpScreen, help_rows
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.screens.trace import TraceScreen
from memento_tui.ui.widgets.review_side import ReviewSide
from tests.conftest import configure_model
from tests.ui.conftest import evidence, make_patch
from tests.ui.run_files import (
    FAILED,
    REGRESSION,
    REPLAY,
    TASK,
    failed_run_events,
    passing_events,
    write_run,
)

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

PATCH_ID = "20260102-030405-abcd"
STARTED = {FAILED: 1767225600.0, REPLAY: 1767225660.0, REGRESSION: 1767225720.0}  # 2026-01-01 UTC
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
Before = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dates on screen in one time zone, whatever the machine's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def world(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """A failed run, its replay and a regression, and a real patch branch made from them
    with a fixed id and date; the change holds a bidi override, which is shown marked."""
    import memento_tui.domain.patches.create as patch_create
    from memento_tui.domain.agent.trace import VerdictGiven

    monkeypatch.setattr(patch_create, "new_patch_id", lambda: PATCH_ID)
    write_run(services, FAILED, TASK, failed_run_events(), "failed")
    write_run(services, REPLAY, TASK, passing_events(), "passed")
    regression = passing_events("check exited 1")
    regression[-2] = VerdictGiven(step=1, passed=False, source="check", detail="check exited 1")
    write_run(services, REGRESSION, "convert orders.csv to JSON", regression, "failed")
    for run_id, started in STARTED.items():
        services.runs().update(run_id, started=started, finished=started + 30)
    ev = evidence(
        run_id=FAILED,
        decision_step=2,
        replay=ReplayResult(result="passed", run_id=REPLAY),
        regressions=[RegressionResult(run_id=REGRESSION, task="convert orders.csv to JSON", passed=False)],
        validated=False,
    )
    patch = make_patch(services, extra=" Trust\u202eme.", ev=ev)
    record = services.paths.patches / f"{patch.id}.json"
    data = json.loads(record.read_text())
    data["created_at"] = "2026-01-02T03:04:05Z"
    record.write_text(json.dumps(data))
    return services


async def _until(pilot: Pilot[Any], check: Callable[[], object]) -> None:
    for _ in range(400):
        if check():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never settled")


async def _queue(pilot: Pilot[Any]) -> PatchesScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PatchesScreen)
    await _until(pilot, lambda: PATCH_ID in screen.diffs)
    return screen


async def _review(pilot: Pilot[Any]) -> ReviewScreen:
    await _queue(pilot)
    await pilot.press("enter")
    await _until(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen) and pilot.app.screen.view is not None)
    review = pilot.app.screen
    assert isinstance(review, ReviewScreen)
    side = review.query_one(ReviewSide)
    await _until(pilot, lambda: side.failing is not None)
    return review


def _snap(
    snap_compare: Any, services: Services, size: tuple[int, int], before: Before, mode: str | None = None
) -> None:
    app = make_app(services, live=False, mode=mode)
    assert snap_compare(app, terminal_size=size, run_before=before)


@SIZES
def test_first_run(snap_compare: Any, services: Services, size: tuple[int, int]) -> None:
    async def settled(pilot: Pilot[Any]) -> None:
        await _until(pilot, lambda: bool(pilot.app.screen.query("#setup-text")))
        await pilot.pause(0.3)  # the Markdown document lays itself out

    _snap(snap_compare, services, size, settled)


@SIZES
def test_run_ready(snap_compare: Any, services: Services, size: tuple[int, int]) -> None:
    configure_model(services.workspace, "http://127.0.0.1:9/v1")
    services.reload_config()

    async def settled(pilot: Pilot[Any]) -> None:
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause()

    _snap(snap_compare, services, size, settled)


@SIZES
def test_skills(snap_compare: Any, services: Services, size: tuple[int, int]) -> None:
    async def loaded(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, SkillsScreen)
        await _until(pilot, lambda: screen.loaded and screen.shown == "csv-json")
        await _until(pilot, lambda: "reading the index" not in str(screen.query_one("#skill-meta").render()))

    _snap(snap_compare, services, size, loaded, "skills")


@SIZES
def test_patch_queue(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def loaded(pilot: Pilot[Any]) -> None:
        queue = await _queue(pilot)
        assert queue.current_id == PATCH_ID and queue.hidden[PATCH_ID] == 1

    _snap(snap_compare, world, size, loaded, "patches")


@SIZES
def test_review_split_diff(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def opened(pilot: Pilot[Any]) -> None:
        review = await _review(pilot)
        view = review.view
        assert view is not None and view.wrap and min(view.text_widths()) >= 30
        assert review.query_one(ReviewSide).has_class("hidden")  # no room beside the diff

    _snap(snap_compare, world, size, opened, "patches")


@SIZES
def test_review_unified_diff(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def unified(pilot: Pilot[Any]) -> None:
        review = await _review(pilot)
        await pilot.press("s", "n")
        assert review.view is not None and review.view.mode == "unified" and review.view.current_hunk == 1

    _snap(snap_compare, world, size, unified, "patches")


@SIZES
def test_review_side_panel(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def with_panel(pilot: Pilot[Any]) -> None:
        review = await _review(pilot)
        await pilot.press("c")
        await pilot.pause(0.1)
        side = review.query_one(ReviewSide)
        assert not side.has_class("hidden") and review.query_one("#review-body").has_class("-below")

    _snap(snap_compare, world, size, with_panel, "patches")


@SIZES
def test_review_help(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def helped(pilot: Pilot[Any]) -> None:
        await _review(pilot)
        await pilot.press("question_mark")
        await _until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        assert "review-merge" in {row[3] for row in help_rows(pilot.app.screen.target)}

    _snap(snap_compare, world, size, helped, "patches")


@SIZES
def test_runs(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def listed(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, RunsScreen)
        await _until(pilot, lambda: len(screen.records) == 3)
        assert screen.current_id == REGRESSION  # newest first

    _snap(snap_compare, world, size, listed, "runs")


@SIZES
def test_trace(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def traced(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, RunsScreen)
        await _until(pilot, lambda: len(screen.records) == 3)
        await pilot.press("G", "enter")
        await _until(
            pilot,
            lambda: isinstance(pilot.app.screen, TraceScreen) and bool(pilot.app.screen.query_one("#trace-log").lines),
        )
        assert pilot.app.screen.run_id == FAILED  # the oldest, last in the list

    _snap(snap_compare, world, size, traced, "runs")


@SIZES
def test_insights(snap_compare: Any, world: Services, size: tuple[int, int]) -> None:
    async def counted(pilot: Pilot[Any]) -> None:
        await _until(pilot, lambda: bool(pilot.app.screen.query(".insight-table")))
        await pilot.pause(0.2)

    _snap(snap_compare, world, size, counted, "insights")

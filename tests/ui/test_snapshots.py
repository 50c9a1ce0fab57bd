"""The few screens whose look matters, at a fixed size: the split diff (with hidden
characters marked), the patch queue, the skills screen, and the first-run Run screen.

Update after a deliberate change of look: ``pytest tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from memento_tui.services.factory import Services
from memento_tui.ui.app import make_app
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.review import ReviewScreen
from memento_tui.ui.screens.skills import SkillsScreen
from tests.ui.conftest import SIZE, make_patch

PATCH_ID = "20260102-030405-abcd"


@pytest.fixture
def fixed_patch(services: Services, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real patch branch with a fixed id and date, so the pictures do not move."""
    import memento_tui.domain.patch_create as patch_create

    monkeypatch.setattr(patch_create, "new_patch_id", lambda: PATCH_ID)
    patch = make_patch(services, extra=" Trust\u202eme.")
    record = services.paths.patches / f"{patch.id}.json"
    data = json.loads(record.read_text())
    data["created_at"] = "2026-01-02T03:04:05Z"
    record.write_text(json.dumps(data))
    return patch.id


async def _until(pilot: Pilot[Any], check: Any) -> None:
    for _ in range(400):
        if check():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never settled")


def test_review_split_diff(snap_compare: Any, services: Services, fixed_patch: str) -> None:
    async def open_review(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        await _until(pilot, lambda: fixed_patch in getattr(screen, "diffs", {}))
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen) and pilot.app.screen.view is not None)

    app = make_app(services, live=False, mode="patches")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_review)


def test_review_unified_diff(snap_compare: Any, services: Services, fixed_patch: str) -> None:
    async def open_review(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        await _until(pilot, lambda: fixed_patch in getattr(screen, "diffs", {}))
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen) and pilot.app.screen.view is not None)
        await pilot.press("s")

    app = make_app(services, live=False, mode="patches")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_review)


def test_patch_queue(snap_compare: Any, services: Services, fixed_patch: str) -> None:
    async def loaded(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PatchesScreen)
        await _until(pilot, lambda: fixed_patch in screen.patches)

    app = make_app(services, live=False, mode="patches")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_skills(snap_compare: Any, services: Services) -> None:
    async def loaded(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, SkillsScreen)
        await _until(pilot, lambda: screen.loaded and screen.shown == "csv-json")
        await _until(pilot, lambda: "reading the index" not in str(screen.query_one("#skill-meta").render()))

    app = make_app(services, live=False, mode="skills")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded)


def test_first_run(snap_compare: Any, services: Services) -> None:
    async def settled(pilot: Pilot[Any]) -> None:
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would make the picture flicker
        await _until(pilot, lambda: bool(pilot.app.screen.query("#setup-text")))
        await pilot.pause(0.3)  # the Markdown document lays itself out

    app = make_app(services, live=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=settled)

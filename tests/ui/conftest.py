"""Helpers for the TUI tests: the app built by the same factory as the CLI, driven by Pilot
on real workspaces, with every message it handles recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot

from memento_tui.domain.patches.model import Patch, PatchEvidence
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import Services, make_services
from memento_tui.ui.app import MementoApp, make_app

SIZE = (120, 40)


@pytest.fixture
def services(workspace: Workspace):  # type: ignore[no-untyped-def]
    built = make_services(workspace)
    yield built
    built.close()


class Driven:
    """The app under test, its pilot, and the messages seen so far."""

    def __init__(self, app: MementoApp, pilot: Pilot[None], messages: list[Message]) -> None:
        self.app = app
        self.pilot = pilot
        self.messages = messages

    def seen(self, kind: type[Message]) -> list[Any]:
        return [m for m in self.messages if isinstance(m, kind)]

    async def until(self, check: Callable[[], object], what: str = "", timeout: float = 20.0) -> None:
        """Let the app work until ``check()`` holds (workers run in threads)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            if loop.time() > deadline:
                raise AssertionError(f"gave up waiting for {what or check}")
            await self.pilot.pause(0.05)

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.pilot.pause()

    def notifications(self) -> list[str]:
        return [n.message for n in self.app._notifications]


@asynccontextmanager
async def drive(
    services: Services, *, live: bool = False, mode: str | None = None, size: tuple[int, int] = SIZE
) -> AsyncIterator[Driven]:
    messages: list[Message] = []
    app = make_app(services, live=live, mode=mode)
    async with app.run_test(size=size, notifications=True, message_hook=messages.append) as pilot:
        await pilot.pause()
        yield Driven(app, pilot, messages)


def evidence(**extra: object) -> PatchEvidence:
    fields: dict[str, object] = {
        "run_id": "20260101-000000-abcd",
        "task": "convert people.csv to JSON",
        "failure_category": "wrong_data_format_assumption",
        "weak_skill": "csv-json",
        "reflection_summary": "The skill assumed commas; the file used semicolons.",
        "decision_step": 3,
        "validated": True,
    }
    return PatchEvidence(**{**fields, **extra})  # type: ignore[arg-type]


def make_patch(
    services: Services, *, marker: str = "Semicolons too", extra: str = "", ev: PatchEvidence | None = None
) -> Patch:
    """A real patch branch on csv-json: one changed line and one added paragraph."""
    skill_md = services.paths.skill_dir("csv-json") / "SKILL.md"
    text = skill_md.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    # Change a line in the body (word-level change) and append a paragraph.
    body_at = next(i for i, line in enumerate(lines) if line.startswith("Three standard-library"))
    lines[body_at] = lines[body_at].replace("Three", "Four")
    new = "".join(lines) + f"\n## {marker}\n\nDetect ';' before assuming ','.{extra}\n"
    return services.patches().create("csv-json", {"skills/csv-json/SKILL.md": new.encode("utf-8")}, ev or evidence())

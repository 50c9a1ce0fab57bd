"""The strip at the top of every screen: the five screens with their keys, the current
one marked, and what this workspace runs on."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Click
from textual.widgets import Label

from memento_tui.domain.hidden_text import terminal_safe

SCREENS = (("run", "1", "Run"), ("skills", "2", "Skills"), ("patches", "3", "Patches"),
           ("runs", "4", "Runs"), ("insights", "5", "Insights"))


class NavTab(Label):
    def __init__(self, mode: str, text: str, current: bool) -> None:
        super().__init__(text, classes="nav-tab -current" if current else "nav-tab")
        self.mode = mode

    @on(Click)
    async def _clicked(self) -> None:
        await self.app.run_action(f"show('{self.mode}')")


class NavBar(Horizontal):
    def __init__(self, current: str, status: str = "") -> None:
        super().__init__(classes="nav-bar")
        self.current = current
        self.status = terminal_safe(status, single_line=True)  # names a folder and a model

    def compose(self) -> ComposeResult:
        yield Label("Memento", classes="nav-brand")
        for mode, key, label in SCREENS:
            yield NavTab(mode, f" {key} {label} ", mode == self.current)
        yield Label(self.status, classes="nav-status", markup=False)

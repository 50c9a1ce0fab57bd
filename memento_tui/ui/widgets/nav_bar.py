"""The strip at the top of every screen: the five screens with their keys, the current
one marked, and what this workspace runs on. While a text box has the cursor, 1-5 type
digits, so the tabs name f1-f5 instead (those switch screens from anywhere)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Click
from textual.widget import Widget
from textual.widgets import Input, Label

from memento_tui.domain.skills.hidden_text import terminal_safe

SCREENS = (
    ("run", "1", "Run"),
    ("skills", "2", "Skills"),
    ("patches", "3", "Patches"),
    ("runs", "4", "Runs"),
    ("insights", "5", "Insights"),
)


class NavTab(Label):
    def __init__(self, mode: str, key: str, label: str, current: bool) -> None:
        super().__init__(f" {key} {label} ", classes="nav-tab -current" if current else "nav-tab")
        self.mode = mode
        self.key = key
        self.label = label

    def show_keys(self, typing: bool) -> None:
        self.update(f" {'F' if typing else ''}{self.key} {self.label} ")

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
            yield NavTab(mode, key, label, mode == self.current)
        yield Label(self.status, classes="nav-status", markup=False)

    def on_mount(self) -> None:
        self.watch(self.screen, "focused", self._focus_moved)

    def _focus_moved(self, focused: Widget | None) -> None:
        typing = isinstance(focused, Input)
        for tab in self.query(NavTab):
            tab.show_keys(typing)

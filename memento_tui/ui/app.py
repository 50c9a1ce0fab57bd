"""The full-screen app."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from memento_tui.services.factory import Services


class MementoApp(App[None]):
    TITLE = "Memento"

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="skills", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#skills", DataTable)
        table.add_columns("skill", "description")
        for skill in self.services.library():
            table.add_row(skill.name, skill.description[:80], key=skill.name)


def make_app(services: Services) -> MementoApp:
    return MementoApp(services)

"""``?``: the keys of the current context, what each does, and why a dim one cannot act."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Static

from memento_tui.ui.actions import action_name


def help_rows(screen: Screen[object]) -> list[tuple[str, str, str, str]]:
    """(key, description, tooltip or the reason it is unavailable, id) for ``screen``."""
    rows: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        why = getattr(active.node, "why_not", lambda _a: None)(action_name(binding.action))
        detail = f"unavailable: {why}" if why else (binding.tooltip or "")
        rows.append((screen.app.get_key_display(binding), binding.description, detail, binding.id or ""))
    # The screen's own actions first, then the app's, then the widgets' movement keys.
    scope = getattr(screen, "SCOPE", "")
    return sorted(
        rows, key=lambda row: (0 if scope and row[3].startswith(f"{scope}-") else 1 if row[3] else 2)
    )


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath; ``[keys]`` in the config remaps them by id."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar = [Binding("escape,question_mark,q", "dismiss", "Close", tooltip="Close help")]

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(f"Keys — {self.target.title or type(self.target).__name__}", id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                "Every action is also in the command palette (ctrl+p). Remap a key in "
                ".memento/config.toml:  [keys]  review-merge = \"M\"",
                id="help-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "what it does", "id")
        for row in help_rows(self.target):
            table.add_row(*row)
        table.focus()

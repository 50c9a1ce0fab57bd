"""``?``: the keys of the current context, what each does, and why a dim one cannot act."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from memento_tui.ui.actions import action_name
from memento_tui.ui.widgets.fit_table import Column, FitTable


def help_rows(screen: Screen[object]) -> list[tuple[str, str, str, str]]:
    """(keys, description, tooltip or the reason it is unavailable, id) for ``screen``;
    every key of an action on one row ("1 / f1")."""
    rows: dict[str, tuple[str, str, str]] = {}
    keys: dict[str, list[str]] = {}
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not binding.description:
            continue
        shown = screen.app.get_key_display(binding)
        if binding.action in rows:
            if shown not in keys[binding.action]:
                keys[binding.action].append(shown)
            continue
        why = getattr(active.node, "why_not", lambda _a: None)(action_name(binding.action))
        detail = f"unavailable: {why}" if why else (binding.tooltip or "")
        keys[binding.action] = [shown]
        rows[binding.action] = (binding.description, detail, binding.id or "")
    out = [(" / ".join(keys[action]), *row) for action, row in rows.items()]
    # The screen's own actions first, then the app's, then the widgets' movement keys.
    scope = getattr(screen, "SCOPE", "")
    return sorted(
        out, key=lambda row: 0 if scope and row[3].startswith(f"{scope}-") else 1 if row[3].startswith("app-") else 2
    )


# The id is what [keys] in the config remaps, so it is never the column that gives way.
HELP_COLUMNS = (
    Column("key", "key", 9),
    Column("action", "action", 13),
    Column("id", "id", 19),
    Column("what", "what it does", 20, flex=True),
)


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath; ``[keys]`` in the config remaps them by id."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar = [Binding("escape,question_mark,q", "dismiss", "Close", tooltip="Close help", id="help-close")]

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(f"Keys — {self.target.title or type(self.target).__name__}", id="help-title")
            yield FitTable(HELP_COLUMNS, wrap=True, id="help-table")
            yield Static(
                "Every action is also in the command palette (ctrl+p). Remap a key by its id "
                'in .memento/config.toml:  [keys]  review-merge = "M"',
                id="help-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        table = self.query_one(FitTable)
        table.set_rows(
            [
                (f"{i}", {"key": key, "action": description, "id": id, "what": Text(detail)})
                for i, (key, description, detail, id) in enumerate(help_rows(self.target))
            ]
        )
        table.focus()

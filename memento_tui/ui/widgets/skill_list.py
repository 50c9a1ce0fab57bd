"""The skill list: one line per skill, painted only when on screen.

A DataTable or OptionList with 10k rows spends most of a second laying them all out before
the first frame; this list keeps plain tuples and paints the rows in view, so a 10k-skill
library costs what a 40-skill one does.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from memento_tui.domain.skills.hidden_text import terminal_safe

Item = tuple[str, str, str]  # name, success, state (or score)
NAME_WIDTH = 30
SUCCESS_WIDTH = 10
LOCK = "🔒"  # a protected skill: learning never patches it (two cells wide)


class SkillList(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "skill-list--cursor",
        "skill-list--broken",
        "skill-list--warning",
        "skill-list--dim",
        "skill-list--empty",
    }
    BINDINGS: ClassVar = [
        Binding("up,k", "move(-1)", "Up", show=False, id="list-up", tooltip="The skill above"),
        Binding("down,j", "move(1)", "Down", show=False, id="list-down", tooltip="The next skill"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list-page-up", tooltip="One screen up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list-page-down", tooltip="One screen down"),
        Binding("home,g", "jump(0)", "First", show=False, id="list-first", tooltip="The first skill"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="list-last", tooltip="The last skill"),
        Binding("enter", "select", "Select", show=False, id="list-select", tooltip="Show this skill"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to a skill."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class Selected(Message):
        """Enter on a skill."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.items: list[Item] = []
        self.locked: set[str] = set()
        self._index: dict[str, int] = {}
        self.empty_text = ""

    # -- data --------------------------------------------------------------------------
    def set_items(self, items: list[Item], *, keep: str | None = None, locked: set[str] | None = None) -> None:
        self.items = items
        self.locked = locked or set()
        self._index = {name: i for i, (name, _, _) in enumerate(items)}
        self.virtual_size = Size(self.size.width, len(items))
        at = self._index.get(keep, 0) if keep else 0
        self.set_reactive(SkillList.cursor, at)
        self._scroll_cursor_into_view()
        self.refresh()
        if items:
            self.post_message(self.Highlighted(items[at][0]))

    @property
    def row_count(self) -> int:
        return len(self.items)

    @property
    def current(self) -> str | None:
        if 0 <= self.cursor < len(self.items):
            return self.items[self.cursor][0]
        return None

    def names(self) -> list[str]:
        return [name for name, _, _ in self.items]

    def move_to(self, name: str) -> None:
        if name in self._index:
            self.cursor = self._index[name]

    # -- keys --------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        if not self.items:
            return
        self.set_reactive(SkillList.cursor, max(0, min(new, len(self.items) - 1)))
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self.items[self.cursor][0]))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height or 1
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_move(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def action_page(self, direction: int) -> None:
        self.cursor = self.cursor + direction * max(1, self.scrollable_content_region.height - 1)

    def action_jump(self, where: int) -> None:
        self.cursor = where if where >= 0 else len(self.items) - 1

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event: events.Click) -> None:
        row = round(self.scroll_y) + event.y
        if 0 <= row < len(self.items):
            self.cursor = row

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.items))

    # -- painting ----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if not self.items and y == 0 and self.empty_text:
            style = self.get_component_rich_style("skill-list--empty")
            return Strip([Segment(f" {self.empty_text}", style)]).adjust_cell_length(width, style)
        if index >= len(self.items):
            return Strip.blank(width, self.rich_style)
        name, success, state = self.items[index]
        base = self.rich_style
        if index == self.cursor:
            base = base + self.get_component_rich_style("skill-list--cursor")
        name_style = base
        if state == "broken":
            name_style = base + self.get_component_rich_style("skill-list--broken", partial=True)
        elif state == "warning":
            name_style = base + self.get_component_rich_style("skill-list--warning", partial=True)
        dim = base + self.get_component_rich_style("skill-list--dim", partial=True)
        shown = terminal_safe(name, single_line=True)
        if name in self.locked:  # the lock at the end of the name column keeps names aligned
            cell = f" {set_cell_size(shown, NAME_WIDTH - 4)}{LOCK} "
        else:
            cell = f" {shown[: NAME_WIDTH - 2]:<{NAME_WIDTH - 1}}"
        segments = [
            Segment(cell, name_style),
            Segment(f"{success:<{SUCCESS_WIDTH}}", dim),
            Segment(state, dim),
        ]
        return Strip(segments).adjust_cell_length(width, base)

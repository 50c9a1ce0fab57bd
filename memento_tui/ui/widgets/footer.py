"""The key bar at the bottom of every screen: one widget drawing one line.

Textual's Footer mounts a widget per key and rebuilds them all whenever the bindings change
(a focus move, a diff arriving); on the review that was two rebuilds and some 40 ms before
the screen settled. This bar keeps the same look and behaviour (keys of the focused context,
dim when they cannot act, the command palette on the right, click to press, the binding's
tooltip on hover) but only repaints its one line. A click is a key press, so a dim key says why it cannot act.
On a narrow terminal the keys marked ``keep`` in the registry stay and the others give way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

from memento_tui.ui.actions import find

# (key as shown, description, key, enabled, tooltip, kept at every width)
Entry = tuple[str, str, str, bool, str, bool]


def fit_keys(sizes: list[tuple[int, bool]], room: int) -> list[int]:
    """Which keys the bar shows, in their order: the kept ones first (as many as fit),
    then the others while they fit."""
    chosen: set[int] = set()
    used = 0
    for kept_pass in (True, False):
        for index, (size, kept) in enumerate(sizes):
            if kept == kept_pass and used + size <= room:
                chosen.add(index)
                used += size
    return sorted(chosen)


@dataclass(frozen=True)
class KeySpan:
    """Where one key sits on the bar, for clicks and tooltips."""

    start: int
    end: int
    key: str
    enabled: bool
    tooltip: str


class MementoFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"footer-key--key", "footer-key--description"}
    DEFAULT_CSS = """
    MementoFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[KeySpan] = []
        self._hover: int | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        hover_style = Style(bgcolor=self.app.current_theme.primary) if self._hover is not None else Style()
        left, palette = self._entries()
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[KeySpan] = []

        def add(key_display: str, description: str, key: str, enabled: bool, tooltip: str) -> None:
            start = line.cell_len
            extra = Style(dim=True) if not enabled else Style()
            if len(spans) == self._hover:
                extra += hover_style
            line.append(f" {key_display} ", key_style + extra)
            if description:
                line.append(f"{description} ", description_style + extra)
            spans.append(KeySpan(start, line.cell_len, key, enabled, tooltip or description))

        # The palette key keeps its place on the right; the context's keys fill what is left,
        # whole keys only. The keys that decide (merge, reject, next change, help) are placed
        # first and the rest fill the room in their order (every key is under ? and in the palette).
        room = self.size.width
        if palette is not None:
            room -= cell_len(f" {palette[0]} {palette[1]} ") + 1
        for index in fit_keys([(cell_len(f" {e[0]} {e[1]} "), e[5]) for e in left], room):
            add(*left[index][:5])
        if palette is not None:
            line.append(" " * max(room - line.cell_len, 0))
            line.append("▏", Style(dim=True))
            add(*palette[:5])
        self.spans = spans
        return line

    def _entries(self) -> tuple[list[Entry], Entry | None]:
        """(the keys of the focused context, the command palette's key) as the stock Footer
        chooses them: shown bindings, one per action."""
        active = self.screen.active_bindings
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        left: list[Entry] = []
        seen: set[str] = set()
        palette = None
        for key, (_node, binding, enabled, tooltip) in active.items():
            action = find(binding.id) if binding.id else None
            keep = action is not None and action.keep
            entry = (self.app.get_key_display(binding), binding.description, binding.key, enabled, tooltip, keep)
            if key == palette_key:
                palette = entry
            elif binding.show and binding.action not in seen:
                seen.add(binding.action)
                left.append(entry)
        return left, palette

    def _span_at(self, x: int) -> int | None:
        for index, span in enumerate(self.spans):
            if span.start <= x < span.end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._span_at(event.x)
        if index != self._hover:
            self._hover = index
            self.tooltip = self.spans[index].tooltip if index is not None else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self._span_at(event.x)
        if index is None:
            return
        # A dim key too: pressing it is what says why it cannot act.
        self.app.simulate_key(self.spans[index].key)

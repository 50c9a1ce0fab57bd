"""The live stream of a run: model text, tool calls, command output, verdict.

Token chunks and command output arrive on the run's worker thread at any rate; they go
into a ``StreamBuffer`` (a lock and a list, no widget), and a timer on the UI side drains
it every ``FLUSH_SECONDS`` into one ``RichLog`` with a line cap. A half-written line waits
in a one-line ``Static`` under the log until its newline comes. So a thousand tokens cost
a few paints, never a widget each.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from memento_tui.domain.agent.render import live_lines
from memento_tui.domain.agent.trace import ModelTurn, ToolCalled, ToolResult, TraceEvent
from memento_tui.domain.skills.hidden_text import terminal_safe

FLUSH_SECONDS = 0.05
MAX_LINES = 5000


class StreamBuffer:
    """Chunks and events from a worker thread, drained in order by the UI.

    Events go through the same pipe as the text around them, so a tool call never shows
    before the words the model said ahead of it. Adjacent text chunks of a kind merge.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[list[Any]] = []  # [kind, payload]

    def put(self, kind: str, payload: Any) -> None:
        if kind != "event" and not payload:
            return
        with self._lock:
            if kind != "event" and self._items and self._items[-1][0] == kind:
                self._items[-1][1] += payload
            else:
                self._items.append([kind, payload])

    def drain(self) -> list[tuple[str, Any]]:
        with self._lock:
            items, self._items = self._items, []
        return [(kind, payload) for kind, payload in items]


class RunStream(Vertical):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "run-stream--model",
        "run-stream--tool",
        "run-stream--output",
        "run-stream--stderr",
        "run-stream--error",
        "run-stream--skill",
        "run-stream--pass",
        "run-stream--fail",
        "run-stream--note",
        "run-stream--head",
    }
    _STYLE_OF: ClassVar[dict[str, str]] = {
        "text": "run-stream--model",
        "stdout": "run-stream--output",
        "stderr": "run-stream--stderr",
    }

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.buffer = StreamBuffer()
        self._partial_kind: str | None = None
        self._partial = ""
        self._text_since_turn = False
        self._output_since_call = False

    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=MAX_LINES, wrap=True, markup=False, min_width=20, id="stream-log")
        yield Static("", id="stream-partial", markup=False)

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self.flush, name="stream-flush")

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#stream-log", RichLog)

    # -- writing -----------------------------------------------------------------------
    def _line(self, text: str, component: str) -> None:
        style = self.get_component_rich_style(component, partial=True)
        self.log_widget.write(Text(terminal_safe(text), style=style))

    def line(self, text: str, kind: str = "note") -> None:
        """A whole line of the given kind (note, error, head, skill, pass, fail, tool)."""
        self._end_partial()
        self._line(text, f"run-stream--{kind}")

    def flush(self) -> None:
        for kind, payload in self.buffer.drain():
            if kind == "event":
                self.event(payload)
                continue
            if kind == "text":
                self._text_since_turn = True
            else:
                self._output_since_call = True
            if self._partial_kind not in (None, kind):
                self._end_partial()
            self._partial_kind = kind
            self._partial += payload
            *done, self._partial = self._partial.split("\n")
            prefix = "" if kind == "text" else "  │ "
            for line in done:
                self._line(prefix + line, self._STYLE_OF[kind])
        self._show_partial()

    def _end_partial(self) -> None:
        if self._partial and self._partial_kind is not None:
            prefix = "" if self._partial_kind == "text" else "  │ "
            self._line(prefix + self._partial, self._STYLE_OF[self._partial_kind])
        self._partial = ""
        self._partial_kind = None
        self._show_partial()

    def _show_partial(self) -> None:
        partial = self.query_one("#stream-partial", Static)
        partial.update(terminal_safe(self._partial))
        partial.set_class(not self._partial, "-empty")

    def clear(self) -> None:
        self.buffer.drain()
        self._partial = ""
        self._partial_kind = None
        self.log_widget.clear()
        self._show_partial()

    # -- trace events ------------------------------------------------------------------
    def event(self, event: TraceEvent) -> None:
        """Render one trace event (the buffer calls this in order) as render.live_lines says,
        leaving out the words and output already shown as they streamed."""
        if isinstance(event, ModelTurn | ToolResult):
            self._end_partial()
        lines = live_lines(event, text_streamed=self._text_since_turn, output_streamed=self._output_since_call)
        for line in lines:
            self.line(line.text, line.kind)
        if isinstance(event, ModelTurn):
            self._text_since_turn = False
        elif isinstance(event, ToolCalled | ToolResult):
            self._output_since_call = False

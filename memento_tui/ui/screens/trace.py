"""One run's trace, readable: every decision the agent made, in order.

Opened from the review with the failing step, it starts at that step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import RichLog, Static

from memento_tui.domain.agent.render import describe, kind_of
from memento_tui.domain.agent.trace import ModelTurn, ToolCalled, TraceEvent
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.widgets.footer import MementoFooter

if TYPE_CHECKING:
    from memento_tui.domain.agent.runs import RunRecord


class TraceScreen(MementoScreen):
    SCOPE = "trace"
    CSS_PATH = "trace.tcss"
    TITLE = "Trace"

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trace--head",
        "trace--skill",
        "trace--tool",
        "trace--error",
        "trace--note",
        "trace--pass",
        "trace--fail",
        "trace--model",
        "trace--output",
    }

    class TraceLoaded(Message):
        """The run record and its trace events were read."""

        def __init__(
            self, record: RunRecord | None, events: list[TraceEvent], problems: list[str], error: str | None = None
        ) -> None:
            super().__init__()
            self.record = record
            self.events = events
            self.problems = problems
            self.error = error

    def __init__(self, run_id: str, *, step: int | None = None) -> None:
        super().__init__()
        self.run_id = run_id
        self.step = step  # start at this step (its model turn)
        self.start: int | None = None  # the log line it starts at

    def compose(self) -> ComposeResult:
        yield Static(terminal_safe(f"run {self.run_id}", single_line=True), id="trace-head", markup=False)
        yield RichLog(id="trace-log", wrap=True, markup=False, max_lines=20000, min_width=20, auto_scroll=False)
        yield MementoFooter()

    def on_mount(self) -> None:
        self._load(self.run_id)
        self.query_one("#trace-log").focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="trace")
    def _load(self, run_id: str) -> None:
        try:
            store = self.services.runs()
            record = store.load(run_id)
            events, problems = store.trace(run_id)
        except MementoError as err:
            self.post_message(self.TraceLoaded(None, [], [], str(err)))
            return
        self.post_message(self.TraceLoaded(record, events, problems))

    def _style(self, event: TraceEvent) -> Style:
        return self.get_component_rich_style(f"trace--{kind_of(event)}", partial=True)

    @on(TraceLoaded)
    def _loaded(self, message: TraceLoaded) -> None:
        log = self.query_one("#trace-log", RichLog)
        head = self.query_one("#trace-head", Static)
        record = message.record
        if message.error or record is None:
            head.update(terminal_safe(f"run {self.run_id}: {message.error or 'not found'}"))
            return
        at_step = f" · at step {self.step}" if self.step is not None else ""
        head.update(terminal_safe(f"run {record.id} · {record.status}{at_step} · {record.task}"))
        for event in message.events:
            if (
                self.start is None
                and self.step is not None
                and event.step == self.step
                and isinstance(event, ModelTurn | ToolCalled)
            ):
                self.start = len(log.lines)
            style = self._style(event)
            for line in describe(event):
                log.write(Text(terminal_safe(line), style=style))
        for problem in message.problems:
            log.write(
                Text(
                    terminal_safe(f"warning: {problem}"),
                    style=self.get_component_rich_style("trace--error", partial=True),
                )
            )
        if record.status == "interrupted":
            log.write("the run was interrupted: the trace above is everything it recorded")
        if self.start:
            log.scroll_to(y=self.start, animate=False)
        else:
            log.scroll_home(animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()

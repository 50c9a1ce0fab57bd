"""Insights: counts from the run history, by status, by skill and by failure category.

Each table is a *section*: a function from the run records to a title, headers and rows.
To add one (trends, a failure Pareto from the analytics module), write such a function
and append it to ``SECTIONS``; the screen lays out whatever is there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.services.insights import insight_tables, load_insights
from memento_tui.services.retrieval_eval import evaluate_retrieval, quality_table
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.widgets.fit_table import Column, FitTable, text_cell
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.nav_bar import NavBar

Table = tuple[str, list[str], list[tuple[str, ...]]]
Section = Callable[[list[RunRecord]], Table]


def _own_runs(records: list[RunRecord]) -> list[RunRecord]:
    return [r for r in records if not r.replay_of]


def by_status(records: list[RunRecord]) -> Table:
    counts = Counter(r.status for r in _own_runs(records))
    total = sum(counts.values()) or 1
    rows: list[tuple[str, ...]] = [(status, str(n), f"{100 * n // total}%") for status, n in counts.most_common()]
    return "Runs by status", ["status", "runs", "share"], rows


def insight_table(headers: list[str], rows: list[tuple[str, ...]], classes: str) -> FitTable:
    """A section's table fitted to the width (task patterns and skill names come from runs:
    ``text_cell`` marks them and never reads them as markup). The widest column (a task, a pattern) takes
    what is spare and is cut with an ellipsis when narrow; the last columns give way
    only when even that is not enough."""
    rows = rows or [tuple("—" for _ in headers)]
    widths = [max([len(h), *(len(str(row[i])) for row in rows)]) for i, h in enumerate(headers)]
    widest = max(range(len(headers)), key=lambda i: widths[i])
    columns = [
        Column(f"c{i}", header, width, rank=i)
        if i != widest
        else Column(f"c{i}", header, min(width, 20), flex=True, most=width)
        for i, (header, width) in enumerate(zip(headers, widths, strict=True))
    ]
    table = FitTable(columns, classes=classes)
    table.set_rows([(str(n), {f"c{i}": text_cell(v) for i, v in enumerate(row)}) for n, row in enumerate(rows)])
    return table


# Per-skill success and failure categories come from the analytics (services.insights),
# with critical items first, patterns, the Pareto view, trends and patch effects.
SECTIONS: list[Section] = [by_status]


class InsightsScreen(MementoScreen):
    SCOPE = "insights"
    CSS_PATH = "insights.tcss"
    TITLE = "Insights"

    class CountsLoaded(Message):
        """The sections, computed from the run history."""

        def __init__(self, tables: list[Table], runs: int, error: str | None = None) -> None:
            super().__init__()
            self.tables = tables
            self.runs = runs
            self.error = error

    class QualityLoaded(Message):
        """Retrieval quality on the workspace's own runs (memento search --eval)."""

        def __init__(self, table: Table) -> None:
            super().__init__()
            self.table = table

    def compose(self) -> ComposeResult:
        yield NavBar("insights", "")
        yield Static("", id="insights-summary", classes="muted", markup=False)
        yield VerticalScroll(id="insights-body")
        yield MementoFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self._count()

    @work(thread=True, exclusive=True, exit_on_error=False, group="insights")
    def _count(self) -> None:
        try:
            records = self.services.runs().list(include_replays=True)
            analytics = insight_tables(load_insights(self.services))
        except MementoError as err:
            self.post_message(self.CountsLoaded([], 0, str(err)))
            return
        tables = [section(records) for section in SECTIONS] + analytics
        self.post_message(self.CountsLoaded(tables, len(records)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="insights-retrieval")
    def _quality(self) -> None:
        # Leave-one-out search rebuilds the learned part once per past run: it can take
        # seconds on a long history, so it comes after the rest of the screen.
        try:
            quality = evaluate_retrieval(self.services)
        except MementoError:
            return
        if quality.ranks:
            self.post_message(self.QualityLoaded(quality_table(quality)))

    @on(QualityLoaded)
    async def _quality_loaded(self, message: QualityLoaded) -> None:
        body = self.query_one("#insights-body", VerticalScroll)
        for old in body.query(".retrieval-quality"):
            await old.remove()
        title, headers, rows = message.table
        table = insight_table(headers, rows, "insight-table retrieval-quality")
        title_label = Label(
            terminal_safe(title, single_line=True), classes="insight-title retrieval-quality", markup=False
        )
        await body.mount_all([title_label, table])

    @on(CountsLoaded)
    async def _loaded(self, message: CountsLoaded) -> None:
        body = self.query_one("#insights-body", VerticalScroll)
        await body.remove_children()
        summary = self.query_one("#insights-summary", Static)
        if message.error:
            summary.update(terminal_safe(message.error))
            return
        if not message.runs:
            summary.update("No runs yet: run a task (1) and the counts appear here.")
            return
        summary.update(
            f"{message.runs} runs recorded (replays made while validating patches are left out of the counts)"
        )
        self._quality()  # started here, on the app's thread, once the rest is on screen
        widgets = []
        for title, headers, rows in message.tables:
            table = insight_table(headers, rows, "insight-table")
            widgets += [Label(terminal_safe(title, single_line=True), classes="insight-title", markup=False), table]
        await body.mount_all(widgets)

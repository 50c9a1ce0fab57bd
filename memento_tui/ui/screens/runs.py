"""Runs: history with verdicts and costs; a trace; your own verdict; reflection on a failure."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.screens.dialogs import ReasonScreen
from memento_tui.ui.widgets.fit_table import Column, FitTable, text_cell
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from memento_tui.domain.agent.runs import RunRecord

FAILED = ("failed", "error", "interrupted")
# The task tells runs apart and takes the spare width; tokens, cost and who gave the
# verdict are in the run panel too and give way first on a narrow terminal.
COLUMNS = (
    Column("started", "started", 11, rank=3),
    Column("status", "status", 11),
    Column("task", "task", 36, flex=True),  # tasks often differ only after their first words
    Column("skills", "skills", 14, rank=2),
    Column("by", "by", 6, rank=4),
    Column("tokens", "tokens", 7, rank=6),
    Column("cost", "cost", 7, rank=5),
)


def one_line(text: str, width: int) -> str:
    flat = " ".join(terminal_safe(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def run_summary(record: RunRecord) -> str:
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.started))
    lines = [
        f"run {record.id}",
        f"{record.status}" + (f" by {record.verdict_source}" if record.verdict_source else ""),
        f"started {started}",
        "",
        f"task: {record.task}",
    ]
    if record.check:
        lines.append(f"check: {record.check}")
    if record.verdict_detail:
        lines.append(f"verdict: {record.verdict_detail}")
    if record.note:
        lines.append(f"note: {record.note}")
    lines += [
        "",
        f"model: {record.model or '—'}",
        f"steps: {record.steps}",
        f"tokens: {record.prompt_tokens} + {record.completion_tokens}",
        f"cost: ${record.cost_usd:.4f}",
        f"skills retrieved: {', '.join(record.skills_retrieved) or '—'}",
        f"skills used: {', '.join(record.skills_used) or '—'}",
    ]
    if record.failure_category:
        lines.append(f"failure: {record.failure_category}")
    if record.patch_id:
        lines.append(f"patch: {record.patch_id}")
    if record.replay_of:
        lines.append(f"replay of {record.replay_of}")
    if record.answer:
        lines += ["", "answer:", one_line(record.answer, 400)]
    return terminal_safe("\n".join(lines))


class RunsScreen(MementoScreen):
    SCOPE = "runs"
    CSS_PATH = "runs.tcss"
    TITLE = "Runs"

    class RunsLoaded(Message):
        """The run history (newest first)."""

        def __init__(self, records: list[RunRecord], error: str | None = None) -> None:
            super().__init__()
            self.records = records
            self.error = error

    class RunMarked(Message):
        """A person's verdict was recorded on a run."""

        def __init__(self, record: RunRecord) -> None:
            super().__init__()
            self.record = record

    class MarkFailed(Message):
        """The verdict could not be recorded."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.failed_only = False
        self.records: dict[str, RunRecord] = {}

    def compose(self) -> ComposeResult:
        yield NavBar("runs", "")
        with Horizontal(id="runs-body"):
            yield FitTable(COLUMNS, id="runs-table")
            with VerticalScroll(id="runs-side"):
                yield Static("", id="run-detail", markup=False)
        yield Static("", id="runs-count", classes="muted", markup=False)
        yield MementoFooter()

    def on_mount(self) -> None:
        table = self.query_one("#runs-table", FitTable)
        self.query_one("#runs-side").border_title = "Run"
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load(self.failed_only)

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-list")
    def _load(self, failed_only: bool) -> None:
        try:
            records = self.services.runs().list(failed_only=failed_only, include_replays=True)
        except MementoError as err:
            self.post_message(self.RunsLoaded([], str(err)))
            return
        self.post_message(self.RunsLoaded(records))

    @on(RunsLoaded)
    def _loaded(self, message: RunsLoaded) -> None:
        self.records = {r.id: r for r in message.records}
        self.query_one("#runs-table", FitTable).set_rows(
            [
                (
                    r.id,
                    {
                        "started": time.strftime("%m-%d %H:%M", time.localtime(r.started)),
                        "status": r.status + (" ↺" if r.replay_of else ""),
                        "task": text_cell(one_line(r.task, 400)),
                        "skills": text_cell(",".join(r.skills_used) or "—"),
                        "by": text_cell(r.verdict_source or "—"),
                        "tokens": str(r.prompt_tokens + r.completion_tokens),
                        "cost": f"${r.cost_usd:.3f}",
                    },
                )
                for r in message.records
            ]
        )
        failed = sum(1 for r in message.records if r.status in FAILED)
        cost = sum(r.cost_usd for r in message.records)
        shown = "failures only" if self.failed_only else "all runs"
        text = f"{len(message.records)} runs ({shown}) · {failed} failed · ${cost:.4f} in all · ↺ = replay"
        self.query_one("#runs-count", Static).update(message.error or text)
        self._show_current()
        self.refresh_bindings()

    @property
    def current_id(self) -> str | None:
        return self.query_one("#runs-table", FitTable).current_key

    @property
    def current(self) -> RunRecord | None:
        return self.records.get(self.current_id or "")

    def _show_current(self) -> None:
        record = self.current
        detail = self.query_one("#run-detail", Static)
        if record is None:
            detail.update("No runs yet. Run a task on the Run screen (1) or with 'memento run'.")
        else:
            detail.update(run_summary(record))

    @on(DataTable.RowHighlighted, "#runs-table")
    def _highlighted(self) -> None:
        self._show_current()
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#runs-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        from memento_tui.ui.screens.trace import TraceScreen

        # A click on a row: the run clicked, even if a reload moved the cursor since.
        self.app.push_screen(TraceScreen(str(event.row_key.value)))

    # -- actions -----------------------------------------------------------------------
    def why_not(self, action: str) -> str | None:
        record = self.current
        if record is None:
            return "no run is selected" if action in ("open", "mark", "learn") else None
        if action == "mark" and record.status == "running":
            return "the run is still going"
        if action == "learn":
            if record.status != "failed":
                return f"this run {record.status}; reflection learns from failed runs (mark it failed with F)"
            if record.replay_of:
                return "this is a replay made while validating a patch; reflect on the original run"
            if reason := self.memento.model_ready():
                return reason
        return None

    def action_open(self) -> None:
        from memento_tui.ui.screens.trace import TraceScreen

        if self.current_id:
            self.app.push_screen(TraceScreen(self.current_id))

    def action_toggle_failures(self) -> None:
        self.failed_only = not self.failed_only
        self.reload()

    def action_refresh(self) -> None:
        self.reload()

    def action_mark(self, verdict: str) -> None:
        run_id = self.current_id
        if run_id is None:
            return
        passed = verdict == "pass"

        def answered(note: str | None) -> None:
            if note is not None:
                self._mark(run_id, passed, note)

        self.app.push_screen(
            ReasonScreen(
                f"Mark run {run_id} as {'passed' if passed else 'failed'}?",
                "A note (optional): what was right or wrong. Reflection reads it.",
                required=False,
                ok="Mark",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs-mark")
    def _mark(self, run_id: str, passed: bool, note: str) -> None:
        try:
            record = self.services.mark_run(run_id, passed=passed, note=note)
        except MementoError as err:
            self.post_message(self.MarkFailed(str(err)))
            return
        self.post_message(self.RunMarked(record))

    @on(RunMarked)
    def _marked(self, message: RunMarked) -> None:
        record = message.record
        hint = " Press l to reflect on it." if record.status == "failed" else ""
        self.notify(f"Marked {record.id} {record.status}.{hint}", title="Verdict")
        self.reload()

    @on(MarkFailed)
    def _mark_failed(self, message: MarkFailed) -> None:
        self.notify(message.error, title="Not marked", severity="error")

    def action_learn(self) -> None:
        from memento_tui.ui.screens.learn import LearnScreen

        if self.current_id:
            self.app.push_screen(LearnScreen(self.current_id), lambda _: self.reload())

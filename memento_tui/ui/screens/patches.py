"""Patches: the review queue with its evidence. Enter opens the split diff.

Newest first, except that patches made from a run or task pattern the person marked
critical (``memento stats critical``) come before the rest. The first column flags what a
reviewer must not miss: ``!`` critical, ``⚠`` invisible or control characters in the change
(first, so a narrow terminal still shows it).

The list comes from a thread worker (git calls); branches made by a headless
``memento run`` in another terminal arrive through the app's poll and reload it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import has_hidden, terminal_safe
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.screens.undo import UndoLastMerge
from memento_tui.ui.widgets.evidence import EvidencePanel
from memento_tui.ui.widgets.fit_table import Column, FitTable, text_cell
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from memento_tui.domain.patches.diff import StructuredDiff
    from memento_tui.domain.patches.model import Patch, UndoResult

FILTERS = ("pending", "all", "merged", "rejected")
# The flags and the skill tell patches apart; replay and regressions are also in the
# evidence panel, so they give way first on a narrow terminal.
COLUMNS = (
    Column("flags", "", 2),
    Column("id", "patch", 20, rank=3),
    Column("skill", "skill", 14, flex=True),
    # Who made it, when it came from a teammate through 'memento sync' (blank: here).
    Column("by", "by", 10, rank=4),
    Column("status", "status", 8, rank=1),
    Column("validated", "valid", 5, rank=2),
    Column("replay", "replay", 7, rank=6),
    Column("regressions", "regress.", 10, rank=5),
)


PREFETCH = 20  # pending patches whose diff is kept ready, so Enter shows it at once


def _author(made_by: str) -> str:
    """A teammate's name, from "Name <email>"."""
    return made_by.split("<", 1)[0].strip() or made_by


def hidden_lines(diff: StructuredDiff) -> int:
    """Added or removed lines of a structured diff with hidden characters in them."""
    return sum(
        1 for f in diff.files for h in f.hunks for line in h.lines if line.kind != "context" and has_hidden(line.text)
    )


class PatchesScreen(UndoLastMerge, MementoScreen):
    SCOPE = "patches"
    CSS_PATH = "patches.tcss"
    TITLE = "Patches"

    class PatchesLoaded(Message):
        """The patches for the current filter, with hidden-text counts per patch."""

        def __init__(
            self,
            patches: list[Patch],
            hidden: dict[str, int],
            diffs: dict[str, StructuredDiff] | None = None,
            error: str | None = None,
            critical: set[str] | None = None,
        ) -> None:
            super().__init__()
            self.patches = patches  # in queue order: critical first, then newest first
            self.critical = critical or set()
            self.hidden = hidden
            self.diffs = diffs or {}
            self.error = error

    class MergeUndone(Message):
        """The last merge was undone: main is back at its pre-merge commit."""

        def __init__(self, result: UndoResult) -> None:
            super().__init__()
            self.result = result

    class Synced(Message):
        """A sync with the team's remote ended (``error`` when it was refused)."""

        def __init__(self, summary: str, error: str | None = None) -> None:
            super().__init__()
            self.summary = summary
            self.error = error

    class ReviewFailed(Message):
        """A merge, reject or undo was refused; nothing changed."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.filter = "pending"
        self.patches: dict[str, Patch] = {}
        self.hidden: dict[str, int] = {}
        self.diffs: dict[str, StructuredDiff] = {}
        self.critical: set[str] = set()
        self.loaded = False
        self.error: str | None = None
        self.me = ""  # "Name <email>": patches made by anyone else are marked with their author
        self.team = ""  # the sync status line: ahead/behind, patches from others
        self.syncing = False

    def compose(self) -> ComposeResult:
        yield NavBar("patches", "")
        with Horizontal(id="patches-body"):
            yield FitTable(COLUMNS, id="patch-table")
            with VerticalScroll(id="patch-side"):
                yield EvidencePanel(id="patch-evidence")
        yield Static("", id="patch-count", classes="muted", markup=False)
        yield Static("", id="patch-team", classes="muted", markup=False)
        yield MementoFooter()

    def on_mount(self) -> None:
        table = self.query_one("#patch-table", FitTable)
        self.query_one("#patch-side").border_title = "Evidence"
        self.memento.patches_changed.subscribe(self, lambda _: self.reload())
        self.reload()
        table.focus()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        self._load(self.filter)

    @work(thread=True, exclusive=True, exit_on_error=False, group="patches-list")
    def _load(self, status: str) -> None:
        try:
            store = self.services.patches()
            patches, critical = self._queue(list(reversed(store.list(status))))  # newest first
            hidden: dict[str, int] = {}
            diffs: dict[str, StructuredDiff] = {}
            pending = [p for p in patches if p.status == "pending"]
            worker = get_current_worker()
            for number, patch in enumerate(pending):
                if worker.is_cancelled:  # a newer reload replaced this one
                    return
                try:
                    diff = store.diff(patch.id)
                except MementoError:
                    hidden[patch.id] = 0
                    continue
                hidden[patch.id] = hidden_lines(diff)
                if number < PREFETCH:
                    diffs[patch.id] = diff
        except MementoError as err:
            self.post_message(self.PatchesLoaded([], {}, error=str(err)))
            return
        self.me, self.team = self._team_status()
        self.post_message(self.PatchesLoaded(patches, hidden, diffs, critical=critical))

    def _team_status(self) -> tuple[str, str]:
        """Who this is, and where the workspace stands with its remote (no network)."""
        from memento_tui.services.sync import sync_status

        try:
            me = "{} <{}>".format(*self.services.patches().repo.person())
            status = sync_status(self.services)
        except MementoError:
            return "", ""
        if status.remote is None:
            return me, ""
        others = f" · {status.others_pending} from teammates" if status.others_pending else ""
        return me, (f"{status.remote}: {status.ahead} ahead, {status.behind} behind{others} · S: sync")

    def _queue(self, patches: list[Patch]) -> tuple[list[Patch], set[str]]:
        """Critical patches first (the order is otherwise kept), and which ones they are."""
        from memento_tui.services.insights import critical_set, patch_queue

        try:
            marks = critical_set(self.services)
            ordered = patch_queue(self.services, patches)
        except MementoError as err:  # unreadable marks must not hide the queue
            self.app.call_from_thread(self.notify, str(err), title="Critical marks", severity="warning")
            return patches, set()
        critical = {p.id for p in ordered if marks.is_critical(p.evidence.run_id, p.evidence.task)}
        return ordered, critical

    @on(PatchesLoaded)
    def _loaded(self, message: PatchesLoaded) -> None:
        self.loaded = True
        self.error = message.error
        table = self.query_one("#patch-table", FitTable)
        self.patches = {p.id: p for p in message.patches}
        self.critical = message.critical
        self.hidden = message.hidden
        self.diffs = message.diffs
        rows = []
        for patch in self.patches.values():
            ev = patch.evidence
            flags = ("!" if patch.id in self.critical else " ") + ("⚠" if self.hidden.get(patch.id) else "")
            rows.append(
                (
                    patch.id,
                    {
                        "flags": flags,
                        "id": text_cell(patch.id),
                        "skill": text_cell(patch.skill),  # a new skill's name is a model's choice
                        "by": text_cell(_author(patch.made_by) if patch.made_by not in ("", self.me) else ""),
                        "status": patch.status,
                        "validated": "yes" if ev.validated else "no",
                        "replay": ev.replay.result.replace("-", " "),
                        "regressions": ev.regressions_text(),
                    },
                )
            )
        table.set_rows(rows)
        count = self.query_one("#patch-count", Static)
        if message.error:
            count.update(terminal_safe(f"cannot read the patches: {message.error}"))
        else:
            pending = sum(1 for p in self.patches.values() if p.status == "pending")
            count.update(
                f"{len(self.patches)} {self.filter} · f: filter ({' / '.join(FILTERS)})"
                + (f" · {pending} waiting for review" if self.filter == "all" else "")
                + (f" · {len(self.critical)} critical (!) first" if self.critical else "")
            )
        team = self.query_one("#patch-team", Static)
        team.update(terminal_safe(self.team, single_line=True))
        team.display = bool(self.team)  # no remote, no line
        self._show_current()
        self.refresh_bindings()

    @property
    def current_id(self) -> str | None:
        return self.query_one("#patch-table", FitTable).current_key

    def _show_current(self) -> None:
        panel = self.query_one("#patch-evidence", EvidencePanel)
        patch_id = self.current_id
        if patch_id is None:
            panel.update(
                terminal_safe(self.error or "")
                or f"No {self.filter} patches. When a run fails, learning proposes a fix here."
            )
            return
        panel.show(self.patches[patch_id], self.hidden.get(patch_id, 0), critical=patch_id in self.critical)

    @on(DataTable.RowHighlighted, "#patch-table")
    def _highlighted(self) -> None:
        self._show_current()

    @on(DataTable.RowSelected, "#patch-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        # The row enter was pressed on, even if a reload moved the cursor since.
        self._open(str(event.row_key.value))

    # -- actions -----------------------------------------------------------------------
    def why_not(self, action: str) -> str | None:
        if action == "open" and self.current_id is None:
            return f"no {self.filter} patch to open"
        if action == "sync" and self.syncing:
            return "a sync is already going"
        return None

    def action_open(self) -> None:
        if self.current_id is not None:
            self._open(self.current_id)

    def _open(self, patch_id: str) -> None:
        from memento_tui.ui.screens.review import ReviewScreen

        if patch_id in self.patches:
            self.app.push_screen(
                ReviewScreen(patch_id, patch=self.patches.get(patch_id), diff=self.diffs.get(patch_id))
            )

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.reload()

    def action_refresh(self) -> None:
        self.reload()

    def action_sync(self) -> None:
        self.syncing = True
        team = self.query_one("#patch-team", Static)
        team.update("syncing with the team's remote…")
        team.display = True
        self.refresh_bindings()
        self._sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def _sync(self) -> None:
        from memento_tui.services.sync import sync

        try:
            result = sync(self.services)
        except MementoError as err:
            self.post_message(self.Synced("", error=str(err)))
            return
        received = f", {len(result.new_patches)} patch(es) from teammates" if result.new_patches else ""
        self.post_message(self.Synced(f"main {result.how}; {len(result.pushed_patches)} patch(es) sent{received}"))

    @on(Synced)
    def _synced(self, message: Synced) -> None:
        self.syncing = False
        if message.error:
            self.notify(message.error, title="Sync: nothing changed", severity="error", timeout=10)
        else:
            self.notify(message.summary, title="Synced")
        self.reload()

    @on(MergeUndone)
    def _undone(self, message: MergeUndone) -> None:
        result = message.result
        self.notify(f"Undid the merge of {result.id}; main is at {result.restored[:10]}.", title="Undo")
        self.reload()

    @on(ReviewFailed)
    def _review_failed(self, message: ReviewFailed) -> None:
        self.notify(message.error, title="Nothing changed", severity="error", timeout=10)

"""Review one patch: the side-by-side diff, its failing step and evidence, and the decision.

Beside the diff: the failing step of the run the patch came from (the tool call, its
output, the check's verdict), the runs behind the patch (``t`` or enter opens a trace),
and the full evidence. The diff comes first: where the panel does not fit beside it
(review_layout.py) it folds under the diff, hidden until ``c`` shows it; ``c`` hides it
at any width, ``i`` shows it at the evidence.

Merge, reject and undo each ask first (a modal), run in a thread worker, and end in a
past-tense message (``PatchMerged``, ``PatchRejected``, ``MergeUndone``) or
``ReviewFailed`` with the reason nothing changed. ``e`` opens the patched file in the
person's editor; a saved change becomes a new patch (the original stays as it was).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import OptionList, Static

from memento_tui.domain.errors import MementoError
from memento_tui.domain.patches.diff import StructuredDiff
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.screens.dialogs import ConfirmScreen, ReasonScreen
from memento_tui.ui.screens.review_edit import EditPatch
from memento_tui.ui.screens.review_layout import head_parts, side_width
from memento_tui.ui.screens.undo import UndoLastMerge
from memento_tui.ui.widgets.diff_view import DiffView
from memento_tui.ui.widgets.evidence import evidence_line
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.review_side import ReviewSide

if TYPE_CHECKING:
    from memento_tui.domain.patches.model import MergeResult, Patch, Rejection, UndoResult


class ReviewScreen(EditPatch, UndoLastMerge, MementoScreen):
    SCOPE = "review"
    CSS_PATH = "review.tcss"
    TITLE = "Review"

    class DiffLoaded(Message):
        """The patch and its structured diff were read."""

        def __init__(self, patch: Patch, diff: StructuredDiff) -> None:
            super().__init__()
            self.patch = patch
            self.diff = diff

    class PatchMerged(Message):
        """The patch is on main now (undo with u)."""

        def __init__(self, result: MergeResult) -> None:
            super().__init__()
            self.result = result

    class PatchRejected(Message):
        """The patch was rejected; its reason is kept for later reflections."""

        def __init__(self, rejection: Rejection) -> None:
            super().__init__()
            self.rejection = rejection

    class MergeUndone(Message):
        """The last merge was undone."""

        def __init__(self, result: UndoResult) -> None:
            super().__init__()
            self.result = result

    class ReviewFailed(Message):
        """A step was refused or failed; nothing changed."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, patch_id: str, *, patch: Patch | None = None, diff: StructuredDiff | None = None) -> None:
        """``patch`` and ``diff``, when the queue already read them, show without waiting."""
        super().__init__()
        self.patch_id = patch_id
        self.patch: Patch | None = None
        # Empty until the patch's diff arrives: every key's check may ask it before then.
        self.diff = StructuredDiff(base="", head="")
        self._prefetched = (patch, diff) if patch is not None and diff is not None else None
        self.busy = False
        self.merged_here = False
        # The person's c: shown or hidden whatever the width; None until they press it.
        self.side_wanted: bool | None = None

    def compose(self) -> ComposeResult:
        yield Static(terminal_safe(f"patch {self.patch_id}", single_line=True), id="review-head", markup=False)
        yield Static("", id="review-summary", markup=False)
        yield Static("", id="hidden-banner", classes="warning-banner hidden", markup=False)
        with Horizontal(id="review-body"):
            # A diff the queue already read is painted in the first frame.
            # The last review's split/unified and wrap choices carry over to this one.
            layout, wrap = self.memento.review_view
            self.diff_view = DiffView(
                self._prefetched[1] if self._prefetched else None, layout=layout, wrap=wrap, id="diff"
            )
            yield self.diff_view
            # Runs, failing step and evidence: the panel's contents come after the first frame.
            yield ReviewSide(id="review-side")
        yield MementoFooter()

    def on_mount(self) -> None:
        # The panel fills in right after the diff's first frame: the change is what a
        # reviewer reads first, and it paints sooner without the panel's contents.
        self._lay_out_side()
        self.diff_view.focus()
        if self._prefetched is not None:
            self._apply(*self._prefetched)  # before the first frame: one paint, not two
        else:
            self._load(self.patch_id)

    # -- loading -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="review-load")
    def _load(self, patch_id: str) -> None:
        try:
            store = self.services.patches()
            patch = store.get(patch_id)
            diff = store.diff(patch.id)
        except MementoError as err:
            self.post_message(self.ReviewFailed(str(err)))
            return
        self.post_message(self.DiffLoaded(patch, diff))

    @on(DiffLoaded)
    def _loaded(self, message: DiffLoaded) -> None:
        self._apply(message.patch, message.diff)

    def _apply(self, patch: Patch, diff: StructuredDiff) -> None:
        self.patch = patch
        self.diff = diff
        view = self.diff_view
        if view.diff is not diff or not view.loaded:
            view.set_diff(diff)
        self._side().show_patch(self.patch, view.hidden_count)
        self.query_one("#review-summary", Static).update(evidence_line(self.patch))
        banner = self.query_one("#hidden-banner", Static)
        if view.hidden_count:
            banner.update(
                f"⚠ {view.hidden_count} changed line(s) contain invisible or control characters "
                "(bidi, zero-width, tags, escapes), shown as ⟨U+…⟩: read them before you merge."
            )
        banner.set_class(not view.hidden_count, "hidden")
        if view.hunk_count:
            view.go_to_hunk(0)
        self._lay_out_side()  # the line numbers' width is known now
        self._head()
        self.refresh_bindings()

    def _head(self) -> None:
        """Skill, status, where the cursor is, the counts, then the id: what a narrow
        terminal cuts off is what the reviewer needs least."""
        if self.patch is None:
            return
        parts = head_parts(self.patch, self.diff, self.view)
        head = self.query_one("#review-head", Static)
        joint = "  ·  " if self.app.size.width >= 120 else " · "
        # The skill and the file path are a model's choice.
        head.update(terminal_safe(joint.join(parts), single_line=True))
        head.set_class(self.patch.status == "merged", "-merged")
        head.set_class(self.patch.status == "rejected", "-rejected")

    @property
    def view(self) -> DiffView | None:
        """The diff view, once its diff has arrived (asked for by every key's check: kept,
        not queried)."""
        view = getattr(self, "diff_view", None)
        return view if view is not None and view.loaded else None

    @on(DiffView.HunkChanged)
    def _hunk_changed(self, message: DiffView.HunkChanged) -> None:
        self._head()

    # -- what can run now --------------------------------------------------------------
    def why_not(self, action: str) -> str | None:
        if action in ("back", "show_evidence", "toggle_context", "undo", "toggle_wrap"):
            return None
        if self.patch is None:
            return "the patch is still loading"
        if action == "open_trace" and not self._side().links:
            return "this patch names no runs (no failed run, no replay)"
        view = self.view
        if action in ("next_hunk", "prev_hunk") and (view is None or not view.hunk_count):
            return "this patch has no line changes"
        if action in ("next_file", "prev_file") and len(self.diff.files) < 2:
            return "this patch changes one file"
        if action in ("merge", "reject", "edit"):
            if self.busy:
                return "wait: the last step is still running"
            if self.patch.status != "pending":
                return f"this patch is already {self.patch.status}"
        if action == "edit" and view is not None:
            fdiff = self.diff.files[view.current_file] if self.diff.files else None
            if fdiff is None or fdiff.is_deleted or fdiff.binary:
                return "the file under the cursor is deleted or binary; there is nothing to edit"
        return None

    # -- navigation --------------------------------------------------------------------
    def action_back(self) -> None:
        # Like lazygit, esc pops one level: from the runs list back to the diff first.
        if isinstance(self.focused, OptionList):
            self.diff_view.focus()
            return
        self.app.pop_screen()

    def action_next_hunk(self) -> None:
        if (view := self.view) is not None:
            if view.current_hunk + 1 >= view.hunk_count:
                self.notify("That was the last hunk.", timeout=2)
                return
            view.go_to_hunk(view.current_hunk + 1)

    def action_prev_hunk(self) -> None:
        if (view := self.view) is not None:
            if view.current_hunk == 0:
                self.notify("That was the first hunk.", timeout=2)
                return
            view.go_to_hunk(view.current_hunk - 1)

    def action_next_file(self) -> None:
        if (view := self.view) is not None:
            view.go_to_file(min(view.current_file + 1, len(self.diff.files) - 1))

    def action_prev_file(self) -> None:
        if (view := self.view) is not None:
            view.go_to_file(max(view.current_file - 1, 0))

    def action_toggle_layout(self) -> None:
        if (view := self.view) is not None:
            view.mode = "unified" if view.mode == "split" else "split"
            self._remember(view)
            self._lay_out_side()  # one column needs less room: the panel may fit beside now
            self._head()

    def _remember(self, view: DiffView) -> None:
        self.memento.review_view = (view.mode, view.wrap)

    def action_toggle_wrap(self) -> None:
        view = self.diff_view
        view.wrap = not view.wrap
        self._remember(view)
        self._head()
        self.notify(
            "Long lines wrap inside each side."
            if view.wrap
            else "Long lines run on: ←/→ move half a side; › marks more to the right.",
            timeout=3,
        )

    def action_toggle_context(self) -> None:
        self.side_wanted = self._side().has_class("hidden")
        self._lay_out_side()

    def action_show_evidence(self) -> None:
        self.side_wanted = True
        self._lay_out_side()
        self._side().scroll_to_evidence()

    def on_resize(self) -> None:
        self._lay_out_side()
        self._head()

    def _side(self) -> ReviewSide:
        return self.query_one("#review-side", ReviewSide)

    def _lay_out_side(self) -> None:
        """Beside the diff when both fit, else under it; shown by default only beside."""
        view = self.diff_view
        width = side_width(self.app.size.width, view.mode, view.rows.number_width)
        shown = width > 0 if self.side_wanted is None else self.side_wanted
        side = self._side()
        self.query_one("#review-body").set_class(not width, "-below")
        if width:
            side.styles.width = width
        else:
            side.styles.clear_rule("width")  # the stylesheet's width under the diff
        side.set_class(not shown, "hidden")
        if not shown and isinstance(self.focused, OptionList):
            view.focus()

    def action_open_trace(self) -> None:
        chosen = self._side().choice()
        if chosen is not None:
            self._run_chosen(chosen)

    @on(ReviewSide.RunChosen)
    def _run_chosen(self, message: ReviewSide.RunChosen) -> None:
        from memento_tui.ui.screens.trace import TraceScreen

        self.app.push_screen(TraceScreen(message.run_id, step=message.step))

    # -- decisions ---------------------------------------------------------------------
    def action_merge(self) -> None:
        if (patch := self.patch) is None:
            return
        ev = patch.evidence
        detail = (
            f"{patch.skill}: {len(self.diff.files)} file(s), +{self.diff.additions} −{self.diff.deletions}. "
            f"Validated: {'yes' if ev.validated else 'NO'}; replay {ev.replay_text()}; "
            f"regressions {ev.regressions_text()}. Undo with u."
        )
        view = self.view
        if view is not None and view.hidden_count:
            detail = f"⚠ {view.hidden_count} line(s) contain hidden characters. " + detail

        def answered(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self._merge(patch.id)

        self.app.push_screen(ConfirmScreen(f"Merge patch {patch.id} into main?", detail, yes="Merge"), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def _merge(self, patch_id: str) -> None:
        try:
            result = self.services.patches().merge(patch_id)
        except MementoError as err:
            self.post_message(self.ReviewFailed(str(err)))
            return
        self.post_message(self.PatchMerged(result))

    @on(PatchMerged)
    def _merged(self, message: PatchMerged) -> None:
        self.busy = False
        self.merged_here = True
        where = "your checkout was updated" if message.result.checked_out else "main was updated"
        self.notify(f"Merged {message.result.id}; {where}. Press u to undo.", title="Merged")
        self._load(self.patch_id)

    def action_reject(self) -> None:
        if (patch := self.patch) is None:
            return

        def answered(reason: str | None) -> None:
            if reason:
                self.busy = True
                self._reject(patch.id, reason)

        self.app.push_screen(
            ReasonScreen(
                f"Reject patch {patch.id}?",
                "Why? Later reflections on this skill read the reason, so the idea is not proposed again.",
                ok="Reject",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def _reject(self, patch_id: str, reason: str) -> None:
        try:
            rejection = self.services.patches().reject(patch_id, reason)
        except MementoError as err:
            self.post_message(self.ReviewFailed(str(err)))
            return
        self.post_message(self.PatchRejected(rejection))

    @on(PatchRejected)
    def _rejected(self, message: PatchRejected) -> None:
        self.busy = False
        self.notify(f"Rejected {message.rejection.id}.", title="Rejected")
        self.app.pop_screen()

    def undo_started(self) -> None:
        self.busy = True

    @on(MergeUndone)
    def _undone(self, message: MergeUndone) -> None:
        self.busy = False
        self.notify(f"Undid the merge of {message.result.id}.", title="Undo")
        if message.result.id == self.patch_id:
            self._load(self.patch_id)

    @on(ReviewFailed)
    def _failed(self, message: ReviewFailed) -> None:
        self.busy = False
        if self.patch is None:
            self.query_one("#review-head", Static).update(
                terminal_safe(f"patch {self.patch_id}: cannot be shown", single_line=True)
            )
            self._side().show_error(message.error)
        self.notify(message.error, title="Nothing changed", severity="error", timeout=10)

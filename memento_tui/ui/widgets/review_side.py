"""The side panel of the review, beside the diff: the runs behind the patch (the failed run,
the replay, each regression — enter opens a trace), the failing step of the run the patch
was made from (the tool call, its output, the check's verdict), and the full evidence.

The runs list sits above the scrolling part so it is always in view and next in the focus
chain after the diff. The trace is read in a thread worker; the panel only shows what it
is handed. Everything in it went through ``terminal_safe`` (domain/agent/failing_step.py):
tool output is whatever a script printed.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from memento_tui.domain.agent.failing_step import (
    FailingStep,
    RunLink,
    failing_step_for,
    failing_step_lines,
    linked_runs,
    run_link_line,
)
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.ui.widgets.evidence import EvidencePanel

if TYPE_CHECKING:
    from memento_tui.domain.patches.model import Patch, PatchEvidence


def hanging_wrap(lines: list[str], width: int) -> list[str]:
    """Wrap each line to ``width``, continuing under its own indent plus two (output and
    arguments stay readable as blocks in a narrow panel)."""
    out: list[str] = []
    width = max(width, 12)
    for line in lines:
        if cell_len(line) <= width:
            out.append(line)
            continue
        body = line.lstrip(" ")
        lead = " " * min(len(line) - len(body), width // 2)
        out += textwrap.wrap(
            body,
            width=width,
            initial_indent=lead,
            subsequent_indent=lead + "  ",
            break_on_hyphens=False,
        ) or [line]
    return out


class HangingLines(Widget):
    """Lines of text wrapped with a hanging indent to the widget's width."""

    DEFAULT_CSS = "HangingLines { height: auto; }"

    def __init__(self, text: str = "", **kw: Any) -> None:
        super().__init__(**kw)
        self.lines = text.split("\n")

    def set_lines(self, lines: list[str]) -> None:
        self.lines = lines
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(hanging_wrap(self.lines, width))

    def render(self) -> Text:
        return Text("\n".join(hanging_wrap(self.lines, self.content_size.width)), no_wrap=True, overflow="crop")


class RunList(OptionList):
    """The runs behind the patch; j/k move as in every other list."""

    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False, id="list-down", tooltip="The next row"),
        Binding("k", "cursor_up", "Up", show=False, id="list-up", tooltip="The row above"),
    ]


class ReviewSide(Vertical):
    """Runs, failing step and evidence (the screen shows or hides the whole panel)."""

    class FailingStepLoaded(Message):
        """The failed run's trace was read and its failing step chosen."""

        def __init__(self, patch_id: str, failing: FailingStep) -> None:
            super().__init__()
            self.patch_id = patch_id
            self.failing = failing

    class RunChosen(Message):
        """Enter on a run in the list: open its trace (at ``step`` for the failed run)."""

        def __init__(self, run_id: str, step: int | None = None) -> None:
            super().__init__()
            self.run_id = run_id
            self.step = step

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.patch_id: str | None = None
        self.links: list[RunLink] = []
        self.failing: FailingStep | None = None
        # What to show once the children exist: the panel takes its width in the screen's
        # first frame (so the diff is laid out once) and fills in right after it.
        self._first: tuple[Any, int, str | None] = (None, 0, None)
        self._to_evidence = False  # i was pressed before the children were there
        self._ready = False  # children mounted

    def on_mount(self) -> None:
        self.call_after_refresh(self._fill)

    async def _fill(self) -> None:
        await self.mount_all(self._children())
        self._ready = True
        patch, hidden, error = self._first
        if patch is not None:
            self.show_patch(patch, hidden)
        elif error:
            self.show_error(error)
        if self._to_evidence:
            self.scroll_to_evidence()

    def _children(self) -> list[Widget]:
        return [
            Static("Runs  (t or enter: trace)", id="runs-title", classes="side-title", markup=False),
            RunList(id="review-runs"),
            VerticalScroll(
                Static("Failing step", id="failing-title", classes="side-title", markup=False),
                HangingLines("reading the trace…", id="failing-step"),
                Static("Evidence", id="evidence-title", classes="side-title", markup=False),
                EvidencePanel(id="review-evidence"),
                id="review-side-scroll",
            ),
        ]

    def scroll_to_evidence(self) -> None:
        """Bring the evidence to the top of the panel's scrolling part."""
        if not self._ready:
            self._to_evidence = True
            return
        scroll = self.query_one("#review-side-scroll", VerticalScroll)
        title = self.query_one("#evidence-title")
        self.call_after_refresh(lambda: scroll.scroll_to_widget(title, top=True, animate=False))

    # -- loading -----------------------------------------------------------------------
    def show_patch(self, patch: Patch, hidden: int = 0) -> None:
        """Show the runs and evidence at once; read the failing step in a worker (once per patch)."""
        if not self._ready:
            self._first = (patch, hidden, None)
            return
        self.query_one("#review-evidence", EvidencePanel).show(patch, hidden)
        self.links = linked_runs(patch.evidence)
        runs = self.query_one("#review-runs", OptionList)
        keep = self.current_run
        runs.clear_options()
        runs.add_options(
            [
                Option(Text(run_link_line(link), no_wrap=True, overflow="ellipsis"), id=str(i))
                for i, link in enumerate(self.links)
            ]
        )
        if self.links:
            ids = [link.run_id for link in self.links]
            runs.highlighted = ids.index(keep) if keep in ids else self.default_index()
        else:
            runs.add_option(Option(Text("no runs recorded"), disabled=True))
        if patch.id != self.patch_id:
            self.patch_id = patch.id
            self.failing = None
            self.query_one("#failing-step", HangingLines).set_lines(["reading the trace…"])
            self._load(patch.id, patch.evidence)

    def show_error(self, error: str) -> None:
        if not self._ready:
            self._first = (None, 0, error)
            return
        self.query_one("#review-evidence", EvidencePanel).update(error)

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-context")
    def _load(self, patch_id: str, evidence: PatchEvidence) -> None:
        store = self.app.services.runs()  # type: ignore[attr-defined]
        self.post_message(self.FailingStepLoaded(patch_id, failing_step_for(evidence, store)))

    @on(FailingStepLoaded)
    def _loaded(self, message: FailingStepLoaded) -> None:
        if message.patch_id != self.patch_id:
            return
        self.failing = message.failing
        run_id = message.failing.run_id
        self.query_one("#failing-title", Static).update(
            terminal_safe("Failing step" + (f" · run {run_id}" if run_id else ""))
        )
        self.query_one("#failing-step", HangingLines).set_lines(failing_step_lines(message.failing))

    # -- the runs list -----------------------------------------------------------------
    def default_index(self) -> int:
        """The replay when there is one (what the fix did), else the failed run."""
        for i, link in enumerate(self.links):
            if link.role == "replay":
                return i
        return 0

    @property
    def current_run(self) -> str | None:
        """The run under the list's cursor (the replay until the person moves it)."""
        index = self._current_index()
        return None if index is None else self.links[index].run_id

    def _current_index(self) -> int | None:
        if not self.links:
            return None
        index = self.query_one("#review-runs", OptionList).highlighted
        if index is None or not 0 <= index < len(self.links):
            index = self.default_index()
        return index

    def choice(self, index: int | None = None) -> RunChosen | None:
        """The run to open (the one under the cursor by default), with the failing step
        when it is the failed run."""
        index = self._current_index() if index is None else index
        if index is None or not 0 <= index < len(self.links):
            return None
        link = self.links[index]
        failing = self.failing
        step = None
        if link.role == "failed run" and failing is not None and failing.call is not None:
            step = failing.call.step
        return self.RunChosen(link.run_id, step)

    @on(OptionList.OptionSelected, "#review-runs")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if (chosen := self.choice(event.option_index)) is not None:
            self.post_message(chosen)

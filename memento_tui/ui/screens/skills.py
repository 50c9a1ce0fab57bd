"""Skills: the library, searched as you type through the real retrieval.

First paint shows names only (one ``scandir``); a worker then reads every SKILL.md and the
run history and fills in success rates and broken skills; the highlighted skill is read
on its own. So 10k skills cost a directory listing before anything is on screen. Edits
made anywhere (the person's editor, git, another process) arrive from the watcher and
update just the skills they touched. A protected skill (learning never patches it) has a
🔒, whether its own SKILL.md or a glob in ``[learning] protected`` protects it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Markdown, Static
from textual.worker import get_current_worker

from memento_tui.domain.errors import SkillError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.skills import Skill, load_skill
from memento_tui.domain.skills.hidden_text import has_hidden, terminal_safe, unsafe_spots
from memento_tui.domain.skills.protection import protection_of
from memento_tui.domain.skills.success import NOT_USED, SkillSuccess, success_by_skill
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.screens.skill_detail import Entry, head_text, meta_text
from memento_tui.ui.widgets.footer import MementoFooter
from memento_tui.ui.widgets.nav_bar import NavBar
from memento_tui.ui.widgets.skill_list import NAME_WIDTH, SUCCESS_WIDTH, SkillList

if TYPE_CHECKING:
    from memento_tui.domain.config import Config
    from memento_tui.domain.retrieval import SearchHit

SEARCH_DELAY = 0.15  # seconds of quiet typing before a search runs
SEARCH_TOP_K = 50
SHOW_DELAY = 0.06  # seconds the cursor rests on a skill before it is read and shown


def scan_names(root: Path) -> list[str]:
    """Skill folder names, from one directory listing (no file is read)."""
    try:
        with os.scandir(root) as entries:
            return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())
    except OSError:
        return []


class SkillsScreen(MementoScreen):
    SCOPE = "skills"
    CSS_PATH = "skills.tcss"
    TITLE = "Skills"

    class SkillsListed(Message):
        """The folder names under skills/ (first paint)."""

        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

    class LibraryLoaded(Message):
        """Every skill read, with success counts from the runs."""

        def __init__(self, entries: dict[str, Entry], stats: dict[str, SkillSuccess] | None = None) -> None:
            super().__init__()
            self.entries = entries
            self.stats = stats or {}

    class SkillsUpdated(Message):
        """Some skills changed on disk and were read again (None: the folder is gone)."""

        def __init__(self, entries: dict[str, Entry | None]) -> None:
            super().__init__()
            self.entries = entries

    class SearchFinished(Message):
        """Retrieval answered a query."""

        def __init__(self, query: str, hits: list[SearchHit], error: str | None = None) -> None:
            super().__init__()
            self.query = query
            self.hits = hits
            self.error = error

    class SkillDetailsLoaded(Message):
        """The learned triggers of one skill (the index may take a moment to open)."""

        def __init__(self, name: str, triggers: list[str]) -> None:
            super().__init__()
            self.name = name
            self.triggers = triggers

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, Entry] = {}
        # Success figures by skill name, kept apart from the entries: a skill that was broken
        # when the library was read gets its figures back once it is fixed.
        self.stats: dict[str, SkillSuccess] = {}
        self.loaded = False
        self.search_text = ""
        self._shown_query: str | None = None  # the query whose hits the list shows
        self.hits: list[SearchHit] | None = None
        self.shown: str | None = None
        self._search_timer: Timer | None = None
        self._show_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("skills", f"workspace {self.services.paths.root.name}")
        with Horizontal(id="skills-body"):
            with Vertical(id="skills-left"):
                yield Input(placeholder="/ search skills (words, meaning, past tasks)", id="skill-search")
                yield Static(
                    f" {'skill':<{NAME_WIDTH - 1}}{'success':<{SUCCESS_WIDTH}}", id="skill-columns", markup=False
                )
                yield SkillList(id="skill-list")
                yield Static("", id="skill-count", classes="muted", markup=False)
            with VerticalScroll(id="skill-detail"):
                yield Static("", id="skill-name", markup=False)
                yield Static("", id="skill-head", markup=False)
                yield Static("", id="skill-hidden", classes="warning-banner hidden", markup=False)
                yield Static("", id="skill-meta", classes="muted", markup=False)
                yield Markdown("", id="skill-body")
        yield MementoFooter()

    def on_mount(self) -> None:
        # One directory listing before the first frame; every file is read after it.
        self.entries = {name: Entry(name) for name in scan_names(self.services.paths.skills)}
        self._fill_table()
        self.memento.skills_changed.subscribe(self, self._on_disk_change)
        self.memento.config_changed.subscribe(self, lambda _: self._config_changed())
        self.call_after_refresh(self._list)
        self.query_one("#skill-list", SkillList).focus()

    # -- loading -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="skills-list")
    def _list(self) -> None:
        self.post_message(self.SkillsListed(scan_names(self.services.paths.skills)))
        library = self.services.library()
        try:
            stats = success_by_skill(self.services.runs().list(include_replays=False))
        except Exception:  # run history is a nicety here; the list must still load
            stats = {}
        config = self.services.workspace.config
        entries = {skill.name: self._entry(skill.name, skill, stats, config) for skill in library}
        for broken in library.broken:
            entries[broken.name] = Entry(broken.name, error=str(broken.error))
        self.post_message(self.LibraryLoaded(entries, stats))

    @staticmethod
    def _entry(name: str, skill: Skill, stats: dict[str, SkillSuccess], config: Config) -> Entry:
        return Entry(name, skill=skill, figures=stats.get(name, NOT_USED), protection=protection_of(skill, config))

    @on(SkillsListed)
    def _listed(self, message: SkillsListed) -> None:
        if self.loaded:
            return
        self.entries = {name: Entry(name) for name in message.names}
        self._fill_table()

    @on(LibraryLoaded)
    def _library_loaded(self, message: LibraryLoaded) -> None:
        self.entries = message.entries
        self.stats = message.stats
        self.loaded = True
        self._fill_table()

    def _fill_table(self, *, to_top: bool = False) -> None:
        """``to_top``: put the cursor on the first row (a new search's best match) instead of
        keeping it on the skill it was on."""
        skills = self.query_one("#skill-list", SkillList)
        if self.hits is not None:
            items = [
                (hit.name, self.entries.get(hit.name, Entry(hit.name)).success, f"{hit.score:.2f}") for hit in self.hits
            ]
            skills.empty_text = terminal_safe(f"nothing matches {self.search_text!r}", single_line=True)
        else:
            items = [(e.name, e.success, e.state) for e in sorted(self.entries.values(), key=lambda e: e.name)]
            skills.empty_text = "no skills yet: make one with 'memento skills new NAME'"
        last = "score" if self.hits is not None else ""
        self.query_one("#skill-columns", Static).update(
            f" {'skill':<{NAME_WIDTH - 1}}{'success':<{SUCCESS_WIDTH}}{last}"
        )
        locked = {e.name for e in self.entries.values() if e.protection is not None}
        skills.set_items(items, keep=None if to_top else skills.current, locked=locked)
        self._count()
        if not items:
            if self._show_timer is not None:
                self._show_timer.stop()  # a skill highlighted a moment ago is no longer listed
            self._show(None)

    def _count(self) -> None:
        broken = sum(1 for e in self.entries.values() if e.error)
        text = f"{len(self.entries) - broken} skills" + (f" · {broken} broken" if broken else "")
        if not self.loaded:
            text += " · reading…"
        if self.hits is not None:
            text = f"{len(self.hits)} matches for {self.search_text!r} · " + text
        self.query_one("#skill-count", Static).update(terminal_safe(text, single_line=True))

    # -- the detail pane ---------------------------------------------------------------
    @on(SkillList.Highlighted)
    def _highlighted(self, event: SkillList.Highlighted) -> None:
        # Wait for the cursor to settle: holding a key down through 10k skills reads one.
        if self._show_timer is not None:
            self._show_timer.stop()
        self._show_timer = self.set_timer(SHOW_DELAY, lambda: self._show(event.name))

    def _show(self, name: str | None) -> None:
        if (self.shown is None) != (name is None):
            self.call_after_refresh(self.refresh_bindings)  # e acts only on a shown skill
        self.shown = name
        head = self.query_one("#skill-head", Static)
        meta = self.query_one("#skill-meta", Static)
        body = self.query_one("#skill-body", Markdown)
        banner = self.query_one("#skill-hidden", Static)
        if name is None:
            self.query_one("#skill-name", Static).update("")
            head.update(
                "No skill matches this search: the agent would work without one."
                if self.hits is not None and self.entries
                else "No skills yet: make one with 'memento skills new NAME'."
            )
            meta.update("")
            body.update("")
            banner.add_class("hidden")
            return
        entry = self.entries.get(name, Entry(name))
        skill = entry.skill
        if skill is None and entry.error is None:
            try:  # the library is still loading: read this one now
                skill = load_skill(self.services.paths.skill_dir(name))
            except SkillError as err:
                entry.error = str(err)
        # A folder name is anyone's choice: a broken skill shows it as it is on disk.
        self.query_one("#skill-name", Static).update(terminal_safe(name, single_line=True))
        if entry.error is not None:
            head.update(f"BROKEN\n\n{terminal_safe(entry.error)}")
            head.set_class(True, "-broken")
            meta.update(terminal_safe(self._relative(self.services.paths.skill_dir(name) / SKILL_FILE)))
            body.update("")
            banner.add_class("hidden")
            return
        assert skill is not None
        head.set_class(False, "-broken")
        self.query_one("#skill-name", Static).update(terminal_safe(skill.name, single_line=True))
        head.update(head_text(skill, entry))
        # The description counts what a YAML escape put there, not only what the file shows.
        hidden = has_hidden(skill.body) or bool(unsafe_spots(skill.description))
        banner.set_class(not hidden, "hidden")
        banner.update("⚠ This skill contains invisible or control characters; they are shown as ⟨U+…⟩ markers.")
        meta.update(meta_text(skill, self._relative(skill.skill_file), None))
        body.update(terminal_safe(skill.body))
        self._details(name)

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.services.paths.root))
        except ValueError:
            return str(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="skill-details")
    def _details(self, name: str) -> None:
        try:
            triggers = list(self.services.index().triggers(name))
        except Exception:
            triggers = []
        self.post_message(self.SkillDetailsLoaded(name, triggers))

    @on(SkillDetailsLoaded)
    def _details_loaded(self, message: SkillDetailsLoaded) -> None:
        entry = self.entries.get(message.name)
        if message.name != self.shown or entry is None or entry.skill is None:
            return
        skill_file = self._relative(entry.skill.skill_file)
        self.query_one("#skill-meta", Static).update(meta_text(entry.skill, skill_file, message.triggers))

    # -- search ------------------------------------------------------------------------
    @on(Input.Changed, "#skill-search")
    def _typed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()
        if self._search_timer is not None:
            self._search_timer.stop()
        if not self.search_text:
            self.hits = None
            self._shown_query = None
            self._fill_table()
            return
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._search(self.search_text))

    @on(Input.Submitted, "#skill-search")
    def _search_submitted(self) -> None:
        self.query_one("#skill-list", SkillList).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="skills-search")
    def _search(self, query: str) -> None:
        try:
            hits = self.services.index().search(query, top_k=SEARCH_TOP_K)
        except Exception as err:
            self.post_message(self.SearchFinished(query, [], f"{type(err).__name__}: {err}"))
            return
        self.post_message(self.SearchFinished(query, list(hits)))

    @on(SearchFinished)
    def _searched(self, message: SearchFinished) -> None:
        if message.query != self.search_text:
            return  # a newer query is on its way
        if message.error:
            self.notify(message.error, title="Search failed", severity="error")
        new_query = message.query != self._shown_query
        self.hits = message.hits
        self._shown_query = message.query
        self._fill_table(to_top=new_query)

    # -- live --------------------------------------------------------------------------
    def _on_disk_change(self, names: set[str]) -> None:
        self._reload(sorted(names))

    @work(thread=True, exclusive=False, exit_on_error=False, group="skills-reload")
    def _reload(self, names: list[str]) -> None:
        out: dict[str, Entry | None] = {}
        worker = get_current_worker()
        for name in names:
            if worker.is_cancelled:
                return
            folder = self.services.paths.skill_dir(name)
            if not folder.exists():
                out[name] = None
                continue
            try:
                out[name] = self._entry(name, load_skill(folder), self.stats, self.services.workspace.config)
            except SkillError as err:
                out[name] = Entry(name, error=str(err))
        self.post_message(self.SkillsUpdated(out))

    @on(SkillsUpdated)
    def _updated(self, message: SkillsUpdated) -> None:
        for name, entry in message.entries.items():
            if entry is None:
                self.entries.pop(name, None)
            else:
                self.entries[name] = entry
        self.entries = dict(sorted(self.entries.items()))
        if self.search_text:
            self._search(self.search_text)
        else:
            self._fill_table()
        if self.shown in message.entries:
            self._show(self.shown)

    def _config_changed(self) -> None:
        # A glob added to (or taken from) [learning] protected shows at once.
        config = self.services.workspace.config
        for entry in self.entries.values():
            entry.protection = None if entry.skill is None else protection_of(entry.skill, config)
        self._fill_table()
        if self.shown is not None:
            self._show(self.shown)

    # -- actions -----------------------------------------------------------------------
    def why_not(self, action: str) -> str | None:
        if action == "edit" and not self.shown:
            return "no skill is selected"
        return None

    def action_focus_search(self) -> None:
        self.query_one("#skill-search", Input).focus()

    def action_refresh(self) -> None:
        self.loaded = False
        self._list()

    def action_edit(self) -> None:
        from memento_tui.ui.editor import open_in_editor

        if not self.shown:
            return
        path = self.services.paths.skill_dir(self.shown) / SKILL_FILE
        problem = open_in_editor(self.app, path)
        if problem:
            self.notify(problem, title="Edit", severity="warning")
        # The watcher will also report it; reading it now shows it without waiting.
        self._reload([self.shown])

"""The full-screen app: five screens (modes), one action registry, live updates.

``make_app(services)`` builds it for the CLI and the tests alike. The app owns what is
shared across screens: the keymap from ``[keys]``, the command palette, ``?`` help, and
the news from disk (skills edited anywhere, patch branches made by a headless run), which
it passes on to the screens through two signals.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App
from textual.filter import LineFilter
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.signal import Signal
from textual.widgets import Input

from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.services.factory import Services
from memento_tui.ui.actions import action_name, bindings_for, check_keymap
from memento_tui.ui.hidden_filter import HiddenTextFilter
from memento_tui.ui.palette import ActionsProvider
from memento_tui.ui.screens.base import MementoScreen
from memento_tui.ui.screens.help import HelpScreen
from memento_tui.ui.screens.insights import InsightsScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.screens.run import RunScreen
from memento_tui.ui.screens.runs import RunsScreen
from memento_tui.ui.screens.skills import SkillsScreen
from memento_tui.ui.widgets.diff_rows import Layout

if TYPE_CHECKING:
    from memento_tui.ui.host import MementoHost

POLL_SECONDS = 2.0
# Editors and git write a burst of files at once: one notice after they stop.
WATCH_DEBOUNCE = 0.15
# Young collections every 10,000 net allocations instead of Python's 700. Painting a big
# diff allocates thousands of short-lived objects a frame; with the default, collections of
# the whole heap (70-100 ms with a 2,000-line diff open, seen in benchmarks/tui.py) landed
# inside a keypress. The older generations keep their defaults. And no collection at all
# until the first frame is painted: a screen that reads 10k skills makes a large heap that
# is all long-lived, and two full collections of it cost a second of the first paint
# (1.2 s -> 0.08 s at 10k skills); then that heap is frozen (gc.freeze), so later full
# collections never scan it again.
GC_YOUNG_THRESHOLD = 10_000


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


class MementoApp(App[None]):
    TITLE = "Memento"
    CSS_PATH: ClassVar = [
        "app.tcss",
        "widgets/diff_view.tcss",
        "widgets/run_stream.tcss",
        "widgets/skill_list.tcss",
    ]
    BINDINGS: ClassVar = bindings_for("app")
    COMMANDS: ClassVar = App.COMMANDS | {ActionsProvider}
    MODES: ClassVar = {
        "run": RunScreen,
        "skills": SkillsScreen,
        "patches": PatchesScreen,
        "runs": RunsScreen,
        "insights": InsightsScreen,
    }
    DEFAULT_MODE = "run"
    # Classes on every screen by terminal width: side panels give way to the main view
    # (see each screen's .tcss). The review places its panel itself (review_layout.py).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (140, "-wide")]  # noqa: RUF012 (App declares it so)

    class SkillsChanged(Message):
        """Files under skills/ changed: an editor, git, another memento process."""

        def __init__(self, names: set[str]) -> None:
            super().__init__()
            self.names = names

    class PatchesChanged(Message):
        """Patch branches or review decisions changed on disk."""

    def __init__(self, services: Services, *, live: bool = True, mode: str | None = None) -> None:
        if mode is not None:
            if mode not in self.MODES:
                raise ValueError(f"no screen {mode!r}; the screens are {', '.join(self.MODES)}")
            # The first screen built is the one asked for (an instance attribute on purpose).
            self.DEFAULT_MODE = mode  # type: ignore[misc]
        super().__init__()
        self.services = services
        self.live = live
        # Screens subscribe to these; the app publishes what the watchers report.
        self.skills_changed: Signal[set[str]] = Signal(self, "skills-changed")
        self.patches_changed: Signal[None] = Signal(self, "patches-changed")
        self.config_changed: Signal[None] = Signal(self, "config-changed")
        self._config_stamp: tuple[int, int] | None = None
        self._skills_watch: Any = None
        self._patch_stamp: tuple[object, ...] | None = None
        self._gc_threshold = gc.get_threshold()
        self._gc_was_enabled = gc.isenabled()
        self.hidden_filter = HiddenTextFilter()
        # The review's split/unified and wrap choices, kept for the next patch reviewed.
        self.review_view: tuple[Layout, bool] = ("split", True)

    # -- hidden text -----------------------------------------------------------------------
    def get_line_filters(self) -> Sequence[LineFilter]:
        # Every painted line of every widget passes through it: the net under the marking
        # each screen does itself.
        filters = list(super().get_line_filters())
        if self.hidden_filter.enabled:
            filters.append(self.hidden_filter)
        return filters

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications quote errors that name skills, files and runs: shown as plain
        text (no markup) with hidden characters marked."""
        super().notify(
            terminal_safe(message),
            title=terminal_safe(title, single_line=True),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # -- life ------------------------------------------------------------------------------
    def on_load(self) -> None:
        # Before anything is composed: the first screen's heap is built with no collection.
        self._gc_threshold = gc.get_threshold()
        self._gc_was_enabled = gc.isenabled()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *self._gc_threshold[1:])
        gc.disable()

    def on_mount(self) -> None:
        self.call_after_refresh(self._settle_heap)
        keys = dict(self.services.workspace.config.keys)
        problems = check_keymap(keys)
        for problem in problems:
            self.notify(f"{problem}\n{self.services.paths.config}", title="Key map", severity="warning")
        self.set_keymap({k: v for k, v in keys.items() if v.strip()})
        if self.live:
            self._start_watching()
            self.call_after_refresh(self.warm_index)  # after the first frame, not before it

    def _settle_heap(self) -> None:
        """After the first frame: what is alive now lives as long as the app; collect again."""
        gc.freeze()
        if self._gc_was_enabled:
            gc.enable()

    def _start_watching(self) -> None:
        from memento_tui.services.live import patch_stamp

        # The skills watcher starts with the index, after the first frame (warm_index).
        # Stamps taken now, before the screens load, so nothing made after is missed.
        self._patch_stamp = patch_stamp(self.services)
        self._config_stamp = _stamp(self.services.paths.config)
        self.set_interval(POLL_SECONDS, self._poll, name="poll")

    def _poll(self) -> None:
        """Cheap stats every few seconds: patch branches and the config file."""
        from memento_tui.services.live import patch_stamp

        stamp = patch_stamp(self.services)
        if stamp != self._patch_stamp:
            self.post_message(self.PatchesChanged())
        self._patch_stamp = stamp
        config = _stamp(self.services.paths.config)
        if config != self._config_stamp and not self.busy():
            self._config_stamp = config
            self.reload_config()

    def busy(self) -> bool:
        """A run or learning is under way (the config must not change under it)."""
        return any(w.group in ("run", "learn") and w.is_running for w in self.workers)

    def reload_config(self) -> None:
        try:
            self.services.reload_config()
        except MementoError as err:
            self.notify(str(err), title="The config has an error", severity="error", timeout=10)
            return
        self.config_changed.publish(None)
        self.notify("Config reloaded.", timeout=2)

    def on_unmount(self) -> None:
        gc.unfreeze()
        gc.set_threshold(*self._gc_threshold)
        if self._gc_was_enabled:
            gc.enable()
        if self._skills_watch is not None:
            self._skills_watch.stop()

    @on(SkillsChanged)
    def _skills_changed(self, message: SkillsChanged) -> None:
        self.skills_changed.publish(message.names)

    @on(PatchesChanged)
    def _patches_changed(self) -> None:
        self.patches_changed.publish(None)

    # -- actions ---------------------------------------------------------------------------
    def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_leave_box(self) -> None:
        """esc in a text box: the keys go back to the screen (1-5, ?, its actions)."""
        screen = self.screen
        others = [w for w in screen.focus_chain if not isinstance(w, Input)]
        screen.set_focus(others[0] if others else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_box":
            # Only a screen of the app's own: the palette's search box has its own esc.
            screen = self.screen
            return isinstance(screen, MementoScreen) and isinstance(screen.focused, Input)
        return True

    def why_not(self, action: str) -> str | None:
        return None

    async def on_key(self, event: events.Key) -> None:
        """A key bound to something that cannot run now says why, instead of nothing."""
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        why_not = getattr(active.node, "why_not", None)
        reason = why_not(action_name(active.binding.action)) if why_not else None
        if reason:
            self.notify(reason, title=active.binding.description, severity="warning", timeout=4)

    # -- shared helpers for screens --------------------------------------------------------
    def model_ready(self) -> str | None:
        """None when a model is configured, else what to do about it."""
        if not self.services.workspace.config.model.name:
            return "no model is configured: see the Run screen (1) for how to set one"
        return None

    @work(thread=True, exclusive=True, exit_on_error=False, group="warm-index")
    def warm_index(self) -> None:
        """Open (or build) the search index ahead of the first search, then watch skills/
        with it: the index is current before the screens hear of a change."""
        from memento_tui.domain.retrieval.watcher import SkillWatcher

        index = self.services.index()
        index.warm()
        if not self.live or self._skills_watch is not None:
            return

        def changed(names: set[str]) -> None:
            self.post_message(self.SkillsChanged(names))

        try:
            self._skills_watch = SkillWatcher(index, changed, debounce=WATCH_DEBOUNCE).start()
        except Exception as err:  # no inotify, too many watches: say so, keep working
            self.call_from_thread(
                self.notify,
                f"skills/ is not watched ({err}); reload with f5",
                severity="warning",
            )


def make_app(services: Services, *, live: bool = True, mode: str | None = None) -> MementoApp:
    return MementoApp(services, live=live, mode=mode)


if TYPE_CHECKING:

    def _is_a_host(app: MementoApp) -> MementoHost:  # mypy checks that the app meets what screens ask
        return app

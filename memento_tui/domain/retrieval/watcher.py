"""Keep a SkillIndex current while people edit skills: a watchdog watcher over ``skills/``,
the one the app, the MCP server, the tests and the benchmarks all use.

Editors save in many ways: write in place, write a temp file and rename it over SKILL.md,
delete and recreate. Whatever the events, the watcher only notes *which skill folder* was
touched; after a short quiet spell (the debounce) it asks the index to read each of them
again, and the index works out from the file itself whether the skill is new, changed or
gone. So no event sequence can leave the index believing something the files do not say.

The outcomes file in ``.memento/learned/`` is watched too, so rows taught by another process
(``memento skills teach`` next to a running TUI) count without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from memento_tui.domain.retrieval.index import SkillIndex

DEBOUNCE_SECONDS = 0.03
_SCRATCH_SUFFIXES = ("~", ".swp", ".swx", ".tmp")
LEARNED = "\0learned"  # a marker in the change set: the outcomes file changed


class SkillWatcher:
    """Watch ``skills/`` and keep ``index`` current; call ``on_change(names)`` after each batch.

    ``on_change`` runs on the watcher's thread: a TUI posts a message from it and does the
    widget work in its handler.
    """

    def __init__(
        self,
        index: SkillIndex,
        on_change: Callable[[set[str]], None] | None = None,
        *,
        debounce: float = DEBOUNCE_SECONDS,
    ) -> None:
        self.index = index
        self.on_change = on_change
        self.debounce = debounce
        self.skills_root = index.paths.skills
        self.learned_root = index.paths.learned
        self.errors: list[str] = []
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._observer: Any = None
        self._worker: threading.Thread | None = None

    def start(self) -> SkillWatcher:
        from watchdog import events as ev
        from watchdog.observers import Observer

        # Only events that can change a file's content or place. Without this filter inotify
        # also reports every open and read: watchdog's own walk of 10k skill folders while
        # adding its watches then overflows the kernel queue, and its recovery (another walk)
        # overflows it again, for ever.
        wanted = [
            ev.FileCreatedEvent,
            ev.DirCreatedEvent,
            ev.FileModifiedEvent,
            ev.FileClosedEvent,
            ev.FileMovedEvent,
            ev.DirMovedEvent,
            ev.FileDeletedEvent,
            ev.DirDeletedEvent,
        ]
        self.skills_root.mkdir(parents=True, exist_ok=True)
        self.learned_root.mkdir(parents=True, exist_ok=True)
        handler: Any = _Handler(self)
        observer = Observer()
        observer.schedule(handler, str(self.skills_root), recursive=True, event_filter=wanted)
        observer.schedule(handler, str(self.learned_root), recursive=False, event_filter=wanted)
        observer.daemon = True
        observer.start()
        self._observer = observer
        self._worker = threading.Thread(target=self._run, name="memento-watcher", daemon=True)
        self._worker.start()
        # Whatever changed before the observer was up is caught by one scan, and reported
        # like any event: a listener that took its picture of the library before start()
        # would otherwise never hear of a skill added in between.
        for name in self.index.refresh_names():
            self._add(name)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None
        if self._worker is not None:
            self._worker.join()
            self._worker = None

    def __enter__(self) -> SkillWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- events ------------------------------------------------------------------------------

    def note(self, path: str) -> None:
        """Note the skill folder (or the outcomes file) a changed path belongs to."""
        p = Path(path)
        try:
            rel = p.relative_to(self.skills_root)
        except ValueError:
            if p.parent == self.learned_root:
                self._add(LEARNED)
            return
        parts = rel.parts
        if not parts or parts[0].startswith("."):
            return
        # Any file of a skill counts (a screen lists its scripts), but not an editor's swap,
        # backup or lock file: those change nothing a reader sees. The index itself reads
        # SKILL.md again only when its stamp moved, so a script's save costs it a stat.
        leaf = parts[-1]
        if leaf.endswith(_SCRATCH_SUFFIXES) or leaf.startswith(".#"):
            return
        self._add(parts[0])

    def _add(self, name: str) -> None:
        with self._lock:
            self._names.add(name)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            # Debounce: wait until events stop arriving for a moment.
            while self._wake.is_set() and not self._stop.is_set():
                self._wake.clear()
                self._stop.wait(self.debounce)
            if self._stop.is_set():
                return
            with self._lock:
                names, self._names = self._names, set()
            if names:
                self._apply(names)

    def _apply(self, names: set[str]) -> None:
        changed: set[str] = set()
        for name in sorted(names):
            try:
                if name == LEARNED:
                    self.index.sync_learned()
                else:
                    self.index.update_skill(name)
                    changed.add(name)
            except Exception as err:  # a watcher thread must outlive one bad file
                self.errors.append(f"{name}: {err}")
        if self.on_change is not None:
            try:
                self.on_change(changed)
            except Exception as err:
                self.errors.append(f"on_change: {err}")


class _Handler:
    """The watchdog event handler; duck-typed so watchdog is imported only on start()."""

    def __init__(self, watcher: SkillWatcher) -> None:
        self.watcher = watcher

    def dispatch(self, event: Any) -> None:
        if getattr(event, "event_type", "") in ("opened", "closed_no_write"):
            return
        for path in (getattr(event, "src_path", ""), getattr(event, "dest_path", "")):
            if path:
                self.watcher.note(path.decode() if isinstance(path, bytes) else path)

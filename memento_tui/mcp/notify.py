"""Which skills were added, edited or removed while the server runs, so a connected client
hears of it without a restart.

The index's own watcher (domain/retrieval/watcher.py) notices a SKILL.md written by an
editor, a ``git checkout``, or a merged patch (main checked out: its files change), and
brings the index up to date first, so a ``find_skills`` made in answer to the news finds
the change. This module turns its batches into added / edited / removed names; the server
(server.py) sends the MCP notifications. Started after the server is answering: adding
inotify watches to 10k skill folders costs time the first answer should not wait for.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memento_tui.services.factory import Services


@dataclass(frozen=True)
class SkillChanges:
    added: frozenset[str]
    edited: frozenset[str]
    removed: frozenset[str]

    @property
    def list_changed(self) -> bool:
        # Descriptions are part of the list, so an edit changes it too.
        return bool(self.added or self.removed or self.edited)


WATCH_DELAY_SECONDS = 3.0


class SkillChangeWatch:
    def __init__(self, services: Services, on_changes: Callable[[SkillChanges], None]) -> None:
        self.services = services
        self.on_changes = on_changes
        self._known: set[str] = set()
        self._watcher: Any = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        """Start watching (blocking: call it from a thread of its own)."""
        from memento_tui.domain.retrieval.watcher import SkillWatcher

        index = self.services.index()
        with self._lock:
            if self._stopped:
                return
            self._known = set(index.skill_names())
            watcher = SkillWatcher(index, self._changed)
            self._watcher = watcher
        try:
            watcher.start()
        except OSError as err:  # inotify limits, a folder gone: searches still work
            print(
                f"memento mcp: skills are not watched ({err.strerror or err}); restart the server to see new skills",
                file=sys.stderr,
            )

    def start_in_background(
        self, after: threading.Event | None = None, at_most: float = WATCH_DELAY_SECONDS
    ) -> threading.Thread:
        """Start on a thread of its own, once ``after`` is set (or ``at_most`` seconds)."""

        def run() -> None:
            if after is not None:
                after.wait(at_most)
            self.start()

        thread = threading.Thread(target=run, name="memento-mcp-watch", daemon=True)
        thread.start()
        return thread

    def _changed(self, names: set[str]) -> None:
        now = set(self.services.index().skill_names())
        with self._lock:
            added = now - self._known
            removed = self._known - now
            self._known = now
        edited = (names & now) - added
        changes = SkillChanges(frozenset(added), frozenset(edited), frozenset(removed))
        if changes.list_changed:
            self.on_changes(changes)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

"""Live updates for long-lived front ends (the TUI): what changed on disk, without restart.

``SkillsWatch``   watchdog on ``skills/``: a burst of saves (an editor's write-rename, a git
                  checkout) becomes one call naming the skills touched, after a short quiet
                  spell. If the search index is open it is refreshed first, so a search made
                  in response sees the change.
``patch_stamp``   a cheap fingerprint of the patch branches and review decisions (a few
                  ``stat`` calls, no git process), polled to notice branches a headless
                  ``memento run`` made in another terminal.

Callbacks run on a watcher thread; the caller hands the news to its own loop.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from memento_tui.domain.patch_model import BRANCH_PREFIX
from memento_tui.services.factory import Services

DEBOUNCE_SECONDS = 0.25


class SkillsWatch:
    def __init__(
        self,
        services: Services,
        on_change: Callable[[set[str]], None],
        *,
        debounce: float = DEBOUNCE_SECONDS,
    ) -> None:
        self.services = services
        self.root = services.paths.skills
        self.on_change = on_change
        self.debounce = debounce
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watch = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                for raw in (event.src_path, getattr(event, "dest_path", "")):
                    if raw:
                        watch._touched(os.fsdecode(raw))

        self.root.mkdir(parents=True, exist_ok=True)
        observer = Observer()
        observer.daemon = True
        observer.schedule(Handler(), str(self.root), recursive=True)
        observer.start()
        self._observer = observer

    def _touched(self, path: str) -> None:
        try:
            rel = Path(path).relative_to(self.root)
        except ValueError:
            return
        if not rel.parts or rel.parts[0].startswith("."):
            return
        # Editor swap and backup files change nothing a reader sees.
        leaf = rel.parts[-1]
        if leaf.endswith(("~", ".swp", ".swx", ".tmp")) or leaf.startswith(".#"):
            return
        with self._lock:
            self._names.add(rel.parts[0])
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.debounce, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            names, self._names = self._names, set()
            self._timer = None
        if not names:
            return
        index = self.services._cache.get("index")
        if index is not None:
            # A broken index must not stop the news reaching the screen.
            with contextlib.suppress(Exception):
                index.refresh()
        self.on_change(names)

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None


def git_common_dir(root: Path) -> Path | None:
    """The repository's shared git folder, read from the files (no git process)."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = (root / text.removeprefix("gitdir:").strip()).resolve()
    try:
        common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return gitdir
    return (gitdir / common).resolve()


def _stat_key(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def patch_stamp(services: Services, common_dir: Path | None) -> tuple[object, ...]:
    """Changes when a patch branch appears, moves or goes, or a decision is recorded."""
    parts: list[object] = [
        _stat_key(services.paths.patches),
        _stat_key(services.paths.reviews),
    ]
    if common_dir is not None:
        parts.append(_stat_key(common_dir / "packed-refs"))
        # Branch tips at the top of refs/heads (main among them): a pending patch's diff
        # is taken against main, so main moving changes what the queue shows.
        heads = common_dir / "refs" / "heads"
        try:
            tops = sorted(e.name for e in os.scandir(heads) if e.is_file(follow_symlinks=False))
        except OSError:
            tops = []
        parts.extend((name, _stat_key(heads / name)) for name in tops)
        refs = common_dir / "refs" / "heads" / BRANCH_PREFIX.rstrip("/")
        for folder, dirs, files in os.walk(refs):
            dirs.sort()
            parts.append((folder, _stat_key(Path(folder))))
            for name in sorted(files):
                parts.append((name, _stat_key(Path(folder) / name)))
    return tuple(parts)

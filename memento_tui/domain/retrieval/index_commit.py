"""Committing a SkillIndex: the changes in the overlay (see overlay.py for why there is one)
and the outcome rows waiting go to disk, on a background thread after a burst of changes,
or at once on ``flush``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from memento_tui.domain.errors import MementoError
from memento_tui.domain.retrieval.engine import (
    KIND_FAILURE,
    KIND_SUCCESS,
    Engine,
    IndexBusy,
    learned_document,
    profile_document,
    skill_document,
    skill_id,
)
from memento_tui.domain.retrieval.index_state import IndexState, Row
from memento_tui.domain.retrieval.manifest import load_manifest, save_manifest
from memento_tui.domain.retrieval.overlay import Change

COALESCE_SECONDS = 0.02  # a burst of saves (an editor, a git checkout) becomes one commit


class Committer:
    """The background commit thread of one index, and the commit itself."""

    def __init__(self, state: IndexState) -> None:
        self.state = state
        self._dirty = threading.Event()
        self._closing = False  # guarded by the index's lock, like the thread
        self._thread: threading.Thread | None = None

    def schedule(self) -> None:
        """Commit soon, on the background thread (started on the first change)."""
        with self.state.lock:
            if self._closing:
                return
            self._dirty.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._commit_loop, name="memento-index", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop the background thread, waiting for a commit under way; nothing is scheduled after."""
        with self.state.lock:
            self._closing = True
            thread = self._thread
        self._dirty.set()
        if thread is not None:
            thread.join()

    def _commit_loop(self) -> None:
        # _closing is checked before every wait: stop() may set it while this thread is
        # between wait() and clear(), and its wake-up would be cleared away.
        while not self._closing:
            if not self._dirty.wait(timeout=1.0) or self._closing:
                continue
            time.sleep(COALESCE_SECONDS)
            self._dirty.clear()
            try:
                self.flush()
            except MementoError as err:
                self.state.notes.append(str(err))

    def flush(self) -> None:
        """Commit every pending change to disk now (the overlay already made them visible)."""
        state = self.state
        with state.commit_lock:
            with state.lock:
                batch = dict(state.pending)
                rows = list(state.learned_pending)
                skills, learned, profiles = state.skills, state.learned, state.profiles
                done = state.manifest.learned_size
            if (not batch and not rows) or skills is None or learned is None or profiles is None:
                return
            try:
                searcher = self._commit_skills(skills, batch) if batch else None
                learned_result = self._commit_learned(learned, profiles, rows, done) if rows else None
            except IndexBusy as err:
                raise MementoError(
                    "another memento process is writing the search index; changes are "
                    "searchable here but not saved in the index yet",
                    file=state.folder,
                    fix="nothing to do: they are saved on the next flush or the next open",
                ) from err
            with state.lock:
                for name, change in batch.items():
                    self._apply(name, change)
                    if state.pending.get(name) is change:
                        del state.pending[name]
                del state.learned_pending[: len(rows)]
                if searcher is not None:
                    state.searcher = searcher
                if learned_result is not None:
                    state.lsearcher, state.psearcher, size = learned_result
                    state.manifest.learned_size = size
                    state.manifest.learned_docs = int(state.lsearcher.num_docs)
                save_manifest(state.folder, state.manifest)

    def _apply(self, name: str, change: Change) -> None:
        """Record a committed change in the manifest and the lookup tables (lock held)."""
        state = self.state
        manifest = state.manifest
        if change.stamp is None:
            manifest.skills.pop(name, None)
        else:
            manifest.skills[name] = change.stamp
        if name in manifest.broken:
            manifest.broken.remove(name)
        if change.broken:
            manifest.broken.append(name)
        if change.doc is not None:
            manifest.ids[name] = sid = skill_id(name)
            state.names_by_id[sid] = name
            state.live.add(name)
        else:
            old = manifest.ids.pop(name, None)
            if old is not None:
                state.names_by_id.pop(old, None)
            state.live.discard(name)

    def _commit_skills(self, skills: Engine, batch: dict[str, Change]) -> Any:
        writer = skills.writer()
        for name, change in batch.items():
            # Deleting by name first makes this idempotent: two processes applying the same
            # edit leave one document.
            writer.delete_documents_by_term("id", name)
            if change.doc is not None:
                writer.add_document(skill_document(change.doc.name, change.doc.description, change.doc.body))
        writer.commit()
        writer.wait_merging_threads()
        return skills.reload()

    def _commit_learned(self, learned: Engine, profiles: Engine, rows: list[Row], done: int) -> tuple[Any, Any, int]:
        """Add the rows not yet in the learned index and renew the profiles they touch."""
        # Another process sharing the index may have added some of these rows already: its
        # manifest says how far into the file it got.
        on_disk = load_manifest(self.state.folder)
        done = max(done, on_disk.learned_size if on_disk else 0)
        todo = [(row, end) for row, end in rows if end > done]
        if todo:
            writer = learned.writer()
            for row, _ in todo:
                kind = KIND_SUCCESS if row.kind == "success" else KIND_FAILURE
                writer.add_document(learned_document(row.skill, kind, row.task))
            writer.commit()
            writer.wait_merging_threads()
            if any(row.kind == "success" for row, _ in todo):
                # Rewritten whole rather than per skill: a deleted document keeps counting in
                # tantivy's BM25 statistics until a merge, so per-skill updates would make the
                # ranking depend on the order outcomes arrived in (and `skills teach --from`
                # would not give what the same rows fed one by one give). It is one small
                # document per skill that has triggers.
                writer = profiles.writer()
                writer.delete_all_documents()
                store = self.state.store
                for skill in sorted({row.skill for row in store.rows if row.kind == "success"}):
                    writer.add_document(profile_document(skill, store.triggers(skill)))
                writer.commit()
                writer.wait_merging_threads()
        return learned.reload(), profiles.reload(), max(done, max(end for _, end in rows))

"""Writing a SkillIndex: changed skills and new outcome rows are queued in the overlay, where
a search sees them at once, and committed by index_commit.py a moment later.
"""

from __future__ import annotations

from memento_tui.domain.errors import SkillError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.retrieval import build
from memento_tui.domain.retrieval.index_commit import Committer
from memento_tui.domain.retrieval.index_read import IndexReader
from memento_tui.domain.retrieval.index_state import IndexState, Row, first_line
from memento_tui.domain.retrieval.learned import LearnedRow, LearnedStore
from memento_tui.domain.retrieval.manifest import save_manifest, scan_skills, stamp_of
from memento_tui.domain.retrieval.overlay import Change, PendingSkill
from memento_tui.domain.skills import load_skill


class IndexWriter:
    """The changes to one index (SkillIndex documents each); ``reader`` says which skill
    names exist, as a search would see them."""

    def __init__(self, state: IndexState, committer: Committer, reader: IndexReader) -> None:
        self.state = state
        self.committer = committer
        self.reader = reader

    # -- keeping current -------------------------------------------------------------------

    def refresh_names(self) -> set[str]:
        state = self.state
        stamps = scan_skills(state.paths.skills)
        with state.lock:
            known = dict(state.manifest.skills)
            for name, change in state.pending.items():
                if change.stamp is None:
                    known.pop(name, None)
                else:
                    known[name] = change.stamp
        changed = [name for name, stamp in stamps.items() if known.get(name) != stamp]
        removed = [name for name in known if name not in stamps]
        for name in changed:
            self.update_skill(name)
        for name in removed:
            self.remove_skill(name)
        self.sync_learned()
        return {*changed, *removed}

    def sync_learned(self) -> None:
        state = self.state
        size = LearnedStore.file_size(state.paths.learned)
        with state.lock:
            done = state.manifest.learned_size
        fresh = not state.store_loaded
        if size < done or (not fresh and size < state.store.size):
            self.rebuild_learned()
            return
        if fresh and size == done:
            return  # nothing new, and the file need not even be read
        store = state.store
        new = list(zip(store.rows, store.ends, strict=True)) if fresh else store.sync()
        self._queue_rows([(row, end) for row, end in new if end > done])

    def rebuild_learned(self) -> None:
        """The outcomes file was replaced or cut (a git checkout): index all of it again."""
        state = self.state
        store = state.store
        store.load()
        with state.commit_lock:
            learned, profiles = build.build_learned(state.folder, store.rows)
            with state.lock:
                state.learned, state.profiles = learned, profiles
                state.lsearcher, state.psearcher = learned.searcher(), profiles.searcher()
                state.learned_pending.clear()
                state.classifier.forget()
                manifest = state.manifest.model_copy(deep=True)
                manifest.learned_docs = int(state.lsearcher.num_docs)
                manifest.learned_size = store.size
                state.set_manifest(manifest)
                save_manifest(state.folder, manifest)
        # Outside the index lock: a search holds the vectors' lock while it takes that one.
        state.semantic.forget()
        state.forget_agent()
        state.notes.extend(str(problem) for problem in store.problems)

    def update_skill(self, name: str) -> None:
        _check_folder_name(name)
        folder = self.state.paths.skills / name
        stamp = stamp_of(folder / SKILL_FILE)
        if stamp is None:
            self.remove_skill(name)
            return
        try:
            skill = load_skill(folder, check_links=False)
        except SkillError as err:
            self.state.notes.append(f"not indexed: {first_line(err)}")
            self._queue(name, Change(0, stamp, None, broken=True))
            return
        self._queue(name, Change(0, stamp, PendingSkill.make(skill.name, skill.description, skill.body)))

    def remove_skill(self, name: str) -> None:
        _check_folder_name(name)
        self._queue(name, Change(0, None, None))

    def _queue(self, name: str, change: Change) -> None:
        state = self.state
        with state.lock:
            state.semantic.skill_changed(name)
            state.version += 1
            state.pending[name] = Change(state.version, change.stamp, change.doc, change.broken)
        self.committer.schedule()

    def _queue_rows(self, rows: list[Row]) -> None:
        if rows:
            with self.state.lock:
                self.state.learned_pending.extend(rows)
            self.state.classifier.queue_rows(rows)
            self.state.semantic.queue_rows(rows)
            self.committer.schedule()

    # -- learning --------------------------------------------------------------------------

    def record_many(self, rows: list[LearnedRow]) -> None:
        known = set(self.reader.skill_names())
        for row in rows:
            if row.skill not in known:
                raise SkillError(
                    f"no skill named {row.skill!r}",
                    file=self.state.paths.skills,
                    fix="run 'memento skills list' for the names",
                )
        self.sync_learned()
        self._queue_rows(self.state.store.append(rows))


def _check_folder_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise SkillError(
            f"{name!r} is not a skill folder name",
            field="name",
            fix="give the name of a folder directly under skills/",
        )

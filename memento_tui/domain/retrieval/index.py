"""SkillIndex: BM25 over the skills, moved by what was learned from outcomes.

The files are the truth; ``.memento/index/`` is a disposable cache of them. Opening checks a
cheap manifest (a stat per SKILL.md, the size of the outcomes file) and rebuilds the index
when it is missing, unreadable or from another format, or updates only what changed.
Changes become searchable at once through an in-memory overlay and are committed to disk
by a background thread (see overlay.py for why).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.errors import MementoError, SkillError
from memento_tui.domain.paths import SKILL_FILE, WorkspacePaths
from memento_tui.domain.retrieval import build
from memento_tui.domain.retrieval.classifier import LearnedClassifier, SkillClassifier, features
from memento_tui.domain.retrieval.engine import (
    KIND_FAILURE,
    KIND_SUCCESS,
    Engine,
    IndexBusy,
    learned_document,
    learned_schema,
    profile_document,
    profiles_schema,
    skill_document,
    skill_id,
    skills_schema,
)
from memento_tui.domain.retrieval.learned import LearnedRow, LearnedStore, make_row
from memento_tui.domain.retrieval.manifest import (
    Manifest,
    load_manifest,
    save_manifest,
    scan_skills,
    stamp_of,
)
from memento_tui.domain.retrieval.overlay import Change, PendingSkill
from memento_tui.domain.retrieval.search import SearchHit, Snapshot, run_search
from memento_tui.domain.retrieval.semantic_upkeep import SemanticUpkeep
from memento_tui.domain.skills import load_skill

if TYPE_CHECKING:  # numpy comes with it: imported on the first search that uses it
    from memento_tui.domain.retrieval.agent_rank import AgentRanker
    from memento_tui.domain.retrieval.semantic import SemanticMemory

COALESCE_SECONDS = 0.02  # a burst of saves (an editor, a git checkout) becomes one commit

Row = tuple[LearnedRow, int]  # a row and the byte offset just past it in outcomes.jsonl

__all__ = ["SearchHit", "SkillIndex"]


class SkillIndex:
    """Search over ``skills/`` plus the learning API the agent loop calls."""

    def __init__(self, paths: WorkspacePaths, config: RetrievalConfig) -> None:
        self.paths = paths
        self.config = config
        self.folder = paths.index
        # Worth telling a person, never fatal: a rebuild and why, broken skills, unreadable
        # outcome rows, a writer lock held by another process.
        self.notes: list[str] = []
        self._lock = threading.RLock()  # guards every field below
        self._commit_lock = threading.Lock()  # one commit at a time
        self._skills: Engine | None = None
        self._learned: Engine | None = None
        self._searcher: Any = None
        self._lsearcher: Any = None
        self._profiles: Engine | None = None
        self._psearcher: Any = None
        self._manifest = Manifest()
        self._names_by_id: dict[int, str] = {}
        # Mutated in place under the lock (a search only looks names up in them): rebuilding
        # them, or deep-copying the manifest, per commit cost 200 ms at 100k skills.
        self._live: set[str] = set()
        self._pending: dict[str, Change] = {}
        self._learned_pending: list[Row] = []
        self._version = 0
        self._store: LearnedStore | None = None
        self._dirty = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        # The supervised model over outcomes (classifier.py): loaded or trained on the first
        # search that needs it, then fed the rows queued here as they arrive.
        self._classifier = LearnedClassifier(self.folder, paths.learned, self.notes)
        # Word vectors of the skills and past successes (semantic.py): loaded on the first
        # search, kept current like the classifier, cached in semantic.npz on close.
        self._semantic = SemanticUpkeep(self.folder, paths.learned, self.notes)
        # The agent's second stage (agent_rank.py): made on the first agent search.
        self._agent: AgentRanker | None = None

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, paths: WorkspacePaths, config: RetrievalConfig | None = None) -> SkillIndex:
        index = cls(paths, config or RetrievalConfig())
        index._open()
        return index

    def _open(self) -> None:
        manifest = load_manifest(self.folder)
        if manifest is None:
            reason = "missing" if not self.folder.exists() else "its manifest is missing or unreadable"
            self.rebuild(reason)
            return
        try:
            skills = Engine.open(self.folder / "skills", skills_schema())
            learned = Engine.open(self.folder / "learned", learned_schema())
            profiles = Engine.open(self.folder / "profiles", profiles_schema())
            searcher, lsearcher = skills.searcher(), learned.searcher()
            psearcher = profiles.searcher()
            indexed = len(manifest.skills) - len(manifest.broken)
            if searcher.num_docs != indexed or lsearcher.num_docs != manifest.learned_docs:
                raise ValueError("its document counts do not match its manifest")
        except BaseException as err:  # tantivy reports some corruption as a Rust panic
            if isinstance(err, KeyboardInterrupt | SystemExit):
                raise
            self.rebuild(f"it cannot be read ({_first_line(err)})")
            return
        with self._lock:
            self._skills, self._learned, self._profiles = skills, learned, profiles
            self._searcher, self._lsearcher, self._psearcher = searcher, lsearcher, psearcher
            self._set_manifest(manifest)
        self.refresh()

    def rebuild(self, reason: str = "asked to") -> None:
        """Build both indexes from the files, replacing whatever is there."""
        self.notes.append(f"rebuilt the search index: {reason}")
        store = self.store
        with self._commit_lock:
            result = build.build_all(self.folder, self.paths.skills, store.rows, store.size)
            with self._lock:
                self._skills, self._learned = result.skills, result.learned
                self._searcher = result.skills.searcher()
                self._lsearcher = result.learned.searcher()
                self._profiles = result.profiles
                self._psearcher = result.profiles.searcher()
                self._pending.clear()
                self._learned_pending.clear()
                self._set_manifest(result.manifest)
        self._classifier.forget()
        self._semantic.forget()
        self._forget_agent()
        self.notes.extend(f"not indexed: {_first_line(err)}" for err in result.errors)
        self.notes.extend(str(problem) for problem in store.problems)

    def relearn(self) -> None:
        """Derive everything learned again from the whole outcomes file (after a sync put
        a teammate's rows among ours, not only after them)."""
        self._rebuild_learned()

    def _rebuild_learned(self) -> None:
        """The outcomes file was replaced or cut (a git checkout): index all of it again."""
        store = self.store
        store.load()
        with self._commit_lock:
            learned, profiles = build.build_learned(self.folder, store.rows)
            with self._lock:
                self._learned, self._profiles = learned, profiles
                self._lsearcher, self._psearcher = learned.searcher(), profiles.searcher()
                self._learned_pending.clear()
                self._classifier.forget()
                manifest = self._manifest.model_copy(deep=True)
                manifest.learned_docs = int(self._lsearcher.num_docs)
                manifest.learned_size = store.size
                self._set_manifest(manifest)
                save_manifest(self.folder, manifest)
        # Outside the index lock: a search holds the vectors' lock while it takes that one.
        self._semantic.forget()
        self._forget_agent()
        self.notes.extend(str(problem) for problem in store.problems)

    def _set_manifest(self, manifest: Manifest) -> None:
        self._manifest = manifest
        live = set(manifest.skills).difference(manifest.broken)
        for name in live.difference(manifest.ids):
            manifest.ids[name] = skill_id(name)
        for name in set(manifest.ids).difference(live):
            del manifest.ids[name]
        self._live = live
        self._names_by_id = {sid: name for name, sid in manifest.ids.items()}

    @property
    def store(self) -> LearnedStore:
        # Loaded on first use: opening an up-to-date index never parses the outcomes file.
        if self._store is None:
            self._store = LearnedStore(self.paths.learned)
        return self._store

    # -- keeping current -------------------------------------------------------------------

    def refresh(self) -> int:
        """Re-scan skills/ and the outcomes file; update only what changed.

        Returns how many skills changed.
        """
        return len(self.refresh_names())

    def refresh_names(self) -> set[str]:
        """``refresh``, returning the names of the skills that changed or went away."""
        stamps = scan_skills(self.paths.skills)
        with self._lock:
            known = dict(self._manifest.skills)
            for name, change in self._pending.items():
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
        """Take in outcome rows another process appended (or re-read a replaced file)."""
        size = LearnedStore.file_size(self.paths.learned)
        with self._lock:
            done = self._manifest.learned_size
        fresh = self._store is None
        if size < done or (not fresh and size < self.store.size):
            self._rebuild_learned()
            return
        if fresh and size == done:
            return  # nothing new, and the file need not even be read
        store = self.store
        new = list(zip(store.rows, store.ends, strict=True)) if fresh else store.sync()
        self._queue_rows([(row, end) for row, end in new if end > done])

    def update_skill(self, name: str) -> None:
        """Read ``skills/<name>/SKILL.md`` again; searchable when this returns."""
        _check_folder_name(name)
        folder = self.paths.skills / name
        stamp = stamp_of(folder / SKILL_FILE)
        if stamp is None:
            self.remove_skill(name)
            return
        try:
            skill = load_skill(folder, check_links=False)
        except SkillError as err:
            self.notes.append(f"not indexed: {_first_line(err)}")
            self._queue(name, Change(0, stamp, None, broken=True))
            return
        self._queue(name, Change(0, stamp, PendingSkill.make(skill.name, skill.description, skill.body)))

    def remove_skill(self, name: str) -> None:
        """Drop a skill from search (its folder is gone)."""
        _check_folder_name(name)
        self._queue(name, Change(0, None, None))

    def _queue(self, name: str, change: Change) -> None:
        with self._lock:
            self._semantic.skill_changed(name)
            self._version += 1
            self._pending[name] = Change(self._version, change.stamp, change.doc, change.broken)
        self._schedule_commit()

    def _queue_rows(self, rows: list[Row]) -> None:
        if rows:
            with self._lock:
                self._learned_pending.extend(rows)
            self._classifier.queue_rows(rows)
            self._semantic.queue_rows(rows)
            self._schedule_commit()

    def skill_names(self) -> list[str]:
        with self._lock:
            names = set(self._live)
            for name, change in self._pending.items():
                if change.doc is None:
                    names.discard(name)
                else:
                    names.add(name)
        return sorted(names)

    # -- committing ------------------------------------------------------------------------

    def _schedule_commit(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._dirty.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._commit_loop, name="memento-index", daemon=True)
                self._thread.start()

    def _commit_loop(self) -> None:
        # _closing is checked before every wait: close() may set it while this thread is
        # between wait() and clear(), and its wake-up would be cleared away.
        while not self._closing:
            if not self._dirty.wait(timeout=1.0) or self._closing:
                continue
            time.sleep(COALESCE_SECONDS)
            self._dirty.clear()
            try:
                self.flush()
            except MementoError as err:
                self.notes.append(str(err))

    def flush(self) -> None:
        """Commit every pending change to disk now (the overlay already made them visible)."""
        with self._commit_lock:
            with self._lock:
                batch = dict(self._pending)
                rows = list(self._learned_pending)
                skills, learned, profiles = self._skills, self._learned, self._profiles
                done = self._manifest.learned_size
            if (not batch and not rows) or skills is None or learned is None or profiles is None:
                return
            try:
                searcher = self._commit_skills(skills, batch) if batch else None
                learned_result = self._commit_learned(learned, profiles, rows, done) if rows else None
            except IndexBusy as err:
                raise MementoError(
                    "another memento process is writing the search index; changes are "
                    "searchable here but not saved in the index yet",
                    file=self.folder,
                    fix="nothing to do: they are saved on the next flush or the next open",
                ) from err
            with self._lock:
                for name, change in batch.items():
                    self._apply(name, change)
                    if self._pending.get(name) is change:
                        del self._pending[name]
                del self._learned_pending[: len(rows)]
                if searcher is not None:
                    self._searcher = searcher
                if learned_result is not None:
                    self._lsearcher, self._psearcher, size = learned_result
                    self._manifest.learned_size = size
                    self._manifest.learned_docs = int(self._lsearcher.num_docs)
                save_manifest(self.folder, self._manifest)

    def _apply(self, name: str, change: Change) -> None:
        """Record a committed change in the manifest and the lookup tables (lock held)."""
        manifest = self._manifest
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
            self._names_by_id[sid] = name
            self._live.add(name)
        else:
            old = manifest.ids.pop(name, None)
            if old is not None:
                self._names_by_id.pop(old, None)
            self._live.discard(name)

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
        on_disk = load_manifest(self.folder)
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
                for skill in sorted({row.skill for row in self.store.rows if row.kind == "success"}):
                    writer.add_document(profile_document(skill, self.store.triggers(skill)))
                writer.commit()
                writer.wait_merging_threads()
        return learned.reload(), profiles.reload(), max(done, max(end for _, end in rows))

    def close(self) -> None:
        """Stop the background committer and save what is pending."""
        with self._lock:
            self._closing = True
            thread = self._thread
        self._dirty.set()
        if thread is not None:
            thread.join()
        try:
            self.flush()
        except MementoError as err:
            self.notes.append(str(err))
        self._classifier.save()
        self._semantic.save()
        if self._agent is not None:
            self._agent.save()

    def __enter__(self) -> SkillIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- learning --------------------------------------------------------------------------

    def record_success(self, task: str, skill: str, *, source: str = "run") -> None:
        """``task`` was done with ``skill``: the task text becomes a trigger of the skill."""
        self.record_many([make_row("success", task, skill, source=source)])

    def record_failure(self, task: str, skill: str, *, source: str = "run") -> None:
        """``skill`` was retrieved for ``task`` and failed: push it down for similar tasks."""
        self.record_many([make_row("failure", task, skill, source=source)])

    def record_many(self, rows: list[LearnedRow]) -> None:
        """Append rows in one write; they count from the next search on."""
        known = set(self.skill_names())
        for row in rows:
            if row.skill not in known:
                raise SkillError(
                    f"no skill named {row.skill!r}",
                    file=self.paths.skills,
                    fix="run 'memento skills list' for the names",
                )
        self.sync_learned()
        self._queue_rows(self.store.append(rows))

    def triggers(self, skill: str) -> list[str]:
        """The task texts that succeeded with ``skill`` (what ``skills show`` lists)."""
        return self.store.triggers(skill)

    # -- the classifier --------------------------------------------------------------------

    def _classifier_probabilities(self, query: str) -> dict[str, float]:
        """P(skill | query) from the model over outcomes (classifier.py)."""
        if not self.config.learn or self.config.classifier_weight <= 0:
            return {}
        return self._classifier.probabilities(query, max(len(self._live), 1))

    # -- word vectors ---------------------------------------------------------------------------

    def _semantic_memory(self) -> SemanticMemory | None:
        """The word vectors (semantic_upkeep.py), current with this index; None when off."""
        if self.config.semantic_weight <= 0:
            return None
        return self._semantic.memory(self.skill_stamps, self.descriptions)

    def warm(self) -> None:
        """Make ready what the first search would (the word vectors of every skill: half a
        second at 10k skills when their cache is missing), so it does not wait for it."""
        self._semantic_memory()

    def skill_stamps(self, names: set[str] | None = None) -> dict[str, str]:
        """Every searchable skill (of ``names``) and the stamp of the SKILL.md it was read from."""
        with self._lock:
            live = self._live if names is None else self._live & names
            stamps = {name: self._manifest.skills[name] for name in live if name in self._manifest.skills}
            for name, change in self._pending.items():
                if names is not None and name not in names:
                    continue
                if change.doc is None or change.stamp is None:
                    stamps.pop(name, None)
                else:
                    stamps[name] = change.stamp
        return {name: f"{stamp[0]}:{stamp[1]}" for name, stamp in stamps.items()}

    def descriptions(self, names: list[str]) -> dict[str, str]:
        import tantivy

        out: dict[str, str] = {}
        with self._lock:
            pending = {n: c.doc for n, c in self._pending.items() if c.doc is not None}
            searcher, schema = self._searcher, self._skills.schema if self._skills else None
        for name in names:
            if name in pending:
                out[name] = pending[name].description
            elif searcher is not None and schema is not None:
                hits = searcher.search(tantivy.Query.term_query(schema, "id", name), 1, count=False).hits
                if hits:
                    out[name] = searcher.doc(hits[0][1]).get_first("description") or ""
        return out

    # -- the agent's second stage ---------------------------------------------------------

    @property
    def agent(self) -> AgentRanker:
        """The sentence-model reranker the agent searches with (agent_rank.py)."""
        from memento_tui.domain.retrieval.agent_rank import AgentRanker

        with self._lock:
            if self._agent is None:
                self._agent = AgentRanker(self)
            return self._agent

    def agent_search(self, query: str, top_k: int | None = None) -> list[SearchHit]:
        """The agent's ranking: this index's search, reranked by the sentence model (the
        first stage alone when the model cannot be read)."""
        return self.agent.search(query, top_k or self.config.top_k)

    def agent_search_leaving_out(self, query: str, top_k: int, task: str, skill: str) -> list[SearchHit]:
        """``agent_search`` as if one success had never been recorded (see search_leaving_out)."""
        from memento_tui.domain.retrieval.semantic import LeaveOut

        return self.agent.search(query, top_k, LeaveOut(task, skill))

    def _forget_agent(self) -> None:
        """The outcomes or skills were replaced: the second stage's vectors start again."""
        from memento_tui.domain.retrieval.manifest import SENTENCE_CACHE

        with self._lock:
            self._agent = None
        (self.folder / SENTENCE_CACHE).unlink(missing_ok=True)

    # -- searching -------------------------------------------------------------------------

    def search(self, query: str, top_k: int | None = None) -> list[SearchHit]:
        """The best ``top_k`` skills for ``query``, best first, each with why it matched."""
        with self._lock:
            learned_waiting = bool(self._learned_pending)
        if learned_waiting:
            try:
                self.flush()  # one commit after a burst of outcomes, then plain searches
            except MementoError as err:  # the rows are safe in outcomes.jsonl all the same
                self.notes.append(str(err))
        snap = self._snapshot(probabilities=self._classifier_probabilities(query))
        return run_search(snap, self.config, query, top_k or self.config.top_k)

    def _snapshot(self, *, learned: Any = None, profiles: Any = None, **extra: Any) -> Snapshot:
        """What one search reads, taken under the lock (``learned`` and ``profiles``: engines
        to read instead of this index's own)."""
        semantic = self._semantic_memory()
        with self._lock:
            learned = learned or self._learned
            profiles = profiles or self._profiles
            return Snapshot(
                searcher=self._searcher,
                schema=self._skills.schema if self._skills else None,
                lsearcher=self._lsearcher if learned is self._learned else learned.searcher(),
                lschema=learned.schema if learned else None,
                psearcher=self._psearcher if profiles is self._profiles else profiles.searcher(),
                pschema=profiles.schema if profiles else None,
                pending=dict(self._pending),
                names_by_id=self._names_by_id,
                live=self._live,
                avg_len=self._manifest.avg_len,
                semantic=semantic,
                **extra,
            )

    def search_leaving_out(self, query: str, top_k: int, task: str, skill: str) -> list[SearchHit]:
        """Search as if one success (``task`` with ``skill``) had never been recorded.

        For measuring retrieval on past runs without a run's own trigger counting
        (``memento search --eval``): the learned part is rebuilt in memory from every other
        outcome (votes, profiles, the classifier and the word vectors alike), so the ranking
        is exactly the real one minus that single row.
        """
        from memento_tui.domain.retrieval import build
        from memento_tui.domain.retrieval.semantic import LeaveOut

        self.flush()
        wanted = " ".join(task.split())
        rows = list(self.store.rows)
        for i, row in enumerate(rows):
            if row.kind == "success" and row.skill == skill and " ".join(row.task.split()) == wanted:
                del rows[i]  # only this run's own row: another run with the same text still counts
                break
        learned, profiles = build.build_learned(None, rows)
        probabilities: dict[str, float] = {}
        if self.config.learn and self.config.classifier_weight > 0:
            model = SkillClassifier()
            model.learn_all(rows, list(range(1, len(rows) + 1)))
            if model.weights:
                probabilities = model.probabilities(features(query), max(len(self._live), 1))
        snap = self._snapshot(
            learned=learned, profiles=profiles, probabilities=probabilities, leave_out=LeaveOut(task, skill)
        )
        return run_search(snap, self.config, query, top_k)


def _check_folder_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise SkillError(
            f"{name!r} is not a skill folder name",
            field="name",
            fix="give the name of a folder directly under skills/",
        )


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__

"""SkillIndex: BM25 over the skills, moved by what was learned from outcomes.

The files are the truth; ``.memento/index/`` is a disposable cache of them. Opening checks a
cheap manifest (a stat per SKILL.md, the size of the outcomes file) and rebuilds the index
when it is missing, unreadable or from another format, or updates only the skills that
changed. Changes become searchable at once through an in-memory overlay and are committed
to disk by a background thread (see overlay.py for why).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.errors import MementoError, SkillError
from memento_tui.domain.paths import SKILL_FILE, WorkspacePaths
from memento_tui.domain.retrieval import build
from memento_tui.domain.retrieval.engine import (
    KIND_FAILURE,
    KIND_SUCCESS,
    Engine,
    IndexBusy,
    fields_query,
    learned_document,
    learned_schema,
    query_terms,
    skill_document,
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
from memento_tui.domain.retrieval.ranking import find_neighbours
from memento_tui.domain.retrieval.tokenize import analyzer, expand_compounds
from memento_tui.domain.skills import load_skill

COALESCE_SECONDS = 0.02  # a burst of saves (editor writes, git checkout) is one commit


@dataclass(frozen=True)
class SearchHit:
    name: str
    score: float
    description: str
    why: list[str] = field(default_factory=list)  # matched fields, then matched triggers

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "score": round(self.score, 4), "why": list(self.why)}


class SkillIndex:
    """Search over ``skills/`` plus the learning API the agent loop calls."""

    def __init__(self, paths: WorkspacePaths, config: RetrievalConfig) -> None:
        self.paths = paths
        self.config = config
        self.folder = paths.index
        # Things worth telling a person that did not stop the index: a rebuild and why,
        # unreadable outcome rows, a writer lock held elsewhere.
        self.notes: list[str] = []
        self._lock = threading.RLock()  # guards the fields below
        self._commit_lock = threading.Lock()  # one commit at a time
        self._skills: Engine | None = None
        self._learned: Engine | None = None
        self._searcher: Any = None
        self._lsearcher: Any = None
        self._manifest = Manifest()
        self._names_by_id: dict[int, str] = {}
        self._pending: dict[str, Change] = {}
        self._learned_pending: list[LearnedRow] = []
        self._version = 0
        self._store: LearnedStore | None = None
        self._dirty = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None

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
            searcher, lsearcher = skills.searcher(), learned.searcher()
            indexed = len(manifest.skills) - len(manifest.broken)
            if searcher.num_docs != indexed or lsearcher.num_docs != manifest.learned_docs:
                raise ValueError("document counts do not match the manifest")
        except BaseException as err:  # tantivy reports corruption as a Rust panic
            if isinstance(err, KeyboardInterrupt | SystemExit):
                raise
            self.rebuild(f"it cannot be read ({_first_line(err)})")
            return
        with self._lock:
            self._skills, self._learned = skills, learned
            self._searcher, self._lsearcher = searcher, lsearcher
            self._set_manifest(manifest)
        if self._learned_state() != manifest.learned_size:
            self._rebuild_learned()
        self.refresh()

    def rebuild(self, reason: str = "asked to") -> None:
        """Build both indexes from the files, replacing whatever is there."""
        self.notes.append(f"rebuilt the search index: {reason}")
        with self._commit_lock:
            result = build.build_all(self.folder, self.paths.skills, self.store.rows)
            with self._lock:
                self._skills, self._learned = result.skills, result.learned
                self._searcher = result.skills.searcher()
                self._lsearcher = result.learned.searcher()
                self._pending.clear()
                self._learned_pending.clear()
                self._set_manifest(result.manifest)
                self._manifest.learned_size = self.store.size
                save_manifest(self.folder, self._manifest)

    def _rebuild_learned(self) -> None:
        """The outcomes file changed under us (git pull, another process): re-read it all."""
        store = self.store
        store.load()
        with self._commit_lock:
            assert self._learned is not None
            learned = build.build_learned(self.folder, store.rows, self._manifest)
            with self._lock:
                self._learned = learned
                self._lsearcher = learned.searcher()
                self._learned_pending.clear()
                self._manifest.learned_docs = len(store.rows)
                self._manifest.learned_size = store.size
                self._set_manifest(self._manifest)
                save_manifest(self.folder, self._manifest)
        for problem in store.problems:
            self.notes.append(str(problem))

    def _set_manifest(self, manifest: Manifest) -> None:
        self._manifest = manifest
        self._names_by_id = {sid: name for name, sid in manifest.ids.items()}

    @property
    def store(self) -> LearnedStore:
        # Loaded on first use: opening a fresh index never parses the outcomes file.
        if self._store is None:
            self._store = LearnedStore(self.paths.learned)
        return self._store

    def _learned_state(self) -> int:
        return self._store.size if self._store is not None else LearnedStore.file_size(self.paths.learned)

    # -- keeping current -------------------------------------------------------------------

    def refresh(self) -> int:
        """Re-scan skills/ and the outcomes file; update only what changed. Returns the count."""
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
        size = LearnedStore.file_size(self.paths.learned)
        if self._learned_state() != size or (self._store is None and size != self._manifest.learned_size):
            self.sync_learned()
        return len(changed) + len(removed)

    def sync_learned(self) -> None:
        """Take in outcome rows another process appended (or re-read a replaced file)."""
        store = self.store
        before = store.size
        if LearnedStore.file_size(self.paths.learned) < before:
            self._rebuild_learned()
            return
        new_rows = store.sync()
        with self._lock:
            if new_rows:
                self._learned_pending.extend(new_rows)
        if new_rows:
            self._schedule_commit()

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
            self._queue(name, stamp, None, broken=True)
            return
        doc = PendingSkill.make(skill.name, skill.description, skill.body)
        self._queue(name, stamp, doc)

    def remove_skill(self, name: str) -> None:
        _check_folder_name(name)
        self._queue(name, None, None)

    def _queue(self, name: str, stamp: Any, doc: PendingSkill | None, *, broken: bool = False) -> None:
        with self._lock:
            self._version += 1
            self._pending[name] = Change(self._version, stamp, doc, broken)
        self._schedule_commit()

    def skill_names(self) -> list[str]:
        with self._lock:
            names = set(self._manifest.skills) - set(self._manifest.broken)
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
        # between wait() and clear() and its wake-up would be cleared away.
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
                manifest = self._manifest.model_copy(deep=True)
                skills, learned = self._skills, self._learned
            if (not batch and not rows) or skills is None or learned is None:
                return
            try:
                searcher = self._commit_skills(skills, batch, manifest) if batch else None
                lsearcher = self._commit_learned(learned, rows, manifest) if rows else None
            except IndexBusy as err:
                raise MementoError(
                    "the search index is being written by another memento process; "
                    "changes are visible here but not saved to the index yet",
                    file=self.folder,
                    fix="they are saved when that process ends or on the next open",
                ) from err
            with self._lock:
                for name, change in batch.items():
                    if self._pending.get(name) is change:
                        del self._pending[name]
                del self._learned_pending[: len(rows)]
                if searcher is not None:
                    self._searcher = searcher
                if lsearcher is not None:
                    self._lsearcher = lsearcher
                if not self._learned_pending and self._store is not None:
                    manifest.learned_size = self._store.size
                self._set_manifest(manifest)
                save_manifest(self.folder, manifest)

    def _commit_skills(self, skills: Engine, batch: dict[str, Change], manifest: Manifest) -> Any:
        writer = skills.writer()
        for name, change in batch.items():
            writer.delete_documents_by_term("id", name)
            if change.stamp is None:
                manifest.skills.pop(name, None)
            else:
                manifest.skills[name] = change.stamp
            if name in manifest.broken:
                manifest.broken.remove(name)
            if change.broken:
                manifest.broken.append(name)
            if change.doc is not None:
                d = change.doc
                writer.add_document(skill_document(manifest.id_for(name), d.name, d.description, d.body))
        writer.commit()
        writer.wait_merging_threads()
        return skills.reload()

    def _commit_learned(self, learned: Engine, rows: list[LearnedRow], manifest: Manifest) -> Any:
        writer = learned.writer()
        for row in rows:
            kind = KIND_SUCCESS if row.kind == "success" else KIND_FAILURE
            writer.add_document(learned_document(manifest.id_for(row.skill), row.skill, kind, row.task))
        writer.commit()
        writer.wait_merging_threads()
        manifest.learned_docs += len(rows)
        return learned.reload()

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
        """Append rows in one write; they count in the next search."""
        known = set(self.skill_names())
        for row in rows:
            if row.skill not in known:
                raise SkillError(
                    f"no skill named {row.skill!r}",
                    file=self.paths.skills,
                    fix="run 'memento skills list' for the names",
                )
        self.sync_learned()  # rows other processes appended come first
        self.store.append(rows)
        with self._lock:
            self._learned_pending.extend(rows)

    def triggers(self, skill: str) -> list[str]:
        return self.store.triggers(skill)

    # -- searching -------------------------------------------------------------------------

    @property
    def weights(self) -> dict[str, float]:
        c = self.config
        return {"name": c.name_weight, "description": c.description_weight, "body": c.body_weight}

    def search(self, query: str, top_k: int | None = None) -> list[SearchHit]:
        top_k = top_k or self.config.top_k
        with self._lock:
            learned_waiting = bool(self._learned_pending)
        if learned_waiting:
            self.flush()  # one commit after a burst of outcomes, then plain searches again
        terms = query_terms(query)
        if not terms:
            return []
        with self._lock:
            searcher, lsearcher = self._searcher, self._lsearcher
            pending = dict(self._pending)
            names_by_id = self._names_by_id
            avg_len = dict(self._manifest.avg_len)
            schema = self._skills.schema if self._skills else None
            lschema = self._learned.schema if self._learned else None
        if searcher is None:
            return []
        weights = self.weights
        limit = max(top_k * 4, 40) + len(pending)
        hits = searcher.search(fields_query(schema, terms, weights), limit, count=False).hits
        sids = searcher.fast_field_values("sid", [addr for _, addr in hits])
        scores: dict[str, float] = {}
        addresses: dict[str, Any] = {}
        for (score, addr), sid in zip(hits, sids, strict=True):
            name = names_by_id.get(int(sid or 0))
            if name is not None and name not in pending:
                scores[name] = score
                addresses[name] = addr
        for name, change in pending.items():
            if change.doc is not None:
                score = change.doc.score(terms, weights, searcher, avg_len)
                if score > 0:
                    scores[name] = score
        near = None
        if self.config.learn and lsearcher is not None and lsearcher.num_docs:
            near = find_neighbours(
                lsearcher,
                lschema,
                terms,
                names_by_id,
                limit=self.config.trigger_neighbours,
                votes_per_skill=self.config.trigger_votes,
                failure_weight=self.config.failure_weight,
            )
            live = set(scores) | {n for n in near.votes if self._is_live(n, pending)}
            for name in live:
                base = scores.get(name, 0.0) + self.config.trigger_weight * near.votes.get(name, 0.0)
                scores[name] = base * near.penalty.get(name, 1.0)
        ranked = [(n, s) for n, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if s > 0]
        ranked = ranked[:top_k]
        body_matched = self._body_matches(schema, searcher, terms, [n for n, _ in ranked if n not in pending])
        hits = []
        for name, score in ranked:
            change = pending.get(name)
            if change is not None and change.doc is not None:
                description = change.doc.description
                why = change.doc.matched_fields(terms)
            else:
                addr = addresses.get(name) or _address_of(schema, searcher, name)
                description = (searcher.doc(addr).get_first("description") or "") if addr else ""
                why = _matched_short_fields(name, description, terms)
                if name in body_matched:
                    why.append("body")
            if near is not None and name in near.best:
                task = lsearcher.doc(near.best[name]).get_first("trigger") or ""
                why.append(f"trigger: {task}")
            if near is not None and name in near.penalty:
                why.append(f"failed on: {near.failed_on.get(name, '')}")
            hits.append(SearchHit(name, score, description, why))
        return hits

    def _is_live(self, name: str, pending: dict[str, Change]) -> bool:
        if name in pending:
            return pending[name].doc is not None
        return name in self._manifest.skills and name not in self._manifest.broken

    def _body_matches(self, schema: Any, searcher: Any, terms: list[str], names: list[str]) -> set[str]:
        """Which of these committed skills match in their body: one small search for all."""
        if not names or self.config.body_weight <= 0:
            return set()
        import tantivy

        among = tantivy.Query.term_set_query(schema, "id", names)
        body = fields_query(schema, terms, {"body": 1.0})
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, among), (tantivy.Occur.Must, body)])
        hits = searcher.search(query, len(names), count=False).hits
        sids = searcher.fast_field_values("sid", [addr for _, addr in hits])
        return {self._names_by_id.get(int(sid or 0), "") for sid in sids}


def _address_of(schema: Any, searcher: Any, name: str) -> Any:
    import tantivy

    hits = searcher.search(tantivy.Query.term_query(schema, "id", name), 1, count=False).hits
    return hits[0][1] if hits else None


def _matched_short_fields(name: str, description: str, terms: list[str]) -> list[str]:
    wanted = set(terms)
    matched = []
    for field_name, text in (("name", name), ("description", description)):
        if wanted.intersection(analyzer().analyze(expand_compounds(text))):
            matched.append(field_name)
    return matched


def _check_folder_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        raise SkillError(
            f"{name!r} is not a skill folder name",
            field="name",
            fix="give the name of a folder directly under skills/",
        )


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__

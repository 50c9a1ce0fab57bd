"""Reading a SkillIndex: searches (search.py ranks a snapshot taken here under the lock), the
names and stamps of the searchable skills with the overlay's changes, their descriptions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from memento_tui.domain.errors import MementoError
from memento_tui.domain.retrieval import build
from memento_tui.domain.retrieval.classifier import SkillClassifier, features
from memento_tui.domain.retrieval.index_commit import Committer
from memento_tui.domain.retrieval.index_state import IndexState
from memento_tui.domain.retrieval.search import SearchHit, Snapshot, run_search

if TYPE_CHECKING:  # numpy comes with it: imported on the first search that uses it
    from memento_tui.domain.retrieval.semantic import SemanticMemory


class IndexReader:
    """The searches and look-ups of one index (SkillIndex documents each)."""

    def __init__(self, state: IndexState, committer: Committer) -> None:
        self.state = state
        self.committer = committer

    # -- searching -------------------------------------------------------------------------

    def search(self, query: str, top_k: int | None = None) -> list[SearchHit]:
        state = self.state
        with state.lock:
            learned_waiting = bool(state.learned_pending)
        if learned_waiting:
            try:
                self.committer.flush()  # one commit after a burst of outcomes, then plain searches
            except MementoError as err:  # the rows are safe in outcomes.jsonl all the same
                state.notes.append(str(err))
        snap = self._snapshot(probabilities=self._classifier_probabilities(query))
        return run_search(snap, state.config, query, top_k or state.config.top_k)

    def search_leaving_out(self, query: str, top_k: int, task: str, skill: str) -> list[SearchHit]:
        """The learned part is rebuilt in memory from every outcome but the one left out
        (votes, profiles, the classifier and the word vectors alike), so the ranking is
        exactly the real one minus that single row."""
        from memento_tui.domain.retrieval.semantic import LeaveOut

        state = self.state
        self.committer.flush()
        wanted = " ".join(task.split())
        rows = list(state.store.rows)
        for i, row in enumerate(rows):
            if row.kind == "success" and row.skill == skill and " ".join(row.task.split()) == wanted:
                del rows[i]  # only this run's own row: another run with the same text still counts
                break
        learned, profiles = build.build_learned(None, rows)
        probabilities: dict[str, float] = {}
        if state.config.learn and state.config.classifier_weight > 0:
            model = SkillClassifier()
            model.learn_all(rows, list(range(1, len(rows) + 1)))
            if model.weights:
                probabilities = model.probabilities(features(query), max(len(state.live), 1))
        snap = self._snapshot(
            learned=learned, profiles=profiles, probabilities=probabilities, leave_out=LeaveOut(task, skill)
        )
        return run_search(snap, state.config, query, top_k)

    def _snapshot(self, *, learned: Any = None, profiles: Any = None, **extra: Any) -> Snapshot:
        """What one search reads, taken under the lock (``learned`` and ``profiles``: engines
        to read instead of this index's own)."""
        state = self.state
        semantic = self.semantic_memory()
        with state.lock:
            learned = learned or state.learned
            profiles = profiles or state.profiles
            return Snapshot(
                searcher=state.searcher,
                schema=state.skills.schema if state.skills else None,
                lsearcher=state.lsearcher if learned is state.learned else learned.searcher(),
                lschema=learned.schema if learned else None,
                psearcher=state.psearcher if profiles is state.profiles else profiles.searcher(),
                pschema=profiles.schema if profiles else None,
                pending=dict(state.pending),
                names_by_id=state.names_by_id,
                live=state.live,
                avg_len=state.manifest.avg_len,
                semantic=semantic,
                **extra,
            )

    # -- the classifier --------------------------------------------------------------------

    def _classifier_probabilities(self, query: str) -> dict[str, float]:
        """P(skill | query) from the model over outcomes (classifier.py)."""
        config = self.state.config
        if not config.learn or config.classifier_weight <= 0:
            return {}
        return self.state.classifier.probabilities(query, max(len(self.state.live), 1))

    # -- word vectors ----------------------------------------------------------------------

    def semantic_memory(self) -> SemanticMemory | None:
        """The word vectors (semantic_upkeep.py), current with this index; None when off."""
        if self.state.config.semantic_weight <= 0:
            return None
        return self.state.semantic.memory(self.skill_stamps, self.descriptions)

    # -- the skills as a search sees them: committed, then the overlay's changes -----------

    def skill_names(self) -> list[str]:
        state = self.state
        with state.lock:
            names = set(state.live)
            for name, change in state.pending.items():
                if change.doc is None:
                    names.discard(name)
                else:
                    names.add(name)
        return sorted(names)

    def skill_stamps(self, names: set[str] | None = None) -> dict[str, str]:
        state = self.state
        with state.lock:
            live = state.live if names is None else state.live & names
            stamps = {name: state.manifest.skills[name] for name in live if name in state.manifest.skills}
            for name, change in state.pending.items():
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
        with self.state.lock:
            pending = {n: c.doc for n, c in self.state.pending.items() if c.doc is not None}
            searcher, schema = self.state.searcher, self.state.skills.schema if self.state.skills else None
        for name in names:
            if name in pending:
                out[name] = pending[name].description
            elif searcher is not None and schema is not None:
                hits = searcher.search(tantivy.Query.term_query(schema, "id", name), 1, count=False).hits
                if hits:
                    out[name] = searcher.doc(hits[0][1]).get_first("description") or ""
        return out

    def triggers(self, skill: str) -> list[str]:
        return self.state.store.triggers(skill)

"""SkillIndex: BM25 over the skills, moved by what was learned from outcomes.

The files are the truth; ``.memento/index/`` is a disposable cache of them. Opening checks a
cheap manifest (a stat per SKILL.md, the size of the outcomes file) and rebuilds the index
when it is missing, unreadable or from another format, or updates only what changed.
Changes become searchable at once through an in-memory overlay and are committed to disk
by a background thread (see overlay.py for why).

This module opens, rebuilds and closes the index; the rest is done by the parts it is made
of, over one IndexState (index_state.py): IndexWriter queues changes (index_write.py), the
Committer makes them durable (index_commit.py), IndexReader searches (index_read.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.errors import MementoError
from memento_tui.domain.paths import WorkspacePaths
from memento_tui.domain.retrieval import build
from memento_tui.domain.retrieval.engine import Engine, learned_schema, profiles_schema, skills_schema
from memento_tui.domain.retrieval.index_commit import Committer
from memento_tui.domain.retrieval.index_read import IndexReader
from memento_tui.domain.retrieval.index_state import IndexState, first_line
from memento_tui.domain.retrieval.index_write import IndexWriter
from memento_tui.domain.retrieval.learned import LearnedRow, LearnedStore, make_row
from memento_tui.domain.retrieval.manifest import load_manifest
from memento_tui.domain.retrieval.search import SearchHit

if TYPE_CHECKING:  # numpy comes with it: imported on the first search that uses it
    from memento_tui.domain.retrieval.agent_rank import AgentRanker

__all__ = ["SearchHit", "SkillIndex"]


class SkillIndex:
    """Search over ``skills/`` plus the learning API the agent loop calls."""

    def __init__(self, paths: WorkspacePaths, config: RetrievalConfig) -> None:
        self._state = state = IndexState(paths, config)
        # The state's own objects, not copies: nothing assigns them after this.
        self.paths, self.config, self.folder, self.notes = state.paths, state.config, state.folder, state.notes
        self._committer = Committer(state)
        self._reader = IndexReader(state, self._committer)
        self._writer = IndexWriter(state, self._committer, self._reader)

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
            self.rebuild(f"it cannot be read ({first_line(err)})")
            return
        state = self._state
        with state.lock:
            state.skills, state.learned, state.profiles = skills, learned, profiles
            state.searcher, state.lsearcher, state.psearcher = searcher, lsearcher, psearcher
            state.set_manifest(manifest)
        self.refresh()

    def rebuild(self, reason: str = "asked to") -> None:
        """Build both indexes from the files, replacing whatever is there."""
        self.notes.append(f"rebuilt the search index: {reason}")
        state = self._state
        store = state.store
        with state.commit_lock:
            result = build.build_all(self.folder, self.paths.skills, store.rows, store.size)
            with state.lock:
                state.skills, state.learned = result.skills, result.learned
                state.searcher = result.skills.searcher()
                state.lsearcher = result.learned.searcher()
                state.profiles = result.profiles
                state.psearcher = result.profiles.searcher()
                state.pending.clear()
                state.learned_pending.clear()
                state.set_manifest(result.manifest)
        state.classifier.forget()
        state.semantic.forget()
        state.forget_agent()
        self.notes.extend(f"not indexed: {first_line(err)}" for err in result.errors)
        self.notes.extend(str(problem) for problem in store.problems)

    def relearn(self) -> None:
        """Derive everything learned again from the whole outcomes file (after a sync put
        a teammate's rows among ours, not only after them)."""
        self._writer.rebuild_learned()

    @property
    def store(self) -> LearnedStore:
        return self._state.store

    # -- closing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Commit every pending change to disk now (the overlay already made them visible)."""
        self._committer.flush()

    def close(self) -> None:
        """Stop the background committer and save what is pending."""
        self._committer.stop()
        try:
            self.flush()
        except MementoError as err:
            self.notes.append(str(err))
        state = self._state
        state.classifier.save()
        state.semantic.save()
        if state.agent is not None:
            state.agent.save()

    def __enter__(self) -> SkillIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keeping current (index_write.py) --------------------------------------------------

    def refresh(self) -> int:
        """Re-scan skills/ and the outcomes file; update only what changed.

        Returns how many skills changed.
        """
        return len(self.refresh_names())

    def refresh_names(self) -> set[str]:
        """``refresh``, returning the names of the skills that changed or went away."""
        return self._writer.refresh_names()

    def sync_learned(self) -> None:
        """Take in outcome rows another process appended (or re-read a replaced file)."""
        self._writer.sync_learned()

    def update_skill(self, name: str) -> None:
        """Read ``skills/<name>/SKILL.md`` again; searchable when this returns."""
        self._writer.update_skill(name)

    def remove_skill(self, name: str) -> None:
        """Drop a skill from search (its folder is gone)."""
        self._writer.remove_skill(name)

    # -- learning (index_write.py) ---------------------------------------------------------

    def record_success(self, task: str, skill: str, *, source: str = "run") -> None:
        """``task`` was done with ``skill``: the task text becomes a trigger of the skill."""
        self.record_many([make_row("success", task, skill, source=source)])

    def record_failure(self, task: str, skill: str, *, source: str = "run") -> None:
        """``skill`` was retrieved for ``task`` and failed: push it down for similar tasks."""
        self.record_many([make_row("failure", task, skill, source=source)])

    def record_many(self, rows: list[LearnedRow]) -> None:
        """Append rows in one write; they count from the next search on."""
        self._writer.record_many(rows)

    # -- reading (index_read.py) -----------------------------------------------------------

    def search(self, query: str, top_k: int | None = None) -> list[SearchHit]:
        """The best ``top_k`` skills for ``query``, best first, each with why it matched."""
        return self._reader.search(query, top_k)

    def search_leaving_out(self, query: str, top_k: int, task: str, skill: str) -> list[SearchHit]:
        """Search as if one success (``task`` with ``skill``) had never been recorded.

        For measuring retrieval on past runs without a run's own trigger counting
        (``memento search --eval``): the learned part is rebuilt in memory from every other
        outcome (votes, profiles, the classifier and the word vectors alike), so the ranking
        is exactly the real one minus that single row.
        """
        return self._reader.search_leaving_out(query, top_k, task, skill)

    def skill_names(self) -> list[str]:
        return self._reader.skill_names()

    def skill_stamps(self, names: set[str] | None = None) -> dict[str, str]:
        """Every searchable skill (of ``names``) and the stamp of the SKILL.md it was read from."""
        return self._reader.skill_stamps(names)

    def descriptions(self, names: list[str]) -> dict[str, str]:
        return self._reader.descriptions(names)

    def triggers(self, skill: str) -> list[str]:
        """The task texts that succeeded with ``skill`` (what ``skills show`` lists)."""
        return self._reader.triggers(skill)

    def warm(self) -> None:
        """Make ready what the first search would (the word vectors of every skill: half a
        second at 10k skills when their cache is missing), so it does not wait for it."""
        self._reader.semantic_memory()

    # -- the agent's second stage ---------------------------------------------------------

    @property
    def agent(self) -> AgentRanker:
        """The sentence-model reranker the agent searches with (agent_rank.py)."""
        from memento_tui.domain.retrieval.agent_rank import AgentRanker

        state = self._state
        with state.lock:
            if state.agent is None:
                state.agent = AgentRanker(self)
            return state.agent

    def agent_search(self, query: str, top_k: int | None = None) -> list[SearchHit]:
        """The agent's ranking: this index's search, reranked by the sentence model (the
        first stage alone when the model cannot be read)."""
        return self.agent.search(query, top_k or self.config.top_k)

    def agent_search_leaving_out(self, query: str, top_k: int, task: str, skill: str) -> list[SearchHit]:
        """``agent_search`` as if one success had never been recorded (see search_leaving_out)."""
        from memento_tui.domain.retrieval.semantic import LeaveOut

        return self.agent.search(query, top_k, LeaveOut(task, skill))

"""The agent's second stage: a sentence model reranks what the first stage found.

Interactive search (the Skills screen, ``memento search``, MCP ``find_skills``) must answer
in a millisecond and stays BM25 + learned votes + word vectors. The agent searches once per
task, before a model call that takes seconds, so it can afford all-MiniLM-L6-v2 (about 7 ms
a query on one core, sentence_encoder.py). For the first stage's best ``CANDIDATES`` and
the skills of the nearest past successes, four signals are added:

- the first stage's score, divided by its best (x1);
- the query against the skill's "name: description" (x1.5);
- the query against the skill's prototype, its description plus every task it succeeded
  on (x3);
- softmax votes (temperature 0.05) of the 10 past successes nearest the query (x0.5).

A failure on a task like this one scales the skill's added part by ``1 - failure_weight x
cosine``, as the first stage scales its score. Weights were chosen on the even rows of the
MetaTool dev set and checked on the odd rows (docs/performance.md).

Vectors of skills (by SKILL.md stamp) and of past successes are kept in a SemanticMemory,
cached in ``.memento/index/sentence.npz``; a skill is embedded the first time it is a
candidate (about 10 ms), a success when it is learned. Without the model (a broken install)
the agent gets the first stage's ranking and a note says why; ``memento doctor`` says how
to fix it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

import numpy as np

from memento_tui.domain.retrieval.learned import LearnedStore
from memento_tui.domain.retrieval.manifest import SENTENCE_CACHE
from memento_tui.domain.retrieval.search import SearchHit
from memento_tui.domain.retrieval.semantic import LeaveOut, SemanticMemory

if TYPE_CHECKING:
    from pathlib import Path

    from memento_tui.domain.config import RetrievalConfig
    from memento_tui.domain.paths import WorkspacePaths


class FirstStage(Protocol):
    """What the second stage takes from the index it sits beside (index.py's SkillIndex)."""

    paths: WorkspacePaths
    config: RetrievalConfig
    folder: Path
    notes: list[str]

    @property
    def store(self) -> LearnedStore: ...

    def search(self, query: str, top_k: int | None = None) -> list[SearchHit]: ...

    def search_leaving_out(self, query: str, top_k: int, task: str, skill: str) -> list[SearchHit]: ...

    def skill_stamps(self, names: set[str] | None = None) -> dict[str, str]: ...

    def descriptions(self, names: list[str]) -> dict[str, str]: ...


CANDIDATES = 30
NEIGHBOURS = 10
TEMPERATURE = 0.05
W_FIRST = 1.0
W_DESCRIPTION = 1.5
W_PROTOTYPE = 3.0
W_VOTES = 0.5
WARM_SLICE = 256


class AgentRanker:
    """The second stage beside one SkillIndex; the model loads on the first ``search``."""

    def __init__(self, index: FirstStage) -> None:
        self.index = index
        self.problem: str | None = None  # why the model cannot be used (then: first stage)
        self._lock = threading.Lock()  # loading, and the failure vectors
        self._memory: SemanticMemory | None = None
        self._failures: dict[str, list[np.ndarray]] = {}  # skill -> vectors of failed tasks
        self._failures_seen = 0  # rows of the outcomes store taken in for failures

    def ready(self) -> bool:
        """Load the model and its memory (a worker or the first agent run does this: 0.2-0.7 s)."""
        with self._lock:
            if self._memory is not None:
                return True
            if self.problem is not None:
                return False
            from memento_tui.domain.retrieval.sentence_encoder import sentence_encoder

            try:
                encoder = sentence_encoder()
            except Exception as err:  # numpy, tokenizers and the OS each raise their own
                first = (str(err).strip().splitlines() or [type(err).__name__])[0]
                self.problem = f"the sentence model cannot be read ({first})"
                self.index.notes.append(
                    f"{self.problem}: the agent ranks skills with the first stage alone; "
                    "'memento doctor' says how to fix it"
                )
                return False
            size = LearnedStore.file_size(self.index.paths.learned)
            self._memory = SemanticMemory.load(self.index.folder, encoder, size, SENTENCE_CACHE)
            return True

    def search(self, query: str, top_k: int, leave_out: LeaveOut | None = None) -> list[SearchHit]:
        """The best ``top_k`` skills for the agent; ``leave_out``: as if that one success had
        never been recorded (``memento search --eval``)."""
        depth = max(CANDIDATES, top_k)
        if leave_out is None:
            first = self.index.search(query, depth)
        else:
            first = self.index.search_leaving_out(query, depth, leave_out.task, leave_out.skill)
        if not self.ready() or self._memory is None:
            return first[:top_k]
        memory = self._memory
        self._learn(memory)
        q = memory.vectors.embed_many([query])[0]
        votes = _votes(memory, q, memory._left_out_row(leave_out))
        names = list(dict.fromkeys([hit.name for hit in first] + list(votes)))
        stamps = self.index.skill_stamps(set(names))
        names = [name for name in names if name in stamps]
        if not names:
            return []
        memory.update_skills({name: stamps[name] for name in names}, self.index.descriptions)
        with memory.lock:
            described = np.stack([memory.skills[name][1] for name in names])
            tasks = np.stack([memory._task_sum(name, q, leave_out) for name in names])
        prototypes = described + tasks
        prototypes /= np.maximum(np.linalg.norm(prototypes, axis=1, keepdims=True), 1e-9)
        meaning = W_DESCRIPTION * (described @ q) + W_PROTOTYPE * (prototypes @ q)
        by_name = {hit.name: hit for hit in first}
        best = max((hit.score for hit in first), default=0.0) or 1.0
        weight = self.index.config.failure_weight
        scored: list[tuple[float, str]] = []
        for name, value in zip(names, meaning.tolist(), strict=True):
            hit = by_name.get(name)
            lifted = value + W_VOTES * votes.get(name, 0.0)
            for failed in self._failures.get(name, ()):
                lifted *= max(0.0, 1.0 - weight * float(failed @ q))
            scored.append((W_FIRST * (hit.score / best if hit else 0.0) + lifted, name))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        top = scored[:top_k]
        missing = [name for _, name in top if name not in by_name]
        described_now = self.index.descriptions(missing) if missing else {}
        out = []
        for score, name in top:
            hit = by_name.get(name)
            why = list(hit.why) if hit else ["similar past task"]
            description = hit.description if hit else described_now.get(name, "")
            out.append(SearchHit(name, score, description, why))
        return out

    def _learn(self, memory: SemanticMemory) -> None:
        """Embed the outcomes the memory has not seen: successes into it, failures here."""
        store = self.index.store
        count = min(len(store.rows), len(store.ends))
        rows = list(zip(store.rows[:count], store.ends[:count], strict=True))
        memory.learn(rows)
        with self._lock:
            fresh = [row for row, _ in rows[self._failures_seen :] if row.kind == "failure"]
            self._failures_seen = count
        if fresh:
            made = memory.vectors.embed_many([row.task for row in fresh])
            with self._lock:
                for row, vector in zip(fresh, made, strict=True):
                    self._failures.setdefault(row.skill, []).append(vector)

    def warm(self, names: list[str] | None = None) -> int:
        """Embed the descriptions of ``names`` (every skill by default) ahead of the agent's
        searches; returns how many were embedded. Half a minute per 1,000 skills on one core."""
        if not self.ready() or self._memory is None:
            return 0
        memory = self._memory
        self._learn(memory)
        stamps = self.index.skill_stamps(set(names) if names is not None else None)
        with memory.lock:
            stale = [n for n, s in stamps.items() if memory.skills.get(n, ("",))[0] != s]
        # In slices, so the tokenizer's encodings of 10k texts are never held at once.
        for start in range(0, len(stale), WARM_SLICE):
            chunk = stale[start : start + WARM_SLICE]
            memory.update_skills({n: stamps[n] for n in chunk}, self.index.descriptions)
        return len(stale)

    def save(self) -> None:
        """Keep the vectors for the next process (``.memento/index/sentence.npz``)."""
        if self._memory is not None:
            self._memory.save(self.index.folder, SENTENCE_CACHE)


def _votes(memory: SemanticMemory, q: np.ndarray, skip: int | None) -> dict[str, float]:
    """Softmax votes of the past successes nearest ``q`` (``skip``: a row left out)."""
    with memory.lock:
        count = len(memory.task_skills)
        if not count:
            return {}
        similarity = memory.task_vectors[:count] @ q
        if skip is not None:
            similarity[skip] = -np.inf
        k = min(NEIGHBOURS, count - (skip is not None))
        if k <= 0:
            return {}
        top = np.argpartition(-similarity, k - 1)[:k]
        weights = np.exp((similarity[top] - similarity[top].max()) / TEMPERATURE)
        weights /= weights.sum()
        votes: dict[str, float] = {}
        for i, w in zip(top.tolist(), weights.tolist(), strict=True):
            name = memory.task_skills[i]
            votes[name] = votes.get(name, 0.0) + w
        return votes

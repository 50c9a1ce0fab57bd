"""Meaning beside words: static word vectors that rerank what BM25 and the learned votes found.

BM25 cannot tell that "shorten this link" wants the URL tool when the tool says "compact
address". Each WordPiece token has a 128-number vector, distilled once from the sentence
model all-MiniLM-L6-v2 (scripts/build_word_vectors.py; Apache-2.0, see vectors/NOTICE); a
text's vector is the normalised sum of its tokens' rows, about 0.05 ms per query with no
model at run time. Three signals come from it, for the candidates only (so a query costs
the same whatever the library's size):

- the query against the skill's "name: description";
- the query against the skill's prototype, its description plus every task it succeeded on;
- softmax votes of the nearest past successes.

They are added to the candidates' scores after those are divided by the best one, scaled
by ``retrieval.semantic_weight``. The weights were tuned on half of the MetaTool dev set and
checked on the other half (docs/performance.md). Failures do not vote here; the skill's
failure penalty scales its semantic part as it scales the rest.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from memento_tui.domain.retrieval.manifest import SEMANTIC_CACHE as CACHE

VECTORS = Path(__file__).resolve().parent / "vectors"
W_DESCRIPTION = 1.0
W_PROTOTYPE = 2.0
W_NEIGHBOURS = 0.5
NEIGHBOURS = 10
TEMPERATURE = 0.1  # of the softmax over the neighbours' similarities
# A past task less like the query than this does not vote: without a floor, a query like
# nothing ever seen still collected votes. (0.2 to 0.5 all give the same dev figures.)
MIN_NEIGHBOUR_SIMILARITY = 0.35
MIN_DESCRIPTION_SIMILARITY = 0.25  # for a skill found by meaning alone


class Embedder(Protocol):
    """What SemanticMemory embeds with: these word vectors, or the sentence model of the
    agent's second stage (sentence_encoder.py), which keeps its own memory the same way."""

    dims: int

    def embed_many(self, texts: list[str]) -> np.ndarray: ...


class WordVectors:
    """The token table and its tokenizer, read once per process (the table is memory-mapped)."""

    def __init__(self, folder: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = folder or VECTORS

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.table = np.load(folder / "words.npy", mmap_mode="r")
        self.dims = int(self.table.shape[1])
        self.weighted = np.asarray(self.table.any(axis=1)).tolist()  # False: a stopword's row

    def embed(self, text: str) -> np.ndarray:
        return self.embed_query(text)[0]

    def embed_query(self, text: str) -> tuple[np.ndarray, bool]:
        """(the text's vector, whether its words are ones the vocabulary knows): a word cut
        into three or more pieces ("qqqq": q ##q ##q ##q) is a name, a typo or noise, and
        noise has a direction too."""
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        if not encoding.ids:
            return np.zeros(self.dims, np.float32), False
        pieces: dict[int, int] = {}
        weighted = self.weighted
        for word, token in zip(encoding.word_ids, encoding.ids, strict=True):
            if word is not None and weighted[token]:
                pieces[word] = pieces.get(word, 0) + 1
        known = sum(1 for count in pieces.values() if count <= 2)
        return _unit(self.table[encoding.ids].sum(0, dtype=np.float32)), known * 2 >= len(pieces) > 0

    def embed_many(self, texts: list[str], chunk: int = 1024) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), np.float32)
        # In chunks: the tokenizer's encodings of 10k texts at once held some 40 MB more.
        for start in range(0, len(texts), chunk):
            encodings = self.tokenizer.encode_batch(texts[start : start + chunk], add_special_tokens=False)
            for i, encoding in enumerate(encodings, start):
                if encoding.ids:
                    out[i] = self.table[encoding.ids].sum(0, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-9), np.float32)


@lru_cache(maxsize=1)
def word_vectors() -> WordVectors:
    return WordVectors()


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass(frozen=True)
class LeaveOut:
    """One success to score without (``memento search --eval``)."""

    task: str
    skill: str


class SemanticMemory:
    """Skill vectors (by the SKILL.md stamp they were made from) and past successes."""

    def __init__(self, vectors: Embedder) -> None:
        self.vectors = vectors
        self.lock = threading.Lock()
        self.skills: dict[str, tuple[str, np.ndarray]] = {}  # name -> (stamp, vector)
        self._task_store = np.zeros((0, vectors.dims), np.float32)  # grows by doubling
        self.task_skills: list[str] = []
        self.tasks: list[str] = []
        self.task_sums: dict[str, np.ndarray] = {}  # name -> sum of its tasks' vectors
        self.learned_size = 0  # bytes of outcomes.jsonl taken in
        self.dirty = False
        self._matrix: tuple[list[str], np.ndarray] | None = None  # every skill's vector, stacked

    # -- keeping current ---------------------------------------------------------------------
    def sync_skills(self, stamps: dict[str, str], describe: Callable[[list[str]], dict[str, str]]) -> None:
        """Match ``stamps`` (every searchable skill): drop the skills that are gone, embed the
        new and changed ones."""
        with self.lock:
            gone = set(self.skills).difference(stamps)
        self.update_skills({**dict.fromkeys(gone), **stamps}, describe)

    def update_skills(self, changes: dict[str, str | None], describe: Callable[[list[str]], dict[str, str]]) -> None:
        """Skill -> its SKILL.md's stamp now (None: gone); embed those whose stamp moved."""
        with self.lock:
            for name in [n for n, stamp in changes.items() if stamp is None and n in self.skills]:
                del self.skills[name]
                self._matrix = None
                self.dirty = True
            stale = [n for n, stamp in changes.items() if stamp is not None and self.skills.get(n, ("",))[0] != stamp]
        if not stale:
            return
        texts = describe(stale)
        made = self.vectors.embed_many([f"{name}: {texts.get(name, '')}" for name in stale])
        with self.lock:
            for name, vector in zip(stale, made, strict=True):
                self.skills[name] = (str(changes[name]), vector)
            self.dirty = True
            self._matrix = None

    def learn(self, rows: Iterable[tuple[Any, int]]) -> None:
        """Take in outcome rows (row, byte offset past it); successes only."""
        rows = [(row, end) for row, end in rows if end > self.learned_size]
        if not rows:
            return
        successes = [row for row, _ in rows if row.kind == "success"]
        made = self.vectors.embed_many([row.task for row in successes]) if successes else None
        with self.lock:
            if made is not None:
                self._append_tasks(made)
                for row, vector in zip(successes, made, strict=True):
                    self.task_skills.append(row.skill)
                    self.tasks.append(row.task)
                    self.task_sums[row.skill] = self.task_sums.get(row.skill, 0) + vector
            self.learned_size = max(end for _, end in rows)
            self.dirty = True

    def _append_tasks(self, made: np.ndarray) -> None:
        count = len(self.task_skills)
        need = count + len(made)
        if need > len(self._task_store):
            grown = np.zeros((max(need, 2 * len(self._task_store), 256), self.vectors.dims), np.float32)
            grown[:count] = self._task_store[:count]
            self._task_store = grown
        self._task_store[count:need] = made

    @property
    def task_vectors(self) -> np.ndarray:
        return self._task_store[: len(self.task_skills)]

    # -- scoring -----------------------------------------------------------------------------
    def rerank(
        self,
        query: str,
        scores: dict[str, float],
        *,
        weight: float,
        is_live: Callable[[str], bool],
        penalty: dict[str, float],
        learned: bool = True,
        leave_out: LeaveOut | None = None,
        fill_to: int = 0,
    ) -> tuple[dict[str, float], dict[str, str]]:
        """(new scores, the nearest past task of each skill that got neighbour votes).

        ``learned`` False: descriptions only (``retrieval.learn`` is off). With fewer than
        ``fill_to`` candidates, the skills whose descriptions are nearest in meaning join
        them (a query that shares no word with any skill still finds one)."""
        assert isinstance(self.vectors, WordVectors), "rerank is the word vectors' own"
        q, familiar = self.vectors.embed_query(query)
        # Scaled by the best score before failure penalties, so a penalised leader stays down.
        best = max((s / penalty[n] if penalty.get(n) else s for n, s in scores.items()), default=0.0) or 1.0
        with self.lock:
            votes, nearest = self._neighbour_votes(q, leave_out) if learned else ({}, {})
            candidates = [n for n in dict.fromkeys([*scores, *votes]) if n in self.skills and is_live(n)]
            if len(candidates) < fill_to and familiar:
                candidates += [n for n in self._nearest_skills(q, fill_to) if n not in candidates and is_live(n)]
            if not candidates:
                return scores, {}
            descriptions = np.stack([self.skills[n][1] for n in candidates])
            meaning = W_DESCRIPTION * (descriptions @ q)
            if learned and self.task_skills:
                prototypes = descriptions + np.stack([self._task_sum(n, q, leave_out) for n in candidates])
                prototypes /= np.maximum(np.linalg.norm(prototypes, axis=1, keepdims=True), 1e-9)
                meaning += W_PROTOTYPE * (prototypes @ q)
        out = {name: score / best for name, score in scores.items()}
        for name, value in zip(candidates, meaning.tolist(), strict=True):
            lift = weight * (value + W_NEIGHBOURS * votes.get(name, 0.0))
            out[name] = out.get(name, 0.0) + lift * penalty.get(name, 1.0)
        return out, nearest

    def _nearest_skills(self, q: np.ndarray, count: int) -> list[str]:
        """The skills whose descriptions are nearest ``q`` (a pass over all of them: only
        for the few queries that matched almost nothing by their words)."""
        if self._matrix is None:
            names = list(self.skills)
            if not names:
                return []
            self._matrix = (names, np.stack([self.skills[n][1] for n in names]))
        names, matrix = self._matrix
        similarity = matrix @ q
        top = np.argsort(-similarity)[:count]
        return [names[i] for i in top.tolist() if similarity[i] >= MIN_DESCRIPTION_SIMILARITY]

    def _neighbour_votes(self, q: np.ndarray, leave_out: LeaveOut | None) -> tuple[dict[str, float], dict[str, str]]:
        count = len(self.task_skills)
        if not count:
            return {}, {}
        similarity = self.task_vectors[:count] @ q
        skip = self._left_out_row(leave_out)
        if skip is not None:
            similarity[skip] = -np.inf
        k = min(NEIGHBOURS, count - (skip is not None))
        if k <= 0:
            return {}, {}
        top = np.argpartition(-similarity, k - 1)[:k]
        top = top[np.argsort(-similarity[top])]
        top = top[similarity[top] >= MIN_NEIGHBOUR_SIMILARITY]
        if not len(top):
            return {}, {}
        weights = np.exp((similarity[top] - similarity[top[0]]) / TEMPERATURE)
        weights /= weights.sum()
        votes: dict[str, float] = {}
        nearest: dict[str, str] = {}
        for i, w in zip(top.tolist(), weights.tolist(), strict=True):
            name = self.task_skills[i]
            votes[name] = votes.get(name, 0.0) + w
            nearest.setdefault(name, self.tasks[i])
        return votes, nearest

    def _task_sum(self, name: str, q: np.ndarray, leave_out: LeaveOut | None) -> np.ndarray:
        total = self.task_sums.get(name)
        if total is None:
            return np.zeros_like(q)
        if leave_out is not None and leave_out.skill == name:
            row = self._left_out_row(leave_out)
            if row is not None:
                return np.asarray(total - self.task_vectors[row])
        return np.asarray(total)

    def _left_out_row(self, leave_out: LeaveOut | None) -> int | None:
        if leave_out is None:
            return None
        wanted = " ".join(leave_out.task.split())
        for i, (task, skill) in enumerate(zip(self.tasks, self.task_skills, strict=True)):
            if skill == leave_out.skill and " ".join(task.split()) == wanted:
                return i
        return None

    # -- the cache in .memento/index/ --------------------------------------------------------
    def save(self, folder: Path, name: str = CACHE) -> None:
        from memento_tui.domain.files import atomic_write

        with self.lock:
            if not self.dirty:
                return
            names = list(self.skills)
            arrays = {
                "skill_names": np.array(names, dtype=str),
                "skill_stamps": np.array([self.skills[n][0] for n in names], dtype=str),
                # float32 as in memory: the same scores whether the vectors were cached or not
                "skill_vectors": np.stack([self.skills[n][1] for n in names])
                if names
                else np.zeros((0, self.vectors.dims), np.float32),
                "task_vectors": self.task_vectors.copy(),
                "task_skills": np.array(self.task_skills, dtype=str),
                "tasks": np.array(self.tasks, dtype=str),
                "learned_size": np.array([self.learned_size]),
            }
            self.dirty = False
        import io

        buffer = io.BytesIO()
        savez: Any = np.savez  # its stubs take **arrays for its keyword flags
        savez(buffer, **arrays)
        atomic_write(folder / name, buffer.getvalue())

    @classmethod
    def load(cls, folder: Path, vectors: Embedder, learned_size: int, name: str = CACHE) -> SemanticMemory:
        """The cached memory, or an empty one when there is none, it cannot be read, or the
        outcomes file is now shorter than what it took in (replaced: learn it all again)."""
        memory = cls(vectors)
        try:
            with np.load(folder / name) as data:
                size = int(data["learned_size"][0])
                skill_vectors = data["skill_vectors"].astype(np.float32)
                if skill_vectors.shape[1:] != (vectors.dims,):
                    return memory
                for name, stamp, vector in zip(data["skill_names"], data["skill_stamps"], skill_vectors, strict=True):
                    memory.skills[str(name)] = (str(stamp), vector)
                if size <= learned_size:
                    memory._task_store = data["task_vectors"].astype(np.float32)
                    memory.task_skills = [str(s) for s in data["task_skills"]]
                    memory.tasks = [str(t) for t in data["tasks"]]
                    memory.learned_size = size
                    for name, vector in zip(memory.task_skills, memory.task_vectors, strict=True):
                        memory.task_sums[name] = memory.task_sums.get(name, 0) + vector
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # a torn write
            return cls(vectors)
        return memory

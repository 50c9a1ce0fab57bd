"""A small supervised model over learned outcomes: which skill does a task text want?

Softmax regression over sparse features (the analyzed words of the task and the bigrams of
them), trained by one pass of stochastic gradient descent over ``outcomes.jsonl`` in file
order. One pass in file order is what makes it incremental: each recorded outcome is one
update, and a model trained row by row as outcomes arrive is the very model a rebuild from
the file gives (so ``skills teach --from`` and ``record_success`` agree).

Why beside the neighbour votes and profiles: those score a skill by how much a query looks
like its past tasks; this one learns which words *tell skills apart* (``radar`` means the
weather tool even though image-search says "image" more often). Its probability is added
to the lexical score in search.py, scaled by the best lexical score of the query.

The weights are a disposable cache in ``.memento/index/classifier.json``: the outcomes file
is the truth, the cache records how many bytes of it were learned, and a cache that is
missing, unreadable, from another format or ahead of the file is trained again from it.

A failure (skill retrieved, task failed) pushes only that skill down for the task's words.
Sparse updates keep it cheap: a success moves the right skill up and only the skills the
model currently gives more than ``MIN_GRADIENT`` probability down.
"""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel, ValidationError

from memento_tui.domain.files import atomic_write
from memento_tui.domain.retrieval.learned import LearnedRow
from memento_tui.domain.retrieval.learned_model import LearnedModel, Rows
from memento_tui.domain.retrieval.tokenize import tokenize

CACHE_FILE = "classifier.json"
FORMAT = 1
# The step size of the one SGD pass. Chosen on MetaTool dev (5 and 30 were worse at 1,000
# and 5,000 experiences; 10 is in the middle of a broad plateau).
LEARNING_RATE = 10.0
MIN_GRADIENT = 0.05  # skills with less probability than this are not pushed down


def features(text: str) -> list[str]:
    """Unique words (stemmed, no stopwords, compounds split and joined) and word bigrams."""
    tokens = tokenize(text)
    out = dict.fromkeys(tokens)
    out.update(dict.fromkeys(f"{a} {b}" for a, b in pairwise(tokens)))
    return list(out)


class ClassifierCache(BaseModel):
    """``.memento/index/classifier.json``: the model and how much of the outcomes it read."""

    format: int = FORMAT
    size: int = 0  # bytes of outcomes.jsonl learned
    skills: list[str] = []  # every skill seen in a row, in order of first sight
    weights: dict[str, dict[str, float]] = {}


class SkillClassifier:
    """Softmax regression, feature -> {skill: weight}; skills never seen score 0."""

    def __init__(self, cache: ClassifierCache | None = None) -> None:
        cache = cache or ClassifierCache()
        self.size = cache.size
        self.skills: dict[str, None] = dict.fromkeys(cache.skills)
        self.weights = cache.weights

    # -- scoring ---------------------------------------------------------------------------

    def probabilities(self, feats: list[str], n_skills: int) -> dict[str, float]:
        """P(skill | text) for the skills with a weight on one of ``feats``.

        The other ``n_skills - len(result)`` skills share the rest (each has logit 0), so
        this costs only what the text's features touch, never a pass over every skill.
        """
        logits = self._logits(feats)
        if not logits:
            return {}
        top = max(0.0, *logits.values())
        exps = {skill: math.exp(v - top) for skill, v in logits.items()}
        rest = max(n_skills - len(exps), 0) * math.exp(-top)
        total = sum(exps.values()) + rest
        return {skill: e / total for skill, e in exps.items()}

    def _logits(self, feats: list[str]) -> dict[str, float]:
        scale = 1.0 / math.sqrt(max(len(feats), 1))  # a long task does not shout louder
        out: dict[str, float] = {}
        for feat in feats:
            row = self.weights.get(feat)
            if row:
                for skill, w in row.items():
                    out[skill] = out.get(skill, 0.0) + w * scale
        return out

    # -- learning --------------------------------------------------------------------------

    def learn(self, row: LearnedRow, end: int) -> None:
        """One SGD step on one outcome row; ``end`` is its end offset in the file."""
        feats = features(row.task)
        if row.kind == "success":
            self.skills.setdefault(row.skill, None)
        if feats:
            probs = self.probabilities(feats, len(self.skills) or 1)
            if row.kind == "success":
                # The gradient of -log P(skill): up for the right skill, down for the others
                # in proportion to the probability they took.
                grad = {s: p for s, p in probs.items() if p > MIN_GRADIENT and s != row.skill}
                grad[row.skill] = probs.get(row.skill, 1.0 / max(len(self.skills), 1)) - 1.0
            else:
                # Down for the skill that failed, by how sure the model was of it.
                grad = {row.skill: probs.get(row.skill, 0.0)}
            step = LEARNING_RATE / math.sqrt(len(feats))
            for feat in feats:
                weights = self.weights.setdefault(feat, {})
                for skill, g in grad.items():
                    if g:
                        weights[skill] = weights.get(skill, 0.0) - step * g
        self.size = max(self.size, end)

    def learn_all(self, rows: list[LearnedRow], ends: list[int]) -> int:
        """Learn every row past ``self.size``; returns how many were learned."""
        n = 0
        for row, end in zip(rows, ends, strict=True):
            if end > self.size:
                self.learn(row, end)
                n += 1
        return n

    # -- the cache -------------------------------------------------------------------------

    def to_cache(self) -> ClassifierCache:
        return ClassifierCache(size=self.size, skills=list(self.skills), weights=self.weights)

    def save(self, folder: Path) -> None:
        """Write the cache atomically: a reader sees the old one or the new one."""
        atomic_write(folder / CACHE_FILE, self.to_cache().model_dump_json().encode("utf-8"))

    @classmethod
    def load(cls, folder: Path, outcomes_size: int) -> SkillClassifier:
        """The cached model, or an empty one when the cache cannot be used as it is."""
        try:
            cache = ClassifierCache.model_validate_json((folder / CACHE_FILE).read_bytes())
        except (OSError, ValueError, ValidationError):
            return cls()
        if cache.format != FORMAT or cache.size > outcomes_size:
            return cls()  # another format, or the outcomes file was cut or replaced
        return cls(cache)


__all__ = ["CACHE_FILE", "ClassifierCache", "SkillClassifier", "features"]


class LearnedClassifier(LearnedModel[SkillClassifier]):
    """The classifier beside a SkillIndex (kept.py): trained on the first search that needs
    it, from ``classifier.json`` and then the rows that cache had not seen."""

    NAME = "the classifier cache"

    def __init__(self, folder: Path, learned: Path, notes: list[str]) -> None:
        super().__init__(folder, learned, notes)
        self.dirty = False  # learned more than the cache on disk holds

    def load(self, outcomes_size: int) -> SkillClassifier:
        return SkillClassifier.load(self.folder, outcomes_size)

    def learned_size(self, model: SkillClassifier) -> int:
        return model.size

    def learn(self, model: SkillClassifier, rows: Rows) -> None:
        if model.learn_all([row for row, _ in rows], [end for _, end in rows]):
            self.dirty = True

    def write(self, model: SkillClassifier) -> None:
        if self.dirty:
            model.save(self.folder)
            self.dirty = False

    def probabilities(self, query: str, n_skills: int) -> dict[str, float]:
        """P(skill | query), with every outcome recorded so far learned first."""
        with self.lock:
            model = self.current()
            return model.probabilities(features(query), n_skills) if model.weights else {}

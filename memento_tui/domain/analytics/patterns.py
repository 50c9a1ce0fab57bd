"""Recurring task patterns: group similar task texts, deterministically.

Task texts are short, so a plain word-set Jaccard similarity does well and needs no
model or index: lower-case word tokens, English stopwords and one-letter words dropped,
a trailing plural ``s`` cut so "date"/"dates" meet. A task joins the group holding the
task most like it when that similarity reaches the threshold (tasks taken oldest first,
so the same runs always give the same groups). A prefix-filtered index keeps this fast
on thousands of failures (see SimilarityIndex; benchmarks/insights.py measures it).
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence

DEFAULT_THRESHOLD = 0.5

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    " ".join(
        (
            "a an and are as at be by for from has have in into is it its of on or that the",
            "this to was were will with please each every all any then than them they their",
            "there which what when where who how do does did can could should would make use",
            "using",
        )
    ).split(" ")
)


@functools.lru_cache(maxsize=16384)
def tokens(text: str) -> frozenset[str]:
    """The comparable words of a task text."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in _STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.add(word)
    return frozenset(out)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def similarity(text_a: str, text_b: str) -> float:
    return jaccard(tokens(text_a), tokens(text_b))


class SimilarityIndex:
    """Find the stored word sets at least ``threshold``-similar to a query, fast.

    Prefix filtering (as in set-similarity joins): with every set's words in one fixed
    order, rarest first, two sets whose Jaccard similarity reaches t must share a word
    among the first |x| - ceil(t*|x|) + 1 words of each. Only those words are indexed,
    so a query meets a few candidates instead of every stored set, and the answer is
    exact: no pair above the threshold is missed.
    """

    def __init__(self, threshold: float, frequency: Counter[str]) -> None:
        self.threshold = threshold
        self.frequency = frequency
        self.sets: list[frozenset[str]] = []
        self.labels: list[int] = []
        self.postings: dict[str, list[int]] = {}
        self.empty: list[int] = []

    def _prefix(self, toks: frozenset[str]) -> list[str]:
        ordered = sorted(toks, key=lambda w: (self.frequency.get(w, 0), w))
        keep = len(ordered) - math.ceil(self.threshold * len(ordered) - 1e-9) + 1
        return ordered[: max(keep, 1)]

    def add(self, toks: frozenset[str], label: int) -> None:
        at = len(self.sets)
        self.sets.append(toks)
        self.labels.append(label)
        if not toks:
            self.empty.append(at)
        for word in self._prefix(toks):
            self.postings.setdefault(word, []).append(at)

    def best(self, toks: frozenset[str]) -> tuple[int, float]:
        """The label with the most similar stored set at or above the threshold (the
        lowest label on a tie), or (-1, 0.0)."""
        if not toks:
            candidates = set(self.empty)
        else:
            candidates = {at for word in self._prefix(toks) for at in self.postings.get(word, ())}
        best_label, best_score = -1, 0.0
        size = len(toks)
        low = self.threshold * size - 1e-9
        high = size / self.threshold + 1e-9 if self.threshold else math.inf
        for at in sorted(candidates):
            other = self.sets[at]
            if not low <= len(other) <= high:
                continue  # Jaccard <= min/max size: too short or too long to reach t
            score = jaccard(toks, other)
            label = self.labels[at]
            if score >= self.threshold and (score > best_score or (score == best_score and label < best_label)):
                best_label, best_score = label, score
        return best_label, best_score


def word_frequency(texts: Sequence[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokens(text))
    return counts


# A group's first distinct word sets stand for it: enough to catch its paraphrases, and a
# bound on the work when thousands of failures repeat the same few tasks.
MAX_INDEXED_PER_GROUP = 16


def cluster_texts(texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Group ``texts`` (already in a stable order) and return each group's indices."""
    return group_texts(texts, threshold)[0]


def group_texts(texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> tuple[list[list[int]], SimilarityIndex]:
    """Group ``texts`` (already in a stable order): each group's indices, and the index
    of the groups' word sets (labels are group numbers) for placing more texts.

    A text joins the group holding the text most similar to it when that similarity
    reaches ``threshold`` (the earliest group wins a tie); otherwise it starts a new
    group. Identical texts always share a group.
    """
    groups: list[list[int]] = []
    exact: dict[str, int] = {}
    seen_sets: dict[frozenset[str], int] = {}
    indexed: Counter[int] = Counter()
    index = SimilarityIndex(threshold, word_frequency(texts))
    for at, text in enumerate(texts):
        key = " ".join(text.lower().split())
        if key in exact:
            groups[exact[key]].append(at)
            continue
        toks = tokens(text)
        if toks in seen_sets:
            # Same words, other spelling: the same group, and nothing new to index.
            chosen = seen_sets[toks]
        else:
            chosen, _ = index.best(toks)
            if chosen < 0:
                groups.append([])
                chosen = len(groups) - 1
            if indexed[chosen] < MAX_INDEXED_PER_GROUP:
                index.add(toks, chosen)
                indexed[chosen] += 1
            seen_sets[toks] = chosen
        groups[chosen].append(at)
        exact[key] = chosen
    return groups, index


def keywords(texts: Sequence[str], limit: int = 5) -> list[str]:
    """The words most of the texts share, most common first (ties: first seen)."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for text in texts:
        for word in sorted(tokens(text)):
            counts[word] += 1
            first_seen.setdefault(word, len(first_seen))
    ranked = sorted(counts, key=lambda w: (-counts[w], first_seen[w]))
    return ranked[:limit]


def medoid(texts: Sequence[str], limit: int = 200) -> int:
    """The index of the text most like the others (the earliest on a tie).

    Exact over the distinct word sets when there are at most ``limit`` of them; beyond
    that, the first ``limit`` distinct sets stand in for the group, so a huge group
    costs limit² comparisons, not n².
    """
    firsts: dict[frozenset[str], int] = {}
    weight: Counter[frozenset[str]] = Counter()
    for i, text in enumerate(texts):
        toks = tokens(text)
        firsts.setdefault(toks, i)
        weight[toks] += 1
    distinct = list(firsts)[:limit]
    best_at, best_score = 0, -1.0
    for a in distinct:
        # Similarity to every other text: its own copies count fully, minus itself.
        score = sum(weight[b] * jaccard(a, b) for b in distinct) - 1.0
        if score > best_score:
            best_at, best_score = firsts[a], score
    return best_at


def pattern_id(texts: Sequence[str]) -> str:
    """A short id that stays the same for the same group of texts."""
    joined = "\n".join(sorted(" ".join(t.lower().split()) for t in texts))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:8]

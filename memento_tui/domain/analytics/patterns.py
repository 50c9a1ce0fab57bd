"""Recurring task patterns: group similar task texts, deterministically.

Task texts are short, so a plain token-set Jaccard similarity does well and needs no
model or index: lower-case word tokens, English stopwords and one-letter words dropped,
a trailing plural ``s`` cut so "date"/"dates" meet. Two tasks belong together when their
similarity reaches the threshold with any task already in a group (single link, tasks
taken oldest first), so the same runs always give the same groups.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    return len(a & b) / len(a | b)


def similarity(text_a: str, text_b: str) -> float:
    return jaccard(tokens(text_a), tokens(text_b))


@dataclass
class Cluster:
    """Indices into the input list, in input order."""

    members: list[int] = field(default_factory=list)
    token_sets: list[frozenset[str]] = field(default_factory=list)

    def best(self, toks: frozenset[str]) -> float:
        return max((jaccard(toks, t) for t in self.token_sets), default=0.0)


def cluster_texts(texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Group ``texts`` (already in a stable order) and return each group's indices.

    A text joins the group it is most similar to when that similarity reaches
    ``threshold`` (the earliest group wins a tie); otherwise it starts a new group.
    Identical texts always share a group.
    """
    clusters: list[Cluster] = []
    exact: dict[str, int] = {}
    for index, text in enumerate(texts):
        key = " ".join(text.lower().split())
        if key in exact:
            target = clusters[exact[key]]
            target.members.append(index)
            continue
        toks = tokens(text)
        best_at, best_score = -1, -1.0
        for at, cluster in enumerate(clusters):
            score = cluster.best(toks)
            if score > best_score:
                best_at, best_score = at, score
        if best_at >= 0 and best_score >= threshold:
            chosen = best_at
        else:
            clusters.append(Cluster())
            chosen = len(clusters) - 1
        clusters[chosen].members.append(index)
        clusters[chosen].token_sets.append(toks)
        exact[key] = chosen
    return [c.members for c in clusters]


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


def medoid(texts: Sequence[str]) -> int:
    """The index of the text most like the others (the earliest on a tie)."""
    sets = [tokens(t) for t in texts]
    best_at, best_score = 0, -1.0
    for i, a in enumerate(sets):
        score = sum(jaccard(a, b) for j, b in enumerate(sets) if j != i)
        if score > best_score:
            best_at, best_score = i, score
    return best_at


def pattern_id(texts: Sequence[str]) -> str:
    """A short id that stays the same for the same group of texts."""
    joined = "\n".join(sorted(" ".join(t.lower().split()) for t in texts))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:8]

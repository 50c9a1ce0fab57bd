"""Skills changed since the last commit, searchable at once.

A tantivy commit fsyncs every file of a new segment: 40–110 ms on this kind of machine. An
edit must show in search sooner than that, so a changed skill goes into this overlay first,
is scored here in Python with the committed index's statistics (document frequency, average
field length), and leaves the overlay once a background commit has made it durable. A
removed skill is an overlay entry whose ``doc`` is ``None``: it hides the committed document
until then.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from memento_tui.domain.retrieval.engine import SKILL_FIELDS, FieldStats, bm25, field_lengths
from memento_tui.domain.retrieval.manifest import Stamp


@dataclass(frozen=True)
class PendingSkill:
    """A skill as it is now on disk, not yet in the committed index."""

    name: str
    description: str
    body: str
    terms: dict[str, Counter[str]] = field(repr=False)

    @classmethod
    def make(cls, name: str, description: str, body: str) -> PendingSkill:
        return cls(name, description, body, field_lengths(name, description, body))

    def score(self, terms: list[str], weights: dict[str, float], searcher: Any, avg_len: dict[str, float]) -> float:
        total = 0.0
        docs = max(int(searcher.num_docs), 1)
        for name in SKILL_FIELDS:
            weight = weights.get(name, 0.0)
            counts = self.terms[name]
            if weight <= 0 or not counts:
                continue
            length = sum(counts.values())
            stats = FieldStats(docs=docs, avg_len=avg_len.get(name, float(length)))
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    # The committed copy of this very skill may count in doc_freq; at worst
                    # that lowers idf a little for a skill being edited.
                    df = int(searcher.doc_freq(name, term))
                    total += weight * bm25(tf, length, max(df, 1), stats)
        return total

    def matched_fields(self, terms: list[str]) -> list[str]:
        """Same rule as for committed skills: "body" only when name and description miss."""
        wanted = set(terms)
        matched = [name for name in SKILL_FIELDS[:2] if wanted & self.terms[name].keys()]
        if not matched and wanted & self.terms["body"].keys():
            matched.append("body")
        return matched


@dataclass(frozen=True)
class Change:
    """One pending change: the new stamp and document, or ``doc=None`` for a removal."""

    version: int
    stamp: Stamp | None
    doc: PendingSkill | None
    broken: bool = False  # the SKILL.md exists but cannot be loaded

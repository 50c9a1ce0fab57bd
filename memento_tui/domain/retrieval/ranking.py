"""How learned outcomes move a ranking: a nearest-neighbour vote over past tasks.

Every outcome row is a small document. A query finds its nearest past tasks by BM25; each
success neighbour votes for its skill with its score, and each skill counts only its best
few votes (decaying), so a skill taught a thousand times cannot outvote one taught three
times for the same kind of task. A failure neighbour does not vote: it scales its skill's
final score down by how similar the failed task is to the query (cosine over terms), so the
skill drops for tasks like the one it failed, and only for those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from memento_tui.domain.retrieval.engine import KIND_FAILURE, KIND_SUCCESS, fields_query
from memento_tui.domain.retrieval.tokenize import analyzer, expand_compounds

VOTE_DECAY = 0.5  # the 2nd vote of a skill counts half, the 3rd a quarter...


@dataclass
class Neighbours:
    votes: dict[str, float] = field(default_factory=dict)
    # the best-scoring success neighbour of each skill, for "why"
    best: dict[str, Any] = field(default_factory=dict)
    # multipliers <= 1 for skills that failed on similar tasks
    penalty: dict[str, float] = field(default_factory=dict)
    failed_on: dict[str, str] = field(default_factory=dict)


def find_neighbours(
    searcher: Any,
    schema: Any,
    terms: list[str],
    names_by_id: dict[int, str],
    *,
    limit: int,
    votes_per_skill: int,
    failure_weight: float,
) -> Neighbours:
    out = Neighbours()
    if not terms or searcher.num_docs == 0:
        return out
    hits = searcher.search(fields_query(schema, terms, {"trigger": 1.0}), limit, count=False).hits
    if not hits:
        return out
    addrs = [addr for _, addr in hits]
    sids = searcher.fast_field_values("sid", addrs)
    kinds = searcher.fast_field_values("kind", addrs)
    counted: dict[str, int] = {}
    query_terms = set(terms)
    for (score, addr), sid, kind in zip(hits, sids, kinds, strict=True):
        name = names_by_id.get(int(sid or 0))
        if name is None:
            continue
        if kind == KIND_SUCCESS:
            n = counted.get(name, 0)
            if n >= votes_per_skill:
                continue
            counted[name] = n + 1
            out.votes[name] = out.votes.get(name, 0.0) + score * VOTE_DECAY**n
            out.best.setdefault(name, addr)
        elif kind == KIND_FAILURE and failure_weight > 0:
            task = searcher.doc(addr).get_first("trigger") or ""
            failed_terms = set(analyzer().analyze(expand_compounds(task)))
            if not failed_terms:
                continue
            similarity = len(query_terms & failed_terms) / math.sqrt(len(query_terms) * len(failed_terms))
            factor = max(0.0, 1.0 - failure_weight * similarity)
            out.penalty[name] = out.penalty.get(name, 1.0) * factor
            out.failed_on.setdefault(name, task.splitlines()[0] if task else "")
    return out

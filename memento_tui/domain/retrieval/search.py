"""One search over a consistent snapshot of the index: BM25, overlay, learned votes, why."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.retrieval.engine import fields_query, query_terms
from memento_tui.domain.retrieval.overlay import Change
from memento_tui.domain.retrieval.ranking import Neighbours, find_neighbours
from memento_tui.domain.retrieval.tokenize import analyzer, expand_compounds

if TYPE_CHECKING:  # numpy comes with semantic.py: imported on the first search that uses it
    from memento_tui.domain.retrieval.semantic import LeaveOut, SemanticMemory

WHY_PROBABILITY = 0.1  # a classifier probability worth showing in "why"
SEMANTIC_CANDIDATES = 30  # skills that meaning may reorder (plus those past tasks vote for)


@dataclass(frozen=True)
class SearchHit:
    name: str
    score: float
    description: str
    # The fields that matched ("name", "description"; "body" when neither of those did),
    # then "trigger: <past task>" and "failed on: <past task>" from learned outcomes.
    why: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "score": round(self.score, 4), "why": list(self.why)}


@dataclass(frozen=True)
class Snapshot:
    """What one search reads, taken under the index lock so a commit cannot tear it."""

    searcher: Any
    schema: Any
    lsearcher: Any
    lschema: Any
    psearcher: Any
    pschema: Any
    pending: dict[str, Change]
    names_by_id: dict[int, str]
    live: set[str]  # skills in the committed index (pending changes override them); read-only
    avg_len: dict[str, float]
    # P(skill | query) from the classifier over outcomes (empty when it has learned nothing)
    probabilities: dict[str, float] = field(default_factory=dict)
    semantic: SemanticMemory | None = None  # None: retrieval.semantic_weight is 0
    leave_out: LeaveOut | None = None


def weights_of(config: RetrievalConfig) -> dict[str, float]:
    return {
        "name": config.name_weight,
        "description": config.description_weight,
        "body": config.body_weight,
    }


def run_search(snap: Snapshot, config: RetrievalConfig, query: str, top_k: int) -> list[SearchHit]:
    terms = query_terms(query)
    if not terms or snap.searcher is None:
        return []
    learning = config.learn and snap.lsearcher is not None and snap.lsearcher.num_docs > 0
    # Learned votes and meaning can lift a skill from below the top k: more candidates then.
    rerank = learning or snap.semantic is not None
    limit = (max(top_k * 4, 40) if rerank else top_k) + len(snap.pending)
    scores, addresses = _bm25_scores(snap, terms, weights_of(config), limit)
    near = _add_learned(snap, config, terms, limit, scores) if learning else None
    similar: dict[str, str] = {}
    if snap.semantic is not None:
        scores, similar = _rerank_by_meaning(snap, config, query, top_k, scores, near, learning)
    ranked = sorted(((n, s) for n, s in scores.items() if s > 0), key=lambda kv: (-kv[1], kv[0]))
    ranked = ranked[:top_k]
    out = []
    for name, score in ranked:
        description, why = _describe(snap, name, terms, addresses)
        why.extend(_learned_why(snap, name, near, similar))
        if not why:
            why.append("similar meaning")
        out.append(SearchHit(name, score, description, why))
    return out


def _bm25_scores(
    snap: Snapshot, terms: list[str], weights: dict[str, float], limit: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """BM25 over the committed index (skills with a pending change left out), then each
    pending change scored on its own; the committed hits' addresses too."""
    searcher = snap.searcher
    hits = searcher.search(fields_query(snap.schema, terms, weights), limit, count=False).hits
    sids = searcher.fast_field_values("sid", [addr for _, addr in hits])
    scores: dict[str, float] = {}
    addresses: dict[str, Any] = {}
    for (score, addr), sid in zip(hits, sids, strict=True):
        name = snap.names_by_id.get(int(sid or 0))
        if name is not None and name in snap.live and name not in snap.pending:
            scores[name] = score
            addresses[name] = addr
    for name, change in snap.pending.items():
        if change.doc is not None:
            score = change.doc.score(terms, weights, searcher, snap.avg_len)
            if score > 0:
                scores[name] = score
    return scores, addresses


def _add_learned(
    snap: Snapshot, config: RetrievalConfig, terms: list[str], limit: int, scores: dict[str, float]
) -> Neighbours:
    """Add to ``scores`` what outcomes taught: neighbours' votes, the trigger profile and
    the classifier. Returns the neighbours (their best trigger and failures say why)."""
    near = find_neighbours(
        snap.lsearcher,
        snap.lschema,
        terms,
        snap.names_by_id,
        limit=config.trigger_neighbours,
        votes_per_skill=config.trigger_votes,
        failure_weight=config.failure_weight,
    )
    profile = _profile_scores(snap, terms, limit) if config.profile_weight > 0 else {}
    for name in set(scores) | {n for n in (*near.votes, *profile) if _is_live(snap, n)}:
        base = (
            scores.get(name, 0.0)
            + config.trigger_weight * near.votes.get(name, 0.0)
            + config.profile_weight * profile.get(name, 0.0)
        )
        scores[name] = base * near.penalty.get(name, 1.0)
    if snap.probabilities:
        # Scaled by the query's best score so the weight means the same whatever the
        # scale of BM25 on this library: 0.5 lets a sure classifier (p near 1) overturn
        # a lead of up to half the top score, and a doubtful one only break near-ties.
        lift = config.classifier_weight * (max(scores.values(), default=0.0) or 1.0)
        for name, p in snap.probabilities.items():
            if _is_live(snap, name):
                scores[name] = scores.get(name, 0.0) + lift * p
    return near


def _rerank_by_meaning(
    snap: Snapshot,
    config: RetrievalConfig,
    query: str,
    top_k: int,
    scores: dict[str, float],
    near: Neighbours | None,
    learning: bool,
) -> tuple[dict[str, float], dict[str, str]]:
    assert snap.semantic is not None
    # The best few only: the classifier gives every skill a probability, and meaning is
    # there to reorder the near-misses, not to lift the 150th skill.
    leaders = sorted(((n, s) for n, s in scores.items() if s > 0), key=lambda kv: -kv[1])
    return snap.semantic.rerank(
        query,
        dict(leaders[: max(top_k * 6, SEMANTIC_CANDIDATES)]),
        weight=config.semantic_weight,
        is_live=lambda name: _is_live(snap, name),
        penalty=near.penalty if near is not None else {},
        learned=learning,
        leave_out=snap.leave_out,
        fill_to=top_k,
    )


def _describe(snap: Snapshot, name: str, terms: list[str], addresses: dict[str, Any]) -> tuple[str, list[str]]:
    """A hit's description and the fields the query matched in it."""
    pending = snap.pending.get(name)
    if pending is not None and pending.doc is not None:
        return pending.doc.description, pending.doc.matched_fields(terms)
    addr = addresses.get(name) or _address_of(snap, name)
    description = (snap.searcher.doc(addr).get_first("description") or "") if addr else ""
    why = _matched_short_fields(name, description, terms)
    if not why and name in addresses:
        # Neither name nor description holds a query term, yet BM25 matched: the
        # body did. (Checking the body when they do match costs a second search
        # per query, a quarter of a millisecond; the name and description are what
        # a person reads first anyway.)
        why.append("body")
    return description, why


def _learned_why(snap: Snapshot, name: str, near: Neighbours | None, similar: dict[str, str]) -> list[str]:
    """Why learning put a hit where it is: a past task it fit or failed, the classifier, meaning."""
    why = []
    if near is not None:
        if name in near.best:
            task = snap.lsearcher.doc(near.best[name]).get_first("trigger") or ""
            why.append(f"trigger: {task}")
        if name in near.penalty:
            why.append(f"failed on: {near.failed_on.get(name, '')}")
    if snap.probabilities.get(name, 0.0) >= WHY_PROBABILITY:
        why.append(f"learned: {snap.probabilities[name]:.0%}")
    if name in similar and (near is None or name not in near.best):
        why.append(f"similar task: {similar[name]}")
    return why


def _profile_scores(snap: Snapshot, terms: list[str], limit: int) -> dict[str, float]:
    """BM25 of the query against each skill's triggers run together: where the votes of
    single neighbours are noisy, a skill's whole vocabulary of past tasks still points."""
    if snap.psearcher is None or snap.psearcher.num_docs == 0:
        return {}
    query = fields_query(snap.pschema, terms, {"trigger": 1.0})
    hits = snap.psearcher.search(query, limit, count=False).hits
    sids = snap.psearcher.fast_field_values("sid", [addr for _, addr in hits])
    out: dict[str, float] = {}
    for (score, _), sid in zip(hits, sids, strict=True):
        name = snap.names_by_id.get(int(sid or 0))
        if name is not None:
            out[name] = score
    return out


def _is_live(snap: Snapshot, name: str) -> bool:
    change = snap.pending.get(name)
    return change.doc is not None if change is not None else name in snap.live


def _address_of(snap: Snapshot, name: str) -> Any:
    """A skill found only through learned votes has no BM25 hit; look its document up."""
    import tantivy

    query = tantivy.Query.term_query(snap.schema, "id", name)
    hits = snap.searcher.search(query, 1, count=False).hits
    return hits[0][1] if hits else None


def _matched_short_fields(name: str, description: str, terms: list[str]) -> list[str]:
    wanted = set(terms)
    return [
        field_name
        for field_name, text in (("name", name), ("description", description))
        if not wanted.isdisjoint(_terms_of(text))
    ]


@lru_cache(maxsize=8192)
def _terms_of(text: str) -> frozenset[str]:
    # The same few skills come up again and again; analysing their descriptions once saves
    # a tenth of a millisecond per search.
    return frozenset(analyzer().analyze(expand_compounds(text)))

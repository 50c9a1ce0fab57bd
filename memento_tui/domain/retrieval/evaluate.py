"""How well retrieval finds the right skill on the person's own history.

Each past run that passed is a labelled query: its task text, and the skill it passed
with. Each is searched leave-one-out (that run's own trigger does not count), and the
ranks give Recall@1, Recall@5 and MRR, overall and per skill. For the skills that are
missed, the query words the winning wrong skill matched say what the right skill's
description is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Search = Callable[["Labelled"], list[Any]]  # a past run -> its search, leaving its own trigger out
DEPTH = 20  # ranks past this count as not found


@dataclass(frozen=True)
class Labelled:
    run_id: str
    task: str
    skill: str


@dataclass
class Miss:
    run_id: str
    task: str
    winner: str  # the skill ranked first instead
    words: list[str]  # query words the winner matched that the right skill lacks


@dataclass
class SkillQuality:
    skill: str
    ranks: list[int | None] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)

    @property
    def queries(self) -> int:
        return len(self.ranks)

    def recall(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks) if self.ranks else 0.0

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r) / len(self.ranks) if self.ranks else 0.0

    @property
    def never_found(self) -> bool:
        """Never first for its own tasks (what a person should look at first)."""
        return bool(self.ranks) and all(r != 1 for r in self.ranks)

    def suggested_words(self, limit: int = 8) -> list[str]:
        counts: dict[str, int] = {}
        for miss in self.misses:
            for word in miss.words:
                counts[word] = counts.get(word, 0) + 1
        return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "queries": self.queries,
            "recall_at_1": round(self.recall(1), 4),
            "recall_at_5": round(self.recall(5), 4),
            "mrr": round(self.mrr, 4),
            "never_found": self.never_found,
            "suggested_words": self.suggested_words(),
            "misses": [m.__dict__ for m in self.misses],
        }


@dataclass
class RetrievalQuality:
    skills: list[SkillQuality]

    @property
    def ranks(self) -> list[int | None]:
        return [r for s in self.skills for r in s.ranks]

    def recall(self, k: int) -> float:
        ranks = self.ranks
        return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0

    @property
    def mrr(self) -> float:
        ranks = self.ranks
        return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "queries": len(self.ranks),
            "recall_at_1": round(self.recall(1), 4),
            "recall_at_5": round(self.recall(5), 4),
            "mrr": round(self.mrr, 4),
            "skills": [s.to_dict() for s in self.skills],
        }


def labelled_runs(runs: Sequence[Any]) -> list[Labelled]:
    """Passed runs that are not replays, each with the skill it passed with (its first used)."""
    return [
        Labelled(r.id, r.task, r.skills_used[0])
        for r in runs
        if r.status == "passed" and not r.replay_of and r.skills_used and r.task.strip()
    ]


def _telling_words(query: str, analyze: Callable[[str], list[str]], winner: set[str], right: set[str]) -> list[str]:
    """Words of the query (as the person wrote them) that the winner matched and the right
    skill lacks: what adding to the right skill's description would fix."""
    out: list[str] = []
    for word in dict.fromkeys(w.lower() for w in re.findall(r"[A-Za-z0-9]+", query)):
        stems = set(analyze(word))
        if stems and stems & winner and not stems & right:
            out.append(word)
    return out


def evaluate(
    labelled: Sequence[Labelled],
    search: Search,
    analyze: Callable[[str], list[str]],
    skill_terms: Callable[[str], set[str]],
) -> RetrievalQuality:
    """``analyze`` tokenises text as the index does; ``skill_terms`` gives a skill's indexed
    terms (name, description, body)."""
    per_skill: dict[str, SkillQuality] = {}
    for item in labelled:
        hits = search(item)[:DEPTH]
        names = [h.name for h in hits]
        rank = names.index(item.skill) + 1 if item.skill in names else None
        quality = per_skill.setdefault(item.skill, SkillQuality(item.skill))
        quality.ranks.append(rank)
        if rank != 1 and names:
            winner = names[0]
            words = _telling_words(item.task, analyze, skill_terms(winner), skill_terms(item.skill))
            quality.misses.append(Miss(item.run_id, item.task, winner, words))
    ordered = sorted(per_skill.values(), key=lambda s: (not s.never_found, s.recall(1), s.skill))
    return RetrievalQuality(ordered)

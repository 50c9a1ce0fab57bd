"""``memento search --eval`` and the Insights screen: retrieval quality on the person's
own runs, leave-one-out (see domain/retrieval/evaluate.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from memento_tui.domain.retrieval.evaluate import (
    DEPTH,
    Labelled,
    RetrievalQuality,
    evaluate,
    labelled_runs,
)
from memento_tui.services.factory import Services


def evaluate_retrieval(services: Services) -> RetrievalQuality:
    from memento_tui.domain.retrieval.tokenize import tokenize

    index = services.index()
    library = services.library()

    @cache
    def skill_terms(name: str) -> set[str]:
        skill = library.skills.get(name)
        if skill is None:
            return set(tokenize(name))
        return set(tokenize(f"{skill.name} {skill.description} {skill.body}"))

    def search(item: Labelled) -> list[Any]:
        return index.search_leaving_out(item.task, DEPTH, item.task, item.skill)

    return evaluate(labelled_runs(services.runs().list()), search, tokenize, skill_terms)


def quality_lines(quality: RetrievalQuality) -> list[str]:
    """The report ``memento search --eval`` prints (and the Insights screen shows)."""
    if not quality.ranks:
        return ["no passed runs yet: retrieval quality is measured on tasks that passed with a skill"]
    lines = [
        f"{len(quality.ranks)} past tasks, each searched leave-one-out:  "
        f"Recall@1 {quality.recall(1):.2f}  Recall@5 {quality.recall(5):.2f}  MRR {quality.mrr:.2f}",
        "",
    ]
    for s in quality.skills:
        mark = "✗ never first for its own tasks" if s.never_found else ""
        lines.append(
            f"  {s.skill:<28} {s.queries:>3} tasks  R@1 {s.recall(1):.2f}  R@5 {s.recall(5):.2f}  MRR {s.mrr:.2f}  {mark}"
        )
        if s.misses:
            winners = sorted({m.winner for m in s.misses})
            words = s.suggested_words()
            hint = f"lost to {', '.join(winners)}"
            if words:
                hint += f"; its description lacks: {', '.join(words)}"
            lines.append(f"      {hint}")
    return lines


def quality_table(quality: RetrievalQuality) -> tuple[str, list[str], list[tuple[str, ...]]]:
    """The same figures as a titled table for the Insights screen."""
    title = (
        f"Retrieval on your runs (leave-one-out): Recall@1 {quality.recall(1):.2f} · "
        f"Recall@5 {quality.recall(5):.2f} · MRR {quality.mrr:.2f} over {len(quality.ranks)} tasks"
    )
    rows: list[tuple[str, ...]] = [
        (
            ("✗ " if s.never_found else "") + s.skill,
            str(s.queries),
            f"{s.recall(1):.2f}",
            f"{s.recall(5):.2f}",
            f"{s.mrr:.2f}",
            ", ".join(sorted({m.winner for m in s.misses})) or "—",
            ", ".join(s.suggested_words()) or "—",
        )
        for s in quality.skills
    ]
    return title, ["skill", "tasks", "R@1", "R@5", "MRR", "lost to", "description lacks"], rows

"""Where failures concentrate: by category, by skill, by recurring task pattern, Pareto.

A failure is a run whose status is ``failed`` (the verdict said no; a guard that stopped the
run, such as a budget, without a check to pass it is one) or ``error`` (the run itself
broke: model or sandbox error). Running, interrupted and cancelled runs are in no rate: a
person who stops a run says nothing about its skills.
Replays made while validating a patch are left out before anything here sees the runs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from memento_tui.domain.agent.runs import JUDGED
from memento_tui.domain.analytics.critical import CriticalSet
from memento_tui.domain.analytics.models import (
    CategoryRow,
    CriticalItem,
    ParetoView,
    PatternRow,
    SkillRow,
    Totals,
)
from memento_tui.domain.analytics.patterns import (
    group_texts,
    jaccard,
    keywords,
    medoid,
    pattern_id,
    tokens,
)
from memento_tui.domain.learning.models import CATEGORY_LABELS

NO_SKILL = "(none)"
UNREFLECTED = "unreflected"
RUN_ERROR = "run_error"
EXTRA_LABELS = {
    UNREFLECTED: "not reflected on yet",
    RUN_ERROR: "run error (model or sandbox)",
}
PARETO_SHARE = 0.2

FAILED = ("failed", "error")
FINISHED = ("passed", "failed", "error")


def is_failure(run: Any) -> bool:
    return run.status in FAILED


def category_of(run: Any) -> str:
    if run.failure_category:
        return str(run.failure_category)
    return RUN_ERROR if run.status == "error" else UNREFLECTED


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category) or EXTRA_LABELS.get(category) or category.replace("_", " ")


def totals(runs: Sequence[Any], replays: int, critical: CriticalSet) -> Totals:
    out = Totals(runs=len(runs), replays_excluded=replays)
    for run in runs:
        if run.status == "passed":
            out.passed += 1
        elif run.status == "failed":
            out.failed += 1
        elif run.status == "error":
            out.errors += 1
        elif run.status == "cancelled":
            out.cancelled += 1
        else:
            out.unfinished += 1
        if is_failure(run) and critical.is_critical(run.id, run.task):
            out.critical_runs += 1
    out.finished = out.passed + out.failed + out.errors
    return out


def by_category(failures: Sequence[Any], critical: CriticalSet) -> list[CategoryRow]:
    rows: dict[str, CategoryRow] = {}
    for run in failures:
        cat = category_of(run)
        row = rows.setdefault(cat, CategoryRow(cat, category_label(cat), 0, 0.0, 0))
        row.failures += 1
        row.run_ids.append(run.id)
        if critical.is_critical(run.id, run.task):
            row.critical += 1
    total = len(failures)
    for row in rows.values():
        row.share = row.failures / total if total else 0.0
    # Critical first, then the most failures; the name breaks ties so the order is fixed.
    return sorted(rows.values(), key=lambda r: (r.critical == 0, -r.failures, r.category))


def by_skill(runs: Sequence[Any], critical: CriticalSet) -> list[SkillRow]:
    """Each skill's runs, passes and failures. An error (the model unreachable, the sandbox
    missing) says nothing about a skill, so it counts here for nothing, as on the Skills
    screen (domain/skills/success.py) and in what retrieval learns (agent/teaching.py);
    the failure categories still count it."""
    rows: dict[str, SkillRow] = {}
    for run in runs:
        if run.status not in JUDGED:
            continue
        for skill in run.skills_used or [NO_SKILL]:
            row = rows.setdefault(skill, SkillRow(skill, 0, 0, 0, 0))
            row.runs += 1
            if run.status == "passed":
                row.passed += 1
                continue
            row.failures += 1
            cat = category_of(run)
            row.categories[cat] = row.categories.get(cat, 0) + 1
            if critical.is_critical(run.id, run.task):
                row.critical_failures += 1
    return sorted(rows.values(), key=lambda r: (r.critical_failures == 0, -r.failures, -r.runs, r.skill))


def by_pattern(
    runs: Sequence[Any], failures: Sequence[Any], critical: CriticalSet, threshold: float
) -> list[PatternRow]:
    """Group the failed tasks; then count every finished run of a task in each group."""
    ordered = sorted(failures, key=lambda r: (r.started, r.id))
    groups, index = group_texts([r.task for r in ordered], threshold)
    rows: list[PatternRow] = []
    for group in groups:
        members = [ordered[i] for i in group]
        texts = [r.task for r in members]
        skills: Counter[str] = Counter()
        cats: Counter[str] = Counter()
        for run in members:
            skills.update(run.skills_used or [NO_SKILL])
            cats[category_of(run)] += 1
        marked = next(
            (m for m in (critical.pattern_for(r.task) for r in members) if m is not None),
            None,
        )
        crit_run = any(critical.run_is_critical(r.id) for r in members)
        rows.append(
            PatternRow(
                id=pattern_id(texts),
                label=texts[medoid(texts)],
                keywords=keywords(texts),
                failures=len(members),
                runs=0,
                run_ids=[r.id for r in members],
                skills=dict(skills.most_common()),
                categories=dict(cats.most_common()),
                critical=marked is not None or crit_run,
                critical_note=(marked.note if marked else "") or ("a run in it is marked critical" if crit_run else ""),
                first_seen=members[0].started,
                last_seen=members[-1].started,
            )
        )
    # A failed run counts in its own pattern; a pass counts toward the pattern it resembles
    # most, so a row reads "fails 4 of 5".
    for row in rows:
        row.runs = row.failures
    for run in runs:
        if run.status == "passed":
            at, _ = index.best(tokens(run.task))
            if at >= 0:
                rows[at].runs += 1
    return sorted(rows, key=lambda r: (not r.critical, -r.failures, r.first_seen, r.id))


def pareto(patterns: Sequence[PatternRow], share: float = PARETO_SHARE) -> ParetoView:
    """What share of the failures the top ``share`` (20%) of the patterns cause."""
    ranked = sorted(patterns, key=lambda r: (-r.failures, r.first_seen, r.id))
    total = sum(r.failures for r in ranked)
    count = math.ceil(share * len(ranked)) if ranked else 0
    top = ranked[:count]
    return ParetoView(
        patterns=len(ranked),
        total_failures=total,
        top_count=count,
        top_failures=sum(r.failures for r in top),
        top_ids=[r.id for r in top],
    )


def critical_items(
    failures: Sequence[Any], patterns: Sequence[PatternRow], critical: CriticalSet
) -> list[CriticalItem]:
    """Every mark in force, runs first (newest first), then patterns."""
    by_id = {r.id: r for r in failures}
    items: list[CriticalItem] = []
    marked = sorted(critical.runs.values(), key=lambda m: -m.at)
    seen: set[str] = set()
    for mark in marked:
        run = by_id.get(mark.run_id or "")
        items.append(
            CriticalItem(
                kind="run",
                ref=mark.run_id or "",
                task=run.task if run else "",
                note=mark.note,
                status=run.status if run else "not a failed run (or not found)",
                failures=1 if run else 0,
            )
        )
        seen.add(mark.run_id or "")
    for run_id in sorted(critical.flagged_runs - seen):
        run = by_id.get(run_id)
        if run is not None:
            items.append(CriticalItem("run", run_id, run.task, "", run.status, 1))
    for mark in critical.patterns:
        hit = next(
            (
                p
                for p in patterns
                if any(
                    jaccard(tokens(mark.pattern or ""), tokens(by_id[r].task)) >= critical.threshold
                    for r in p.run_ids
                    if r in by_id
                )
            ),
            None,
        )
        count = sum(1 for r in failures if critical.pattern_for(r.task) is mark)
        items.append(
            CriticalItem(
                kind="pattern",
                ref=mark.pattern or "",
                task=hit.label if hit else "",
                note=mark.note,
                status=f"{count} failure(s)" + (f" in {hit.runs} run(s)" if hit else ""),
                failures=count,
                pattern_id=hit.id if hit else None,
            )
        )
    return items

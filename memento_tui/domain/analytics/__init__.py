"""Failure analytics over a workspace's runs: pure functions over records.

    build_insights(runs, reviews, ...) -> Insights

Where failures concentrate (category, skill, recurring task pattern, the Pareto view),
how each skill's success moves over time, what each merged patch changed, and which
items a person marked critical (those rank first everywhere, and ``critical_first``
sorts the patch queue the same way). Replays made while validating a patch are left
out: they are experiments on a patch, not the person's tasks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from memento_tui.domain.analytics import failures as _failures
from memento_tui.domain.analytics.critical import (
    CriticalMark,
    CriticalSet,
    CriticalStore,
    critical_first,
)
from memento_tui.domain.analytics.models import (
    CategoryRow,
    CriticalItem,
    Insights,
    ParetoView,
    PatchEffect,
    PatternRow,
    Rate,
    SkillRow,
    SkillTrend,
    Totals,
    TrendPoint,
)
from memento_tui.domain.analytics.patterns import DEFAULT_THRESHOLD, cluster_texts, similarity
from memento_tui.domain.analytics.trends import Bucket, patch_effects, success_over_time

__all__ = [
    "DEFAULT_THRESHOLD",
    "Bucket",
    "CategoryRow",
    "CriticalItem",
    "CriticalMark",
    "CriticalSet",
    "CriticalStore",
    "Insights",
    "ParetoView",
    "PatchEffect",
    "PatternRow",
    "Rate",
    "SkillRow",
    "SkillTrend",
    "Totals",
    "TrendPoint",
    "build_insights",
    "cluster_texts",
    "critical_first",
    "patch_effects",
    "similarity",
    "success_over_time",
]


def build_insights(
    runs: Sequence[Any],
    reviews: Sequence[Any] = (),
    *,
    critical: CriticalSet | None = None,
    patch_tasks: Mapping[str, str] | None = None,
    bucket: Bucket = "week",
    threshold: float = DEFAULT_THRESHOLD,
    since: float | None = None,
    problems: Sequence[str] = (),
) -> Insights:
    """Everything ``memento stats`` and the Insights screen show.

    ``runs`` are RunRecords (anything with their fields); ``reviews`` are ReviewRecords;
    ``since`` (a unix time) keeps only runs started from then on.
    """
    critical = critical or CriticalSet(threshold=threshold)
    replays = sum(1 for r in runs if r.replay_of)
    mine = [r for r in runs if not r.replay_of and (since is None or r.started >= since)]
    # A run whose run.json says critical counts as marked (a copy: the caller's set stays).
    flagged = {r.id for r in mine if getattr(r, "critical", False)}
    critical = replace(critical, flagged_runs=critical.flagged_runs | flagged)
    failed = [r for r in mine if _failures.is_failure(r)]
    patterns = _failures.by_pattern(mine, failed, critical, threshold)
    return Insights(
        totals=_failures.totals(mine, replays, critical),
        critical=_failures.critical_items(failed, patterns, critical),
        categories=_failures.by_category(failed, critical),
        skills=_failures.by_skill(mine, critical),
        patterns=patterns,
        pareto=_failures.pareto(patterns),
        trends=success_over_time(mine, bucket),
        patch_effects=patch_effects(mine, reviews, patch_tasks, threshold),
        bucket=bucket,
        threshold=threshold,
        problems=list(problems),
    )

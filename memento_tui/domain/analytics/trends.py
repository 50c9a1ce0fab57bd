"""Change over time: per-skill success by day or week, and each merged patch's effect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from memento_tui.domain.agent.runs import JUDGED
from memento_tui.domain.analytics.failures import FINISHED, NO_SKILL
from memento_tui.domain.analytics.models import PatchEffect, Rate, SkillTrend, TrendPoint
from memento_tui.domain.analytics.patterns import jaccard, tokens

Bucket = Literal["day", "week"]
ALL_RUNS = "(all)"


def bucket_of(ts: float, bucket: Bucket) -> str:
    when = datetime.fromtimestamp(ts, UTC)
    if bucket == "day":
        return when.strftime("%Y-%m-%d")
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def success_over_time(runs: Sequence[Any], bucket: Bucket = "week") -> list[SkillTrend]:
    """One trend for every run, then one per skill (most runs first)."""
    table: dict[str, dict[str, TrendPoint]] = {}
    for run in runs:
        if run.status not in FINISHED:
            continue
        key = bucket_of(run.started, bucket)
        skills = (run.skills_used or [NO_SKILL]) if run.status in JUDGED else []
        for skill in (ALL_RUNS, *skills):
            point = table.setdefault(skill, {}).setdefault(key, TrendPoint(key, 0, 0))
            point.runs += 1
            point.passed += int(run.status == "passed")
    trends = [SkillTrend(skill, [points[k] for k in sorted(points)]) for skill, points in table.items()]
    return sorted(trends, key=lambda t: (t.skill != ALL_RUNS, -sum(p.runs for p in t.points), t.skill))


def _ts(value: Any) -> float:
    if isinstance(value, datetime):
        moment: datetime = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.timestamp()
    return float(value)


def patch_effects(
    runs: Sequence[Any],
    reviews: Sequence[Any],
    patch_tasks: Mapping[str, str] | None = None,
    threshold: float = 0.5,
) -> list[PatchEffect]:
    """Success of each merged patch's skill before and after the merge.

    Windows are cut at the skill's merges: "before" runs from the skill's previous merge
    (or the first run) to this merge, "after" from this merge to the next merge of the same
    skill, or to the undo of this patch. So each merge is judged on the runs it alone
    governed. ``patch_tasks`` (patch id -> the failed task it was made for) adds the same
    figures for tasks like that one, which is what tells a new skill's effect.
    """
    patch_tasks = patch_tasks or {}
    merges, undone = _merges_and_undos(reviews)
    finished = [r for r in runs if r.status in JUDGED]  # a skill's success: errors are no skill's
    effects: list[PatchEffect] = []
    for merge in merges:
        at = _ts(merge.at)
        start, end = _window(merge, merges, undone)
        task = patch_tasks.get(merge.id, "")
        effect = PatchEffect(
            patch_id=merge.id,
            skill=merge.skill,
            merged_at=at,
            before=Rate(),
            after=Rate(),
            undone_at=undone.get(merge.id),
            summary=getattr(merge, "summary", "") or "",
            task=task,
            similar_before=Rate() if task else None,
            similar_after=Rate() if task else None,
        )
        _count_runs(effect, finished, start, end, threshold)
        effects.append(effect)
    return sorted(effects, key=lambda e: (-e.merged_at, e.patch_id))


def _merges_and_undos(reviews: Sequence[Any]) -> tuple[list[Any], dict[str, float]]:
    """The merges in time order, and when each undone patch was first undone."""
    undone: dict[str, float] = {}
    merges: list[Any] = []
    for review in sorted(reviews, key=lambda r: _ts(r.at)):
        if review.action == "merge":
            merges.append(review)
        elif review.action == "undo":
            undone.setdefault(review.id, _ts(review.at))
    return merges, undone


def _window(merge: Any, merges: list[Any], undone: dict[str, float]) -> tuple[float, float]:
    """From the skill's previous merge to its next one, or to this patch's undo."""
    at = _ts(merge.at)
    same_skill = [m for m in merges if m.skill == merge.skill]
    pos = same_skill.index(merge)
    start = _ts(same_skill[pos - 1].at) if pos > 0 else float("-inf")
    end = _ts(same_skill[pos + 1].at) if pos + 1 < len(same_skill) else float("inf")
    if merge.id in undone and undone[merge.id] >= at:
        end = min(end, undone[merge.id])
    return start, end


def _count_runs(effect: PatchEffect, finished: list[Any], start: float, end: float, threshold: float) -> None:
    """Add each run in the window to the effect's before or after, for the skill and, when
    the patch was made for a task, for tasks like it."""
    at = effect.merged_at
    task_tokens = tokens(effect.task) if effect.task else frozenset()
    for run in finished:
        passed = run.status == "passed"
        in_before, in_after = start <= run.started < at, at <= run.started < end
        if effect.skill in run.skills_used:
            if in_before:
                effect.before.add(passed)
            elif in_after:
                effect.after.add(passed)
        if effect.task and jaccard(task_tokens, tokens(run.task)) >= threshold:
            # Tasks like the failed one may have used no skill at all before the patch.
            assert effect.similar_before is not None and effect.similar_after is not None
            if in_before:
                effect.similar_before.add(passed)
            elif in_after:
                effect.similar_after.add(passed)

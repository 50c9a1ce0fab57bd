"""The Insights data API: what ``memento stats`` prints and the TUI's Insights screen draws.

Every function takes the Services and returns plain dataclasses (memento_tui.domain
.analytics.models), so a screen renders them without knowing where they came from.
"""

from __future__ import annotations

from typing import Any, Literal

from memento_tui.domain.analytics import (
    DEFAULT_THRESHOLD,
    Bucket,
    CriticalMark,
    CriticalSet,
    CriticalStore,
    Insights,
    build_insights,
    critical_first,
)
from memento_tui.domain.analytics.causes import SkillCauses, attribute, fixing_skills
from memento_tui.domain.analytics.causes import by_skill as causes_by_skill
from memento_tui.domain.analytics.listing import ListingCost, listing_cost
from memento_tui.domain.analytics.sources import (
    read_patch_tasks,
    read_reflection,
    read_reviews,
    retrieved_listing,
)
from memento_tui.domain.errors import MementoError
from memento_tui.services.factory import Services


def critical_store(services: Services) -> CriticalStore:
    return CriticalStore(services.paths.state)


def critical_set(services: Services, threshold: float = DEFAULT_THRESHOLD) -> CriticalSet:
    return critical_store(services).load(threshold)


def load_insights(
    services: Services,
    *,
    bucket: Bucket = "week",
    threshold: float = DEFAULT_THRESHOLD,
    since: float | None = None,
) -> Insights:
    """Read the runs, reviews, patch records and critical marks; compute everything."""
    paths = services.paths
    runs = services.runs().list()
    reviews, problems = read_reviews(paths.reviews)
    marks, mark_problems = critical_store(services).read()
    insights = build_insights(
        runs,
        reviews,
        critical=CriticalSet.from_marks(marks, threshold),
        patch_tasks=read_patch_tasks(paths.patches),
        bucket=bucket,
        threshold=threshold,
        since=since,
        problems=[*problems, *mark_problems],
    )
    mine = [r for r in runs if not r.replay_of and (since is None or r.started >= since)]
    insights.causes = failure_causes(services, mine, reviews)
    insights.listing = skill_listing_cost(services, mine)
    return insights


def failure_causes(services: Services, runs: list[Any], reviews: list[Any]) -> list[SkillCauses]:
    """Every failed run charged to one skill and one cause (see analytics/causes.py)."""
    store = services.runs()
    undone = {r.id for r in reviews if r.action == "undo"}
    merged = {r.id: r.skill for r in reviews if r.action == "merge" and r.id not in undone}
    fixed = fixing_skills(runs, merged)
    found = []
    for run in runs:
        if run.status not in ("failed", "error"):
            continue
        events, _ = store.trace(run.id)
        found.append(attribute(run, events, read_reflection(store.dir(run.id)), fixed.get(run.id)))
    return causes_by_skill(found)


def skill_listing_cost(services: Services, runs: list[Any]) -> ListingCost:
    """Tokens the retrieved-skill listing cost per run, against listing every skill."""
    store = services.runs()
    shown = [hits for run in runs if (hits := retrieved_listing(store.folder(run.id).trace)) is not None]
    library = [(s.name, s.description) for s in services.library()]
    return listing_cost(shown, library)


def mark_critical(
    services: Services,
    *,
    run_id: str | None = None,
    pattern: str | None = None,
    note: str = "",
    unmark: bool = False,
) -> CriticalMark:
    """A person marks (or unmarks) a run or a task pattern as critical.

    ``pattern`` may be a pattern id shown by ``memento stats`` (its task text is stored)
    or any text describing the tasks.
    """
    if (run_id is None) == (pattern is None):
        raise MementoError(
            "mark either a run or a pattern",
            fix="memento stats critical RUN_ID, or memento stats critical --pattern TEXT",
        )
    action: Literal["mark", "unmark"] = "unmark" if unmark else "mark"
    store = critical_store(services)
    if run_id is not None:
        runs = services.runs()
        full = runs.resolve(run_id)
        mark = store.append(CriticalMark(kind="run", action=action, run_id=full, note=note))
        # run.json carries the flag too, for lists that read only the record.
        runs.update(full, critical=not unmark)
        return mark
    text = (pattern or "").strip()
    if not text:
        raise MementoError("the pattern is empty", field="--pattern", fix="give the task text, or a pattern id")
    for row in load_insights(services).patterns:
        if row.id == text:
            text = row.label
            break
    return store.append(CriticalMark(kind="pattern", action=action, pattern=text, note=note))


def patch_queue(services: Services, patches: list[Any] | None = None) -> list[Any]:
    """Patches in review order, the same in the CLI and the app: critical ones first, then
    newest first (the one just made is the one a person came to read)."""
    if patches is None:
        patches = [p for p in services.patches().list() if getattr(p, "status", "") == "pending"]
    newest_first = sorted(patches, key=_made_when, reverse=True)
    return critical_first(newest_first, critical_set(services))


def _made_when(patch: Any) -> tuple[str, str]:
    """(created, id) of a Patch or a plain dict; ids start with the time they were made."""
    if isinstance(patch, dict):
        return str(patch.get("created_at", "")), str(patch.get("id", ""))
    return str(getattr(patch, "created_at", "")), str(getattr(patch, "id", ""))


Table = tuple[str, list[str], list[tuple[str, ...]]]


def insight_tables(ins: Insights) -> list[Table]:
    """The Insights as titled tables of text cells, for a screen to lay out as it likes.

    Critical items come first, in their own table and at the top of every other one.
    """
    tables: list[Table] = []
    if ins.critical:
        tables.append(
            (
                "Critical (marked by you; ranks first everywhere)",
                ["kind", "run or pattern", "status", "task", "note"],
                [(c.kind, c.ref, c.status, c.task, c.note) for c in ins.critical],
            )
        )
    tables += [_categories_table(ins), _patterns_table(ins), _skills_table(ins)]
    if ins.causes:
        tables.append(causes_table(ins))
    if ins.listing is not None and ins.listing.runs:
        tables.append(listing_table(ins.listing))
    if ins.patch_effects:
        tables.append(_patch_effects_table(ins))
    return tables


def _flag(critical: bool) -> str:
    return "!" if critical else ""


def _categories_table(ins: Insights) -> Table:
    from memento_tui.domain.textcharts import bar, percent

    rows: list[tuple[str, ...]] = [
        (_flag(bool(c.critical)), c.label, str(c.failures), percent(c.share), bar(c.share, 16)) for c in ins.categories
    ]
    return ("Failures by category", ["", "category", "failures", "share", ""], rows)


def _patterns_table(ins: Insights) -> Table:
    from memento_tui.domain.analytics.failures import category_label
    from memento_tui.domain.textcharts import percent

    p = ins.pareto
    pareto = (
        f"Pareto: the top {p.top_count} of {p.patterns} pattern(s) cause {p.top_failures} of "
        f"{p.total_failures} failures ({percent(p.share)})"
        if p.patterns
        else "no failures"
    )
    rows: list[tuple[str, ...]] = [
        (
            _flag(row.critical),
            row.id,
            str(row.failures),
            str(row.runs),
            ", ".join(row.skills),
            ", ".join(f"{category_label(c)} {n}" for c, n in row.categories.items()),
            row.label,
        )
        for row in ins.patterns
    ]
    return (
        f"Recurring failing tasks · {pareto}",
        ["", "pattern", "failed", "runs", "skills", "categories", "task"],
        rows,
    )


def _skills_table(ins: Insights) -> Table:
    from memento_tui.domain.textcharts import percent, sparkline

    trends = {t.skill: t for t in ins.trends}
    rows: list[tuple[str, ...]] = [
        (
            _flag(s.critical_failures > 0),
            s.skill,
            str(s.runs),
            str(s.passed),
            str(s.failures),
            percent(s.success_rate),
            sparkline([pt.rate for pt in trends[s.skill].points]) if s.skill in trends else "",
        )
        for s in ins.skills
    ]
    return (
        f"Per-skill success (trend by {ins.bucket})",
        ["", "skill", "runs", "passed", "failed", "success", "trend"],
        rows,
    )


def _patch_effects_table(ins: Insights) -> Table:
    from memento_tui.domain.textcharts import percent

    rows: list[tuple[str, ...]] = [
        (
            e.patch_id + (" (undone)" if e.undone_at else ""),
            e.skill,
            f"{percent(e.before.rate)} of {e.before.runs}",
            f"{percent(e.after.rate)} of {e.after.runs}",
            "" if e.change is None else f"{e.change * 100:+.0f} pts",
            ""
            if e.similar_before is None or e.similar_after is None
            else f"{percent(e.similar_before.rate)} → {percent(e.similar_after.rate)}",
        )
        for e in ins.patch_effects
    ]
    return (
        "Merged patches: the skill's success before → after",
        ["patch", "skill", "before", "after", "change", "tasks like its own"],
        rows,
    )


def causes_table(ins: Insights) -> Table:
    """Failures per skill split by cause, with what to fix."""
    from memento_tui.domain.analytics.causes import CAUSE_FIXES, CAUSE_HEADERS, CAUSES

    return (
        "Why skills fail (each failed run charged to one skill and one cause)",
        ["skill", *(CAUSE_HEADERS[c] for c in CAUSES), "fix"],
        [(c.skill, *(str(c.counts[k]) for k in CAUSES), CAUSE_FIXES[c.main_cause]) for c in ins.causes],
    )


def listing_line(listing: ListingCost) -> str:
    """One line on what the skill listing costs per run, against listing every skill."""
    from memento_tui.domain.textcharts import percent

    if not listing.runs:
        return f"skill listing: no runs yet; listing all {listing.skills} skills would cost ≈{listing.all_skills} tokens a run"
    return (
        f"skill listing: ≈{listing.average_listed:.0f} tokens a run for the retrieved skills, against "
        f"≈{listing.all_skills} to list all {listing.skills} skills (retrieval saves {percent(listing.saved_share)}; "
        f"estimate at 4 characters a token, {listing.runs} runs)"
    )


def listing_table(listing: ListingCost) -> Table:
    from memento_tui.domain.textcharts import percent

    return (
        "Skill listing cost per run (estimate: 4 characters a token)",
        ["listing", "tokens"],
        [
            (f"retrieved skills, average of {listing.runs} runs", f"{listing.average_listed:.0f}"),
            (f"every skill ({listing.skills})", str(listing.all_skills)),
            ("saved by retrieval", percent(listing.saved_share)),
        ],
    )

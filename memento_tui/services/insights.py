"""The Insights data API: what ``memento stats`` prints and the TUI's Insights screen draws.

Every function takes the Services and returns plain dataclasses (memento_tui.domain
.analytics.models), so a screen renders them without knowing where they came from.
"""

from __future__ import annotations

from typing import Any

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
from memento_tui.domain.analytics.sources import read_patch_tasks, read_reviews
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
    return build_insights(
        runs,
        reviews,
        critical=CriticalSet.from_marks(marks, threshold),
        patch_tasks=read_patch_tasks(paths.patches),
        bucket=bucket,
        threshold=threshold,
        since=since,
        problems=[*problems, *mark_problems],
    )


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
    action = "unmark" if unmark else "mark"
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
        raise MementoError(
            "the pattern is empty", field="--pattern", fix="give the task text, or a pattern id"
        )
    for row in load_insights(services).patterns:
        if row.id == text:
            text = row.label
            break
    return store.append(CriticalMark(kind="pattern", action=action, pattern=text, note=note))


def patch_queue(services: Services, patches: list[Any] | None = None) -> list[Any]:
    """Pending patches for review, critical ones first (otherwise in the store's order)."""
    if patches is None:
        patches = [p for p in services.patches().list() if getattr(p, "status", "") == "pending"]
    return critical_first(patches, critical_set(services))

"""What the analytics return: plain dataclasses, for the CLI, the TUI and JSON alike."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Rate:
    runs: int = 0
    passed: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.runs if self.runs else None

    def add(self, passed: bool) -> None:
        self.runs += 1
        self.passed += int(passed)

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "passed": self.passed, "rate": _round(self.rate)}


@dataclass
class Totals:
    runs: int = 0  # every run counted (replays excluded)
    finished: int = 0  # passed + failed + errors
    passed: int = 0
    failed: int = 0
    errors: int = 0
    unfinished: int = 0  # running or interrupted: in no rate
    cancelled: int = 0  # stopped by the person: in no rate, it says nothing of the skills
    replays_excluded: int = 0
    critical_runs: int = 0

    @property
    def failures(self) -> int:
        return self.failed + self.errors

    @property
    def success_rate(self) -> float | None:
        return self.passed / self.finished if self.finished else None


@dataclass
class CategoryRow:
    category: str
    label: str
    failures: int
    share: float  # of all failures
    critical: int  # critical failures in this category
    run_ids: list[str] = field(default_factory=list)


@dataclass
class SkillRow:
    skill: str  # "(none)" for runs that used no skill
    runs: int
    passed: int
    failures: int
    critical_failures: int
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def success_rate(self) -> float | None:
        finished = self.passed + self.failures
        return self.passed / finished if finished else None


@dataclass
class PatternRow:
    id: str
    label: str  # the task most like the others in the group
    keywords: list[str]
    failures: int
    runs: int  # every finished run of a task in this pattern, passes included
    run_ids: list[str]  # the failed runs, oldest first
    skills: dict[str, int]
    categories: dict[str, int]
    critical: bool
    critical_note: str = ""
    first_seen: float = 0.0
    last_seen: float = 0.0


@dataclass
class ParetoView:
    patterns: int
    total_failures: int
    top_count: int  # ceil(20% of the patterns), at least 1 when there are any
    top_failures: int
    top_ids: list[str] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.top_failures / self.total_failures if self.total_failures else None


@dataclass
class TrendPoint:
    bucket: str  # "2026-11-23" (day) or "2026-W47" (ISO week), UTC
    runs: int
    passed: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.runs if self.runs else None


@dataclass
class SkillTrend:
    skill: str  # "(all)" for every run
    points: list[TrendPoint]


@dataclass
class PatchEffect:
    patch_id: str
    skill: str
    merged_at: float
    before: Rate  # runs using the skill since its previous merge, up to this one
    after: Rate  # runs using the skill from this merge to its next merge (or an undo)
    undone_at: float | None = None
    summary: str = ""
    task: str = ""
    # Runs of tasks like the one the patch was made for (known when the patch record is).
    similar_before: Rate | None = None
    similar_after: Rate | None = None

    @property
    def change(self) -> float | None:
        if self.before.rate is None or self.after.rate is None:
            return None
        return self.after.rate - self.before.rate


@dataclass
class CriticalItem:
    kind: str  # "run" or "pattern"
    ref: str  # run id, or the pattern text as the person gave it
    task: str
    note: str
    status: str = ""  # for a run: its status; for a pattern: "N failures in M runs"
    failures: int = 0
    pattern_id: str | None = None


@dataclass
class Insights:
    totals: Totals
    critical: list[CriticalItem]
    categories: list[CategoryRow]
    skills: list[SkillRow]
    patterns: list[PatternRow]
    pareto: ParetoView
    trends: list[SkillTrend]
    patch_effects: list[PatchEffect]
    bucket: str = "week"
    threshold: float = 0.5
    problems: list[str] = field(default_factory=list)
    # Filled by the services layer, which reads traces and the library (see causes.py, listing.py).
    causes: list[Any] = field(default_factory=list)  # SkillCauses, most failures first
    listing: Any = None  # ListingCost

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the derived rates written out."""
        data = asdict(self)
        data["totals"].update(failures=self.totals.failures, success_rate=_round(self.totals.success_rate))
        for row, out in zip(self.skills, data["skills"], strict=True):
            out["success_rate"] = _round(row.success_rate)
        data["pareto"]["share"] = _round(self.pareto.share)
        for trend, out in zip(self.trends, data["trends"], strict=True):
            for point, p_out in zip(trend.points, out["points"], strict=True):
                p_out["rate"] = _round(point.rate)
        for effect, out in zip(self.patch_effects, data["patch_effects"], strict=True):
            out["before"] = effect.before.to_dict()
            out["after"] = effect.after.to_dict()
            out["change"] = _round(effect.change)
            out["similar_before"] = effect.similar_before.to_dict() if effect.similar_before else None
            out["similar_after"] = effect.similar_after.to_dict() if effect.similar_after else None
        for row in data["categories"]:
            row["share"] = _round(row["share"])
        data["causes"] = [c.to_dict() for c in self.causes]
        data["listing"] = self.listing.to_dict() if self.listing is not None else None
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

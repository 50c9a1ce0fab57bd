"""Why a skill fails: each failed run gets one cause, so a person knows what to fix.

    retrieval miss      the skill that later fixed the task was not in the run's top k
                        (fix the description)
    script error        a skill script exited non-zero, crashed or hit a limit (fix the code)
    instruction         the script ran, but the result failed the check (fix the text)
    outside the skill   model error, environment, missing permission (nothing in the skill)

Decided from the trace and the reflection, in that order of precedence: outside first
(a model that fell over says nothing about the skill), then retrieval, then the script.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from memento_tui.domain.agent.trace import RunFailed, ToolResult

Cause = Literal["retrieval_miss", "script_error", "instruction", "outside"]
CAUSES: tuple[Cause, ...] = ("retrieval_miss", "script_error", "instruction", "outside")
CAUSE_LABELS = {
    "retrieval_miss": "retrieval miss",
    "script_error": "script error",
    "instruction": "wrong or missing instruction",
    "outside": "outside the skill",
}
CAUSE_HEADERS = {
    "retrieval_miss": "retrieval miss",
    "script_error": "script error",
    "instruction": "instruction",
    "outside": "outside",
}
CAUSE_FIXES = {
    "retrieval_miss": "the description",
    "script_error": "the code",
    "instruction": "the text",
    "outside": "nothing in the skill",
}
OUTSIDE_CATEGORIES = {"model_error", "environment", "missing_permission"}


@dataclass(frozen=True)
class RunCause:
    run_id: str
    skill: str  # the skill the failure is charged to ("(none)" when no skill is involved)
    cause: Cause
    evidence: str


@dataclass
class SkillCauses:
    skill: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAUSES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def main_cause(self) -> str:
        return max(CAUSES, key=lambda c: (self.counts[c], -CAUSES.index(c)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "counts": dict(self.counts),
            "total": self.total,
            "fix": CAUSE_FIXES[self.main_cause],
        }


def _norm(task: str) -> str:
    return " ".join(task.lower().split())


def fixing_skills(runs: Sequence[Any], merged_patch_skills: Mapping[str, str]) -> dict[str, str]:
    """Failed run id -> the skill that later fixed its task.

    A later run of the same task that passed names it (its first skill used); failing that,
    a merged patch made from the failed run.
    """
    passed_after: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for run in runs:
        if run.status == "passed" and run.skills_used and not run.replay_of:
            passed_after[_norm(run.task)].append((run.started, run.skills_used[0]))
    out: dict[str, str] = {}
    for run in runs:
        if run.status != "failed":
            continue
        later = sorted(s for s in passed_after.get(_norm(run.task), []) if s[0] > run.started)
        if later:
            out[run.id] = later[0][1]
        elif run.patch_id and run.patch_id in merged_patch_skills:
            out[run.id] = merged_patch_skills[run.patch_id]
    return out


def attribute(run: Any, events: Iterable[Any], reflection: Mapping[str, Any] | None, fixed_by: str | None) -> RunCause:
    """One cause for one failed (or errored) run."""
    reflection = reflection or {}
    category = reflection.get("category") or getattr(run, "failure_category", None) or ""
    weak = reflection.get("weak_skill") or None
    used = list(run.skills_used)
    charged = weak or (used[0] if used else fixed_by) or "(none)"
    events = list(events)
    errors = [e for e in events if isinstance(e, RunFailed) and e.kind.startswith("model_")]
    if run.status == "error" or errors or category in OUTSIDE_CATEGORIES:
        why = errors[0].message if errors else (category or run.status)
        return RunCause(run.id, charged, "outside", str(why).splitlines()[0][:200])
    if fixed_by and fixed_by not in run.skills_retrieved:
        return RunCause(
            run.id,
            fixed_by,
            "retrieval_miss",
            f"{fixed_by} fixed it later but was not among {', '.join(run.skills_retrieved) or 'the retrieved skills'}",
        )
    crashed = [
        e
        for e in events
        if isinstance(e, ToolResult) and e.name == "run" and e.skill and (e.exit_code not in (0, None) or e.limit)
    ]
    if crashed and (skill := crashed[-1].skill):
        e = crashed[-1]
        what = f"stopped by the {e.limit} limit" if e.limit else f"exited {e.exit_code}"
        return RunCause(run.id, skill, "script_error", f"a command with {skill} {what}")
    if category == "wrong_skill_chosen" and weak and weak not in run.skills_retrieved:
        return RunCause(run.id, weak, "retrieval_miss", f"reflection: {weak} was the right skill but not retrieved")
    return RunCause(
        run.id, charged, "instruction", f"the skill ran but the result failed ({category or 'no reflection'})"
    )


def by_skill(causes: Sequence[RunCause]) -> list[SkillCauses]:
    rows: dict[str, SkillCauses] = {}
    for cause in causes:
        rows.setdefault(cause.skill, SkillCauses(cause.skill)).counts[cause.cause] += 1
    return sorted(rows.values(), key=lambda r: (-r.total, r.skill))

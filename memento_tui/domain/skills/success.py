"""How each skill did in the runs that used it: the figures the Skills screen shows.

A run counts once it passed or failed; replays (experiments on a patch), errors and runs
still going count for nothing. A run that used two skills counts for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memento_tui.domain.agent.runs import JUDGED

if TYPE_CHECKING:
    from memento_tui.domain.agent.runs import RunRecord


@dataclass(frozen=True)
class SkillSuccess:
    passed: int = 0
    runs: int = 0

    @property
    def percent(self) -> int | None:
        """Passed of runs, rounded down; None before any run used the skill."""
        return 100 * self.passed // self.runs if self.runs else None

    def text(self) -> str:
        """``2/3 66%``, or ``—`` for a skill no run has used yet."""
        if not self.runs:
            return "—"
        return f"{self.passed}/{self.runs} {self.percent}%"


NOT_USED = SkillSuccess()


def success_by_skill(runs: Iterable[RunRecord]) -> dict[str, SkillSuccess]:
    """Each skill's figures over ``runs``; a skill no counted run used is not in it."""
    counts: dict[str, tuple[int, int]] = {}
    for record in runs:
        if record.replay_of or record.status not in JUDGED:
            continue
        for name in record.skills_used:
            passed, total = counts.get(name, (0, 0))
            counts[name] = (passed + (record.status == "passed"), total + 1)
    return {name: SkillSuccess(passed, total) for name, (passed, total) in counts.items()}

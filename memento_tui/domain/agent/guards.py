"""What ends a run before the model says it is done: a guard, or the person.

Guards stop a run that is going nowhere: the same call again and again, replies that
cannot be read as an action, and the step, token and time budgets. A run a guard
stopped is never passed on the agent's word: only a check that proves the work done can
pass it, and its verdict then says that a guard stopped it (judge.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from memento_tui.domain.config import RunConfig

GuardName = Literal["repeated_call", "unreadable_replies", "step_budget", "token_budget", "time_budget"]
MAX_REPEATS = 3  # a call refused this many times in a row ends the run
MAX_UNREADABLE = 3  # replies in a row that are no usable action end the run


class RunCancelled(Exception):
    """The person stopped the run (ctrl+x in the app, Ctrl-C in the CLI)."""


@dataclass(frozen=True)
class GuardStop:
    guard: GuardName
    message: str
    fix: str = ""


class RepeatGuard:
    """Refuses a call identical to the one just carried out (finish excepted)."""

    def __init__(self) -> None:
        self._last: tuple[str, str] | None = None
        self.repeats = 0

    def refuse(self, name: str, arguments: dict[str, Any]) -> bool:
        key = (name, json.dumps(arguments, sort_keys=True))
        if key == self._last and name != "finish":
            self.repeats += 1
            return True
        self._last, self.repeats = key, 0
        return False

    def stop(self, name: str) -> GuardStop | None:
        if self.repeats < MAX_REPEATS:
            return None
        return GuardStop("repeated_call", f"the model repeated the same {name} call {self.repeats + 1} times")


class UnreadableGuard:
    """Counts replies in a row that hold no usable action."""

    def __init__(self) -> None:
        self.in_a_row = 0

    def readable(self) -> None:
        self.in_a_row = 0

    def unreadable(self, error: str, fix: str) -> GuardStop | None:
        self.in_a_row += 1
        if self.in_a_row < MAX_UNREADABLE:
            return None
        return GuardStop(
            "unreadable_replies",
            f"{self.in_a_row} replies in a row could not be read as an action (last: {error})",
            fix,
        )


def over_budget(cfg: RunConfig, *, steps: int, tokens: int, elapsed: float) -> GuardStop | None:
    if steps >= cfg.max_steps:
        return GuardStop(
            "step_budget",
            f"the run reached its step budget ({cfg.max_steps} steps; [run] max_steps)",
        )
    if tokens >= cfg.max_tokens:
        return GuardStop(
            "token_budget",
            f"the run used its token budget ({tokens} of {cfg.max_tokens}; [run] max_tokens)",
        )
    if elapsed >= cfg.wall_seconds:
        return GuardStop(
            "time_budget",
            f"the run reached its time budget ({cfg.wall_seconds:g} s; [run] wall_seconds)",
        )
    return None

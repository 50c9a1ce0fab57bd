"""Critical items: a failure (a run) or a task pattern a person says matters most.

An aggregate error rate hides the rare failure that matters to one person, so a person
can mark it, and what is marked ranks first in stats and in the patch queue.

    .memento/critical.jsonl     one CriticalMark per line, append-only; the last line
                                for a run or a pattern text decides (mark or unmark)

A pattern is kept as the text the person gave; a task belongs to it when its words are
similar enough (the same Jaccard test that groups tasks into patterns), so a mark keeps
working as new runs regroup the patterns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from memento_tui.domain.analytics.patterns import DEFAULT_THRESHOLD, jaccard, tokens
from memento_tui.domain.errors import MementoError
from memento_tui.domain.files import append_line

CRITICAL_FILE = "critical.jsonl"


class CriticalMark(BaseModel):
    """One line of ``.memento/critical.jsonl``."""

    model_config = ConfigDict(extra="allow")

    version: int = 1
    kind: Literal["run", "pattern"]
    action: Literal["mark", "unmark"] = "mark"
    run_id: str | None = None
    pattern: str | None = None
    note: str = ""
    at: float = Field(default_factory=time.time)

    @model_validator(mode="after")
    def _target(self) -> CriticalMark:
        if self.kind == "run" and not self.run_id:
            raise ValueError("a run mark needs run_id")
        if self.kind == "pattern" and not (self.pattern or "").strip():
            raise ValueError("a pattern mark needs pattern text")
        return self

    @property
    def key(self) -> tuple[str, str]:
        if self.kind == "run":
            return ("run", self.run_id or "")
        return ("pattern", " ".join((self.pattern or "").lower().split()))


@dataclass
class CriticalSet:
    """The marks in force: critical runs and critical pattern texts."""

    runs: dict[str, CriticalMark] = field(default_factory=dict)
    patterns: list[CriticalMark] = field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD
    # Runs whose run.json says critical (set by other tools) count too.
    flagged_runs: set[str] = field(default_factory=set)

    @classmethod
    def from_marks(cls, marks: Iterable[CriticalMark], threshold: float = DEFAULT_THRESHOLD) -> CriticalSet:
        latest: dict[tuple[str, str], CriticalMark] = {}
        for mark in marks:
            latest[mark.key] = mark
        live = [m for m in latest.values() if m.action == "mark"]
        return cls(
            runs={m.run_id: m for m in live if m.kind == "run" and m.run_id},
            patterns=[m for m in live if m.kind == "pattern"],
            threshold=threshold,
        )

    def run_is_critical(self, run_id: str | None) -> bool:
        return bool(run_id) and (run_id in self.runs or run_id in self.flagged_runs)

    def pattern_for(self, task: str) -> CriticalMark | None:
        """The critical pattern a task text belongs to, if any."""
        if not self.patterns or not task:
            return None
        toks = tokens(task)
        best: tuple[float, CriticalMark] | None = None
        for mark in self.patterns:
            score = jaccard(toks, tokens(mark.pattern or ""))
            if score >= self.threshold and (best is None or score > best[0]):
                best = (score, mark)
        return best[1] if best else None

    def task_is_critical(self, task: str) -> bool:
        return self.pattern_for(task) is not None

    def is_critical(self, run_id: str | None = None, task: str = "") -> bool:
        return self.run_is_critical(run_id) or self.task_is_critical(task)

    def __bool__(self) -> bool:
        return bool(self.runs or self.patterns or self.flagged_runs)


class CriticalStore:
    """Reads and appends ``.memento/critical.jsonl``."""

    def __init__(self, state_dir: Path) -> None:
        self.file = state_dir / CRITICAL_FILE

    def marks(self) -> list[CriticalMark]:
        """Every mark, oldest first. A line that does not parse is skipped (a crash
        mid-write must not hide every other mark); ``problems`` says which."""
        marks, _ = self.read()
        return marks

    def read(self) -> tuple[list[CriticalMark], list[str]]:
        try:
            data = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        except (OSError, UnicodeDecodeError) as err:
            raise MementoError(
                f"cannot read the critical marks: {err}",
                file=self.file,
                fix="save it as UTF-8 text, or move it aside to start again",
            ) from None
        marks: list[CriticalMark] = []
        problems: list[str] = []
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                marks.append(CriticalMark.model_validate_json(line))
            except (ValueError, ValidationError) as err:
                problems.append(f"{self.file}:{number}: skipped a line that is not a mark ({err})")
        return marks, problems

    def append(self, mark: CriticalMark) -> CriticalMark:
        try:
            append_line(self.file, mark.model_dump_json().encode("utf-8"))
        except OSError as err:
            raise MementoError(
                f"cannot record the mark: {err}",
                file=self.file,
                fix="check the disk and the folder's permissions",
            ) from None
        return mark

    def load(self, threshold: float = DEFAULT_THRESHOLD) -> CriticalSet:
        return CriticalSet.from_marks(self.marks(), threshold)


T = TypeVar("T")


def _patch_keys(patch: Any) -> tuple[str | None, str]:
    """The failed run and task behind a patch (a Patch, PatchRecord or plain dict)."""
    evidence = patch.get("evidence") if isinstance(patch, dict) else getattr(patch, "evidence", None)
    if isinstance(evidence, dict):
        return evidence.get("run_id"), str(evidence.get("task") or "")
    return getattr(evidence, "run_id", None), str(getattr(evidence, "task", "") or "")


def critical_first(
    items: Sequence[T],
    critical: CriticalSet,
    *,
    keys: Callable[[T], tuple[str | None, str]] | None = None,
) -> list[T]:
    """``items`` with the critical ones first; the order is otherwise kept (stable).

    By default an item is a patch: it is critical when the run it was made from is
    marked, or its task belongs to a marked pattern. Pass ``keys`` (item -> (run id,
    task text)) to sort anything else, e.g. runs.
    """
    get = keys or _patch_keys

    def rank(item: T) -> int:
        run_id, task = get(item)
        return 0 if critical.is_critical(run_id, task) else 1

    return sorted(items, key=rank)

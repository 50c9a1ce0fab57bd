"""What retrieval learned from outcomes: ``.memento/learned/outcomes.jsonl``.

One JSON row per outcome, appended and never rewritten, so the file merges well in git and a
crash loses at most the row being written. The folder is committed: a team shares what its
agents learned by pushing it. A partial or corrupt row (a crash mid-write, a bad merge) is
skipped and reported in :attr:`LearnedStore.problems`; it never stops the rest loading.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, ValidationError

from memento_tui.domain.errors import MementoError
from memento_tui.domain.formats import NewerFormat, Versioned
from memento_tui.domain.tasks import TRIGGER_CHARS, trigger_text

LEARNED_FILE = "outcomes.jsonl"
MAX_TASK_CHARS = TRIGGER_CHARS  # a trigger is a task text, not a document


class LearnedRow(Versioned):
    """One outcome: a task ``kind`` ``success`` or ``failure`` with ``skill``."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    FORMAT = "outcome"

    kind: Literal["success", "failure"]
    task: str = Field(min_length=1, max_length=MAX_TASK_CHARS)
    skill: str = Field(min_length=1, max_length=64)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str = Field(default="run", description="run, teach, or import")


class LearnedProblem(MementoError):
    """A row of outcomes.jsonl that could not be read (skipped, never fatal)."""


class LearnedStore:
    """Append-only outcomes with an in-memory view: triggers and failures per skill."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / LEARNED_FILE
        self.rows: list[LearnedRow] = []
        # The byte offset just past each row: the index remembers how far into the file it
        # has indexed, so rows are never indexed twice by two processes sharing it.
        self.ends: list[int] = []
        self.problems: list[LearnedProblem] = []
        self._size = 0  # bytes of the file already read
        self._lines = 0  # complete lines already read
        self._ends_clean = True  # the last byte read was a newline (or the file is empty)
        self.load()

    # -- reading -------------------------------------------------------------------------

    def load(self) -> None:
        """(Re)read the whole file."""
        self.rows = []
        self.ends = []
        self.problems = []
        self._size = 0
        self._lines = 0
        self._ends_clean = True
        self._read_from(0)

    def sync(self) -> list[tuple[LearnedRow, int]]:
        """Read rows another process appended since the last read; returns the new rows.

        If the file shrank or was replaced (a git checkout), it is read again from the start
        and every row is returned.
        """
        try:
            size = self.file.stat().st_size
        except FileNotFoundError:
            size = 0
        if size == self._size:
            return []
        if size < self._size:
            self.load()
            return list(zip(self.rows, self.ends, strict=True))
        before = len(self.rows)
        self._read_from(self._size)
        return list(zip(self.rows[before:], self.ends[before:], strict=True))

    def _read_from(self, offset: int, stop: int | None = None) -> None:
        try:
            with self.file.open("rb") as handle:
                handle.seek(offset)
                data = handle.read() if stop is None else handle.read(stop - offset)
        except FileNotFoundError:
            return
        *complete, tail = data.split(b"\n")
        end = offset
        for raw in complete:
            end += len(raw) + 1
            self._lines += 1
            self._parse(raw, self._lines, end)
        if tail.strip():
            # A last line without its newline: a crash mid-write, or a hand edit. A whole
            # row is used; a cut one is reported. The next append starts on a fresh line.
            self._parse(tail, self._lines + 1, offset + len(data), partial=True)
        self._ends_clean = not tail
        self._size = offset + len(data)

    def _parse(self, raw: bytes, number: int, end: int, *, partial: bool = False) -> LearnedRow | None:
        text = raw.strip()
        if not text:
            return None
        try:
            row = LearnedRow.model_validate(json.loads(text))
        except NewerFormat as err:  # a teammate's newer Memento: skipped, said, never fatal
            self.problems.append(
                LearnedProblem(f"skipped a row: {err.message}", file=self.file, line=number, fix=err.fix or "")
            )
            return None
        except (ValueError, ValidationError) as err:
            detail = _first_error(err) + (" (the last line is cut short)" if partial else "")
            self.problems.append(
                LearnedProblem(
                    f"skipped a row that cannot be read: {detail}",
                    file=self.file,
                    line=number,
                    fix="fix or delete that line; the other rows are used as they are",
                )
            )
            return None
        self.rows.append(row)
        self.ends.append(end)
        return row

    # -- writing -------------------------------------------------------------------------

    def append(self, rows: list[LearnedRow]) -> list[tuple[LearnedRow, int]]:
        """Append rows in one write (one fsync).

        Returns every row new to this store with its end offset: rows another process
        appended since the last read, then ``rows``.
        """
        if not rows:
            return []
        before = len(self.rows)
        self.sync()
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [(row.model_dump_json() + "\n").encode("utf-8") for row in rows]
        if not self._ends_clean:
            lines[0] = b"\n" + lines[0]  # never glue a row onto a partial line
        payload = b"".join(lines)
        with self.file.open("ab") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            start = handle.tell() - len(payload)
        if start > self._size:
            # Another process appended between our sync and our write.
            self._read_from(self._size, start)
        end = start
        for line in lines:
            end += len(line)
            self.ends.append(end)
        self._size = start + len(payload)
        self._lines += payload.count(b"\n")
        self._ends_clean = True
        self.rows.extend(rows)
        return list(zip(self.rows[before:], self.ends[before:], strict=True))

    def record(self, kind: Literal["success", "failure"], task: str, skill: str, *, source: str = "run") -> LearnedRow:
        row = make_row(kind, task, skill, source=source)
        self.append([row])
        return row

    # -- views ---------------------------------------------------------------------------

    def triggers(self, skill: str) -> list[str]:
        """Task texts that succeeded with ``skill``, oldest first, without repeats."""
        seen: dict[str, None] = {}
        for row in self.rows:
            if row.kind == "success" and row.skill == skill:
                seen.setdefault(" ".join(row.task.split()), None)
        return list(seen)

    def failures(self, skill: str) -> list[str]:
        return [row.task for row in self.rows if row.kind == "failure" and row.skill == skill]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: {"success": 0, "failure": 0})
        for row in self.rows:
            out[row.skill][row.kind] += 1
        return dict(out)

    @property
    def size(self) -> int:
        """Bytes of the file read so far (the index manifest remembers it)."""
        return self._size

    @staticmethod
    def file_size(folder: Path) -> int:
        try:
            return (folder / LEARNED_FILE).stat().st_size
        except FileNotFoundError:
            return 0


def make_row(kind: Literal["success", "failure"], task: str, skill: str, *, source: str = "run") -> LearnedRow:
    """A validated row; bad input raises MementoError naming the field. A long task is
    kept as its start (a trigger is what the task is about, not the whole of it)."""
    task = trigger_text(task)
    try:
        return LearnedRow(kind=kind, task=task, skill=skill, source=source)
    except ValidationError as err:
        first = err.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "row"
        raise MementoError(
            first["msg"],
            field=field,
            fix="give a non-empty task text (under 4,000 characters) and an existing skill name",
        ) from None


def _first_error(err: Exception) -> str:
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        return f"{where}: {first['msg']}"
    return f"not JSON ({err})"

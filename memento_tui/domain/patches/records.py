"""Patch state kept in ``.memento/``: one JSON record per patch, and the review log.

.memento/patches/<id>.json    PatchRecord, rewritten atomically (temp file + os.replace)
.memento/reviews.jsonl        ReviewRecord lines, append-only, never rewritten
.memento/patches/.lock        held while a merge, reject or undo decides
.memento/learned/decisions.jsonl   the same lines as the team shares them: committed, merged
                              by union, written by ``memento sync`` (a teammate's merge or
                              rejection counts here as one's own)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from memento_tui.domain.errors import MementoError
from memento_tui.domain.files import append_line, atomic_write
from memento_tui.domain.patches.model import ID_RE, PatchRecord, ReviewRecord
from memento_tui.domain.paths import WorkspacePaths


def decision_key(review: ReviewRecord) -> tuple[str, str, str]:
    return (review.id, review.action, review.at.isoformat())


class PatchRecords:
    def __init__(self, paths: WorkspacePaths) -> None:
        self.dir = paths.patches
        self.reviews_file = paths.reviews
        self.shared_file = paths.shared_decisions

    def path_of(self, patch_id: str) -> Path:
        return self.dir / f"{patch_id}.json"

    def ids(self) -> list[str]:
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".json") and ID_RE.match(n[:-5]))

    def read(self, patch_id: str) -> PatchRecord | None:
        """The record, or None when it is missing or unreadable (the branch's commit
        trailers then stand in for it)."""
        try:
            return PatchRecord.model_validate_json(self.path_of(patch_id).read_bytes())
        except (OSError, ValueError, ValidationError):
            return None

    def write(self, record: PatchRecord) -> None:
        atomic_write(self.path_of(record.id), record.model_dump_json(indent=2).encode("utf-8") + b"\n")

    def reviews(self) -> list[ReviewRecord]:
        """Every decision, this workspace's and the team's, oldest first, each once."""
        seen: dict[tuple[str, str, str], ReviewRecord] = {}
        for review in [*self._read(self.reviews_file), *self._read(self.shared_file)]:
            seen.setdefault(decision_key(review), review)
        return sorted(seen.values(), key=lambda r: r.at)

    def unshared(self) -> list[ReviewRecord]:
        """This workspace's decisions the shared file does not have yet (for sync)."""
        shared = {decision_key(r) for r in self._read(self.shared_file)}
        return [r for r in self._read(self.reviews_file) if decision_key(r) not in shared]

    def _read(self, path: Path) -> list[ReviewRecord]:
        """A file's decisions. A line that does not parse (a crash mid-write, a hand edit)
        is skipped rather than hiding every other decision."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        out: list[ReviewRecord] = []
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                out.append(ReviewRecord.model_validate_json(line))
            except (ValueError, ValidationError):
                continue
        return out

    def append_review(self, review: ReviewRecord) -> None:
        try:
            append_line(self.reviews_file, review.model_dump_json().encode("utf-8"))
        except OSError as err:
            raise MementoError(
                f"cannot record the review decision: {err}",
                file=self.reviews_file,
                fix="check the disk and the folder's permissions",
            ) from None

    @contextlib.contextmanager
    def decision_lock(self) -> Iterator[None]:
        """One merge, reject or undo at a time, across processes."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

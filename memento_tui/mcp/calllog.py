"""Every call made to ``memento mcp``, one JSON line each, in ``.memento/mcp/calls.jsonl``.

Append-only (one O_APPEND write per line, so two servers on one workspace never tear
each other's lines), and local state like the runs: git-ignored with the rest of
``.memento/``. Arguments and results are kept in short: long text is cut and file
contents are kept as their size and hash, so the log says what was asked and what came
of it without becoming a second copy of every file. Lines are written (and synced) by a
thread of the log's own, in batches, so a call's answer never waits for the disk. A log that cannot be
written is said once on stderr and never fails a call.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import secrets
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from memento_tui.domain.files import append_line
from memento_tui.domain.paths import WorkspacePaths

LOG_NAME = "calls.jsonl"
TEXT_KEPT = 300
BATCH_SECONDS = 0.05
ITEMS_KEPT = 50


class CallRecord(BaseModel):
    """One line of ``.memento/mcp/calls.jsonl``."""

    version: int = 1
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    session: str  # one per server process: which calls came from the same client
    client: str = ""  # the client's name and version, as it said in its handshake
    method: str  # tools/call, resources/read, resources/subscribe, ...
    tool: str | None = None
    arguments: Any = None
    ok: bool = True
    error: str = ""
    ms: float = 0.0
    result: Any = None


def summarize(value: Any, *, text: int = TEXT_KEPT, depth: int = 0) -> Any:
    """``value`` in short: strings cut, long lists and maps cut, big contents hashed."""
    if isinstance(value, str):
        if len(value) <= text:
            return value
        digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:16]
        return f"{value[:text]}… [{len(value):,} characters, sha256 {digest}]"
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k)[:200]: summarize(v, text=text, depth=depth + 1) for k, v in items[:ITEMS_KEPT]}
        if len(items) > ITEMS_KEPT:
            out["…"] = f"{len(items) - ITEMS_KEPT} more"
        return out
    if isinstance(value, list | tuple):
        kept = [summarize(v, text=text, depth=depth + 1) for v in value[:ITEMS_KEPT]]
        if len(value) > ITEMS_KEPT:
            kept.append(f"… {len(value) - ITEMS_KEPT} more")
        return kept
    if value is None or isinstance(value, bool | int | float):
        return value
    return summarize(str(value), text=text, depth=depth + 1)


class CallLog:
    def __init__(self, paths: WorkspacePaths, session: str | None = None) -> None:
        self.path = paths.mcp / LOG_NAME
        self.session = (
            session or time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{os.getpid()}-{secrets.token_hex(2)}"
        )
        self._warned = False
        self._queue: queue.Queue[CallRecord | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, record: CallRecord) -> None:
        """Queue the record; it reaches the file in the order written."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._drain, name="memento-mcp-log", daemon=True)
                self._thread.start()
        self._queue.put(record)

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def _drain(self) -> None:
        # Lines go out in batches: waking for every call of a busy client cost the calls
        # themselves a millisecond each (the writer and the server take turns at the GIL).
        done = False
        while not done:
            batch = [self._queue.get()]
            time.sleep(BATCH_SECONDS)
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            done = None in batch
            self._append([r for r in batch if r is not None])

    def _append(self, records: list[CallRecord]) -> None:
        if not records:
            return
        lines = [json.dumps(r.model_dump(mode="json"), ensure_ascii=True, default=str) for r in records]
        try:
            # One O_APPEND write for the batch: lines from two servers never interleave.
            append_line(self.path, "\n".join(lines).encode("ascii"))
        except OSError as err:
            if not self._warned:
                self._warned = True
                print(f"memento mcp: cannot write the call log {self.path}: {err.strerror or err}", file=sys.stderr)

    def read(self) -> list[CallRecord]:
        """Every record that parses (a torn last line is skipped)."""
        out: list[CallRecord] = []
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return out
        for line in lines:
            try:
                out.append(CallRecord.model_validate_json(line))
            except ValueError:
                continue
        return out

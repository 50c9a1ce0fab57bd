"""What is in a work dir, for the model and the judge.

The work dir is written by sandboxed code, so it may be 100,000 folders deep, hold
symlink loops, FIFOs and folders with mode 000. Every walk here goes through
``domain.tree`` (an explicit stack, no link followed) and stops after a budget of
entries, so listing a hostile folder costs a bounded time and never raises.
"""

from __future__ import annotations

import os
from pathlib import Path

from memento_tui.domain.confined import kind_of
from memento_tui.domain.tree import Entry, walk

MAX_LISTED = 500  # files shown by list_files
MAX_VISITED = 20_000  # entries looked at before a walk gives up
MAX_NAME_CHARS = 300


class _Enough(Exception):
    pass


def _name(rel: str) -> str:
    # Names from the sandbox need not be UTF-8 (surrogate escapes) and may be very long.
    text = os.fsencode(rel).decode("utf-8", "replace")
    return text if len(text) <= MAX_NAME_CHARS else "…" + text[-(MAX_NAME_CHARS - 1) :]


def _collect(root: Path, keep: int) -> tuple[list[Entry], str]:
    """Up to ``keep`` non-folder entries under ``root``, and a note when the walk stopped
    early (the budget, or an error such as a folder swapped mid-walk)."""
    found: list[Entry] = []
    visited = 0
    note = ""

    def visit(entry: Entry) -> None:
        nonlocal visited
        visited += 1
        if not entry.is_dir:
            found.append(entry)
        if len(found) >= keep:
            raise _Enough(f"(more files; the first {keep} found are shown)")
        if visited >= MAX_VISITED:
            raise _Enough(f"(stopped after looking at {MAX_VISITED} entries)")

    try:
        walk(root, visit)
    except _Enough as stop:
        note = str(stop)
    except (OSError, RecursionError) as err:
        note = f"(the listing stopped early: {getattr(err, 'strerror', None) or err})"
    return found, note


def list_folder(folder: Path, work_dir: Path, limit: int = MAX_LISTED) -> str:
    """The list_files answer: every file under ``folder`` with its size, paths from /work."""
    found, note = _collect(folder, limit)
    prefix = os.path.relpath(folder, work_dir)
    lines = []
    for entry in found:
        rel = entry.rel if prefix == "." else f"{prefix}/{entry.rel}"
        if entry.is_file:
            lines.append(f"{_name(rel)}  ({entry.st.st_size} bytes)")
        else:
            lines.append(f"{_name(rel)}  ({kind_of(entry.st.st_mode)}, not read)")
    lines.sort()
    if note:
        lines.append(note)
    return "\n".join(lines) or "(empty)"


def work_files(root: Path, limit: int) -> list[str]:
    """Regular files under ``root`` as sorted relative paths (at most ``limit``)."""
    found, _ = _collect(root, limit)
    return sorted(_name(e.rel) for e in found if e.is_file)

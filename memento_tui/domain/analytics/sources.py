"""Reading what the analytics need from ``.memento/``: review decisions and patch tasks.

Both are read leniently: a line or record that does not parse is skipped and named in
``problems``, because one bad line must not hide every other figure.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from memento_tui.domain.patches.model import ReviewRecord


def read_reviews(path: Path) -> tuple[list[ReviewRecord], list[str]]:
    """``.memento/reviews.jsonl``, oldest first."""
    try:
        data = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    out: list[ReviewRecord] = []
    problems: list[str] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(ReviewRecord.model_validate_json(line))
        except (ValueError, ValidationError):
            problems.append(f"{path}:{number}: skipped a review line that does not parse")
    return out, problems


def read_patch_tasks(folder: Path) -> dict[str, str]:
    """Patch id -> the failed task it was made for, from ``.memento/patches/<id>.json``."""
    tasks: dict[str, str] = {}
    if not folder.is_dir():
        return tasks
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            task = data.get("evidence", {}).get("task", "")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(task, str) and task:
            tasks[path.stem] = task
    return tasks


def read_reflection(run_dir: Path) -> dict[str, object] | None:
    """The reflection saved for a run, as plain values, or None (none made, failed, or
    unreadable). The file's owner is agent/run_folder.py."""
    from memento_tui.domain.agent.run_folder import RunFolder

    reflection = RunFolder(run_dir).load_reflection()
    return reflection.model_dump() if reflection is not None else None


def retrieved_listing(trace: Path) -> list[tuple[str, str]] | None:
    """The (name, description) pairs a run was shown, from the start of its trace."""
    try:
        with trace.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle):
                if number > 5:  # the listing is the second event; don't read whole traces
                    return None
                if '"skills_retrieved"' not in line:
                    continue
                hits = json.loads(line).get("hits", [])
                return [(str(h.get("name", "")), str(h.get("description", ""))) for h in hits]
    except (OSError, ValueError):
        return None
    return None

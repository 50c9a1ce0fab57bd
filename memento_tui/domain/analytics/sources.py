"""Reading what the analytics need from ``.memento/``: review decisions and patch tasks.

Both are read leniently: a line or record that does not parse is skipped and named in
``problems``, because one bad line must not hide every other figure.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from memento_tui.domain.patch_model import ReviewRecord


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

"""Fixture skills for retrieval tests: a small library whose right answers are obvious."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memento_tui.domain.workspace import Workspace, init_workspace
from tests.conftest import write_skill

FIXTURE_SKILLS = {
    "csv-json": (
        "Convert CSV files to JSON records and JSON back to CSV.",
        "Use for csv, tsv, spreadsheet exports and json lines.\n",
    ),
    "log-summary": (
        "Summarise a log file: count errors and warnings, group repeated messages.",
        "Reads syslog, journald and application logs.\n",
    ),
    "text-stats": (
        "Count words, lines and characters in a text file.",
        "Word frequency, reading time and sentence counts.\n",
    ),
    "date-normalize": (
        "Normalise dates in many formats to ISO 8601.",
        "Handles day-first and month-first dates, timestamps and time zones.\n",
    ),
    "image-resize": (
        "Resize, crop and convert images between PNG and JPEG.",
        "Thumbnails, aspect ratio, image quality.\n",
    ),
}


def make_library(skills_dir: Path) -> None:
    for name, (description, body) in FIXTURE_SKILLS.items():
        write_skill(skills_dir, name, f"name: {name}\ndescription: {json.dumps(description)}\n", f"# {name}\n\n{body}")


@pytest.fixture
def library_workspace(tmp_path: Path) -> Workspace:
    """A workspace with only the fixture skills, committed."""
    ws = init_workspace(tmp_path / "ws", starter_skills=False)
    make_library(ws.paths.skills)
    return ws

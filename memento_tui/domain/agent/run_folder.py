"""The one owner of a run's folder, ``.memento/runs/<id>/``: its file names and formats.

    run.json          RunRecord (runs.py), rewritten atomically
    trace.jsonl       the trace, one event a line, appended as it happens (trace.py)
    reflection.json   SavedReflection: what learning concluded (or why it could not)
    inputs/           the person's inputs, untouched, so a replay starts from the same place
    work/             the agent's work dir, mounted at /work in the sandbox

Everything that reads or writes one of these goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from memento_tui.domain.files import atomic_write
from memento_tui.domain.formats import Versioned
from memento_tui.domain.learning.models import Reflection

RECORD = "run.json"
TRACE = "trace.jsonl"
REFLECTION = "reflection.json"
INPUTS = "inputs"
WORK = "work"


class SavedReflection(Versioned):
    """``reflection.json``: the reflection, or the error and the model's raw answer."""

    FORMAT = "reflection"
    ok: bool
    reflection: Reflection | None = None
    error: str = ""
    raw: str | list[str] = ""  # the model's answer(s), as it gave them


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def record(self) -> Path:
        return self.path / RECORD

    @property
    def trace(self) -> Path:
        return self.path / TRACE

    @property
    def reflection(self) -> Path:
        return self.path / REFLECTION

    @property
    def inputs(self) -> Path:
        return self.path / INPUTS

    @property
    def work(self) -> Path:
        return self.path / WORK

    def is_run(self) -> bool:
        return self.trace.exists() or self.record.exists()

    def save_reflection(self, saved: SavedReflection) -> None:
        atomic_write(self.reflection, saved.model_dump_json(indent=2).encode("utf-8"))

    def load_reflection(self) -> Reflection | None:
        """The reflection learning saved, or None (none made, failed, or unreadable)."""
        try:
            saved = SavedReflection.model_validate_json(self.reflection.read_bytes())
        except (OSError, ValueError, ValidationError):
            return None
        return saved.reflection if saved.ok else None

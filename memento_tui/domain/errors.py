"""The program's own errors: each names the file, the place in it, and the fix."""

from __future__ import annotations

from pathlib import Path


class MementoError(Exception):
    """An error a person can act on.

    ``str(err)`` reads ``FILE:LINE: FIELD: what is wrong`` followed by a ``fix:`` line,
    so the CLI, the TUI and the tests all show the same words.
    """

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.field = field
        self.fix = fix

    @property
    def where(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(str(self.file) + (f":{self.line}" if self.line else ""))
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return f"{head}\n  fix: {self.fix}" if self.fix else head

    def to_dict(self) -> dict[str, object]:
        return {
            "message": self.message,
            "file": str(self.file) if self.file else None,
            "line": self.line,
            "field": self.field,
            "fix": self.fix,
        }


class SkillError(MementoError):
    """A SKILL.md folder that cannot be loaded."""


class ConfigError(MementoError):
    """A bad value in .memento/config.toml."""


class WorkspaceError(MementoError):
    """No workspace, or one that cannot be made."""

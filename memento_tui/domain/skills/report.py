"""What ``memento verify`` reports about a skill: findings and the skill's own test runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    code: str
    file: str | None  # relative to the skill folder
    line: int | None
    message: str
    fix: str

    def where(self) -> str:
        if self.file is None:
            return ""
        return self.file + (f":{self.line}" if self.line else "")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class TestRun:
    file: str
    passed: bool
    exit_code: int | None
    limit: str | None
    duration: float
    output: str  # the tail of stdout and stderr, for the report


@dataclass
class VerifyReport:
    skill: str
    dir: Path
    findings: list[Finding] = field(default_factory=list)
    tests: list[TestRun] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, level: Level, code: str, file: str | None, line: int | None, message: str, fix: str) -> None:
        self.findings.append(Finding(level, code, file, line, message, fix))

    def to_dict(self) -> dict[str, object]:
        return {
            "skill": self.skill,
            "dir": str(self.dir),
            "ok": self.ok,
            "findings": [f.to_dict() for f in self.findings],
            "tests": [asdict(t) for t in self.tests],
        }

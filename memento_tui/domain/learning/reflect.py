"""Reflect: why did this run fail, which skill was weak, what kind of fix?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from memento_tui.domain.learning.ask import Answer, ask_json, schema_text
from memento_tui.domain.learning.compress import compress_trace
from memento_tui.domain.learning.models import FileChange, Reflection, SkillEdit
from memento_tui.domain.llm import ModelClient
from memento_tui.domain.skills import Skill

_PROMPTS = Path(__file__).parent / "prompts"
MAX_SKILL_CHARS = 12_000
MAX_FILE_CHARS = 20_000
TEXT_SUFFIXES = {".md", ".py", ".sh", ".txt", ".json", ".yaml", ".yml", ".toml", ".csv", ".js", ".ts"}


def _prompt(name: str) -> str:
    return (_PROMPTS / name).read_text(encoding="utf-8")


def _skill_text(skill: Skill, limit: int = MAX_SKILL_CHARS) -> str:
    text = skill.skill_file.read_text(encoding="utf-8")
    if len(text) > limit:
        text = text[:limit] + "\n… [cut]"
    files = ", ".join(f for f in skill.files() if f != "SKILL.md") or "none"
    return f"### {skill.name}\n\nOther files: {files}\n\n{text}"


def reflect(
    model: ModelClient,
    *,
    events: list[Any],
    skills: list[Skill],
    rejected: list[str],
    note: str = "",
    max_tokens: int = 2000,
    budget_chars: int = 24_000,
) -> Answer[Reflection]:
    system = _prompt("reflect.md").replace("{schema}", schema_text(Reflection))
    user = (
        _prompt("reflect_input.md")
        .replace("{trace}", compress_trace(events, budget_chars))
        .replace("{skills}", "\n\n".join(_skill_text(s) for s in skills) or "(no skill was used)")
        .replace("{rejected}", "\n".join(f"- {r}" for r in rejected) or "(none)")
        .replace("{note}", note or "(none)")
    )
    return ask_json(model, [{"role": "system", "content": system}, {"role": "user", "content": user}], Reflection, max_tokens=max_tokens)


def skill_files_text(folder: Path) -> str:
    """Every text file of a skill, for the writer to rewrite."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(folder)
        if "__pycache__" in rel.parts or path.suffix not in TEXT_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) > MAX_FILE_CHARS:
            text = text[:MAX_FILE_CHARS] + "\n… [cut]"
        parts.append(f"--- {rel} ---\n{text}")
    return "\n\n".join(parts)


def write_fix(
    model: ModelClient,
    *,
    reflection: Reflection,
    events: list[Any],
    skill_name: str,
    skill_dir: Path | None,
    rejected: list[str],
    max_tokens: int = 8000,
    companion_of: Skill | None = None,
) -> Answer[SkillEdit]:
    creating = skill_dir is None
    system = _prompt("write.md").replace("{schema}", schema_text(SkillEdit))
    user = (
        _prompt("write_input.md")
        .replace("{reflection}", reflection.model_dump_json(indent=1))
        .replace("{trace}", compress_trace(events, 12_000))
        .replace("{action}", "create" if creating else "fix")
        .replace("{skill}", skill_name)
        .replace("{files}", "(a new skill: write its SKILL.md, with 'name: " + skill_name + "', and any scripts)" if creating else skill_files_text(skill_dir))  # type: ignore[arg-type]
        .replace("{rejected}", "\n".join(f"- {r}" for r in rejected) or "(none)")
    )
    if companion_of is not None:
        user += (
            _prompt("companion.md").replace("{protected}", companion_of.name).replace("{skill}", skill_name)
            + "\n\n"
            + _skill_text(companion_of)
        )
    return ask_json(model, [{"role": "system", "content": system}, {"role": "user", "content": user}], SkillEdit, max_tokens=max_tokens)


def changed_files(edit: SkillEdit, skill_dir: Path | None) -> list[FileChange]:
    """Drop files whose content did not change (models often echo files back)."""
    out = []
    for change in edit.files:
        current = (skill_dir / change.path) if skill_dir else None
        if current is not None and current.is_file():
            try:
                if current.read_text(encoding="utf-8") == change.content:
                    continue
            except UnicodeDecodeError:
                pass
        out.append(change)
    return out

"""Reflect: why did this run fail, which skill was weak, what kind of fix?"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from memento_tui.domain.confined import ConfinedPath, shown
from memento_tui.domain.errors import MementoError
from memento_tui.domain.learning.ask import Answer, ask_json, schema_text
from memento_tui.domain.learning.compress import compress_trace
from memento_tui.domain.learning.models import (
    FileChange,
    Reflection,
    SkillEdit,
    edit_schema,
    reflection_schema,
)
from memento_tui.domain.llm import ModelClient
from memento_tui.domain.patches.model import PatchRefused
from memento_tui.domain.patches.rules import check_path
from memento_tui.domain.paths import SKILL_FILE, SKILLS_DIR_NAME
from memento_tui.domain.skills import Skill
from memento_tui.domain.tree import files_under

_PROMPTS = Path(__file__).parent / "prompts"
MAX_SKILL_CHARS = 12_000
MAX_FILE_CHARS = 20_000
MAX_FILES_TEXT_CHARS = 200_000  # all of a skill's files together, for the writer
MAX_FILES = 500
TEXT_SUFFIXES = {".md", ".py", ".sh", ".txt", ".json", ".yaml", ".yml", ".toml", ".csv", ".js", ".ts"}


def _prompt(name: str) -> str:
    return (_PROMPTS / name).read_text(encoding="utf-8")


def _read_capped(folder: Path, rel: str, chars: int) -> str:
    """The start of a skill's file as text: never more than the cap is read, and never
    through a link (a skill copied from a stranger may hold anything)."""
    target = ConfinedPath(folder, tuple(rel.split("/")), rel)
    data, size = target.read(chars * 4)  # UTF-8 is at most 4 bytes a character
    text = data.decode("utf-8", errors="replace")
    if len(text) > chars or size > len(data):
        text = text[:chars] + "\n… [cut]"
    return text


def _skill_text(skill: Skill, limit: int = MAX_SKILL_CHARS) -> str:
    try:
        text = _read_capped(skill.dir, SKILL_FILE, limit)
    except (MementoError, OSError) as err:
        text = f"(SKILL.md could not be read: {getattr(err, 'strerror', None) or err})"
    others = [rel for rel, _ in _skill_files(skill.dir) if rel != SKILL_FILE]
    return f"### {skill.name}\n\nOther files: {', '.join(others) or 'none'}\n\n{text}"


def _skill_files(folder: Path) -> list[tuple[str, os.stat_result]]:
    try:
        return files_under(folder, limit=MAX_FILES)
    except OSError:
        return []


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
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    wire = reflection_schema([s.name for s in skills])
    return ask_json(model, messages, Reflection, max_tokens=max_tokens, wire=wire)


def skill_files_text(folder: Path) -> str:
    """Every text file of a skill, for the writer to rewrite (capped, links not followed)."""
    parts = []
    total = 0
    for rel, _ in _skill_files(folder):
        if "__pycache__" in rel.split("/") or PurePosixPath(rel).suffix not in TEXT_SUFFIXES:
            continue
        if total >= MAX_FILES_TEXT_CHARS:
            parts.append("… [more files left out]")
            break
        try:
            text = _read_capped(folder, rel, MAX_FILE_CHARS)
        except (MementoError, OSError):
            continue
        total += len(text)
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
    if skill_dir is None:
        files = f"(a new skill: write its SKILL.md, with 'name: {skill_name}', and any scripts)"
    else:
        files = skill_files_text(skill_dir)
    system = _prompt("write.md").replace("{schema}", schema_text(SkillEdit))
    user = (
        _prompt("write_input.md")
        .replace("{reflection}", reflection.model_dump_json(indent=1))
        .replace("{trace}", compress_trace(events, 12_000))
        .replace("{action}", "create" if creating else "fix")
        .replace("{skill}", skill_name)
        .replace("{files}", files)
        .replace("{rejected}", "\n".join(f"- {r}" for r in rejected) or "(none)")
    )
    if companion_of is not None:
        user += (
            _prompt("companion.md").replace("{protected}", companion_of.name).replace("{skill}", skill_name)
            + "\n\n"
            + _skill_text(companion_of)
        )
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return ask_json(model, messages, SkillEdit, max_tokens=max_tokens, wire=edit_schema())


def changed_files(edit: SkillEdit, skill_dir: Path | None, skill: str) -> list[FileChange]:
    """The files the edit really changes (models often echo files back unchanged).

    Every path is checked by the patch rules before anything is read: a model once named
    /proc/self/mem here. Raises PatchRefused naming the path and the rule.
    """
    out = []
    for change in edit.files:
        if change.path.startswith("/"):
            raise PatchRefused(
                f"path {shown(change.path)!r}: is absolute",
                field="files",
                fix="give the path inside the skill folder, such as SKILL.md or scripts/run.py",
            )
        check_path(f"{SKILLS_DIR_NAME}/{skill}/{change.path}", skill)
        # Lone surrogates (JSON escapes such as \\udcff) cannot be written as UTF-8.
        content = change.content.encode("utf-8", "replace").decode("utf-8")
        if skill_dir is not None and _unchanged(skill_dir, change.path, content):
            continue
        out.append(FileChange(path=change.path, content=content))
    return out


def _unchanged(skill_dir: Path, rel: str, content: str) -> bool:
    new = content.encode("utf-8")
    try:
        old, size = ConfinedPath(skill_dir, tuple(rel.split("/")), rel).read(len(new) + 1)
    except (MementoError, OSError):
        return False  # missing, a link, a FIFO: the change stands and the patch rules judge it
    return size == len(new) and old == new

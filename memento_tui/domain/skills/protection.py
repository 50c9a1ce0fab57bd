"""Protected skills: learning never writes a patch to them.

A skill is protected by ``metadata.memento.protected: true`` in its own SKILL.md, or by a
glob in ``[learning] protected`` of the config. Reflection may still name one as weak;
the fix then goes to a companion skill, never to a branch touching the protected one.
``protection_of`` says which of the two protects a skill (the Skills screen and
``memento skills`` both ask it).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from memento_tui.domain.config import Config
from memento_tui.domain.errors import SkillError
from memento_tui.domain.skills.frontmatter import parse_frontmatter, split_document

if TYPE_CHECKING:
    from memento_tui.domain.skills.library import Skill

ProtectedBy = Literal["skill_md", "config"]
REASONS: dict[ProtectedBy, str] = {
    "skill_md": "metadata.memento.protected in its SKILL.md",
    "config": "[learning] protected in .memento/config.toml",
}


@dataclass(frozen=True)
class Protection:
    """Why learning never writes a patch to a skill."""

    by: ProtectedBy

    @property
    def reason(self) -> str:
        return REASONS[self.by]


def protection_of(skill: Skill, config: Config | None) -> Protection | None:
    """What protects ``skill`` (its own SKILL.md first, then a glob in ``[learning]
    protected``), or None when learning may patch it. Without a config, the SKILL.md alone."""
    if skill.protected:
        return Protection("skill_md")
    if config is not None and protected_by_config(skill.name, config):
        return Protection("config")
    return None


def protection_in(name: str, skill_md: str | None, config: Config | None) -> Protection | None:
    """``protection_of`` for a skill known only by its name and its SKILL.md's text (as on
    main, or read capped from a stranger's folder; None when it has none yet)."""
    if skill_md is not None and protected_in_text(skill_md):
        return Protection("skill_md")
    if config is not None and protected_by_config(name, config):
        return Protection("config")
    return None


def protected_by_config(name: str, config: Config) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in config.learning.protected)


def protected_in_text(skill_md: str) -> bool:
    """Read the flag from SKILL.md text. Frontmatter that does not parse protects nothing."""
    try:
        doc = split_document(skill_md, Path("SKILL.md"))
        data = parse_frontmatter(doc.frontmatter, Path("SKILL.md"))
    except SkillError:
        return False
    metadata = data.get("metadata")
    memento = metadata.get("memento") if isinstance(metadata, dict) else None
    return isinstance(memento, dict) and memento.get("protected") is True


def companion_name(name: str) -> str:
    """The skill a protected skill's fixes go to instead."""
    base = name[: 64 - len("-notes")]
    return f"{base.rstrip('-')}-notes"

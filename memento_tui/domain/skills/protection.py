"""Protected skills: learning never writes a patch to them.

A skill is protected by ``metadata.memento.protected: true`` in its own SKILL.md, or by a
glob in ``[learning] protected`` of the config. Reflection may still name one as weak;
the fix then goes to a companion skill, never to a branch touching the protected one.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from memento_tui.domain.config import Config
from memento_tui.domain.errors import SkillError
from memento_tui.domain.skills.frontmatter import parse_frontmatter, split_document


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

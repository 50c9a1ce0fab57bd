"""Skills: the library of SKILL.md folders, and everything that reads and audits them.

library.py        load a skill, the library, names and sizes (what the rest imports here)
frontmatter.py    the strict YAML loader for the frontmatter
protection.py     protected skills and their companions
verify.py         ``memento verify``: schema, files, scripts, patterns, hidden text, tests
verify_hidden.py  the hidden-text checks of verify, on raw files and parsed values
report.py         what verify reports
audit_patterns.py the dangerous patterns verify looks for
hidden_text.py    characters that hide or drive a terminal, and marking them
"""

from __future__ import annotations

from memento_tui.domain.skills.library import (
    MAX_NAME,
    MAX_SKILL_MD_BYTES,
    NAME_RE,
    BrokenSkill,
    Skill,
    SkillFrontmatter,
    SkillLibrary,
    check_new_name,
    did_you_mean,
    load_skill,
    skill_skeleton,
)

__all__ = [
    "MAX_NAME",
    "MAX_SKILL_MD_BYTES",
    "NAME_RE",
    "BrokenSkill",
    "Skill",
    "SkillFrontmatter",
    "SkillLibrary",
    "check_new_name",
    "did_you_mean",
    "load_skill",
    "skill_skeleton",
]

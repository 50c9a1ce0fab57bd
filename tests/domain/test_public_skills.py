"""Skills from the public anthropics/skills collection load unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

from memento_tui.domain.skills import SkillLibrary

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "anthropic_skills"


def test_all_17_public_skills_load_beside_the_starter_skills(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    shutil.copytree(Path(__file__).resolve().parents[2] / "skills", skills)
    starter = {p.name for p in skills.iterdir() if (p / "SKILL.md").exists()}
    public = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert len(public) == 17
    for name in public:
        shutil.copytree(FIXTURES / name, skills / name)
    library = SkillLibrary.load(skills)
    assert library.broken == []
    assert set(library.skills) == starter | set(public)
    # claude-api's description is over the 1024-character limit: it loads, with a warning.
    assert library.get("claude-api").warnings
    assert library.get("pdf").frontmatter.license == "Proprietary. LICENSE.txt has complete terms"
    assert library.get("doc-coauthoring").frontmatter.license is None

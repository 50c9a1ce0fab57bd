"""Building the index from scratch: every SKILL.md and every outcome row."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain.errors import SkillError
from memento_tui.domain.retrieval.engine import (
    KIND_FAILURE,
    KIND_SUCCESS,
    Engine,
    field_lengths,
    learned_document,
    learned_schema,
    profile_document,
    profiles_schema,
    skill_document,
    skill_id,
    skills_schema,
)
from memento_tui.domain.retrieval.learned import LearnedRow
from memento_tui.domain.retrieval.manifest import Manifest, save_manifest, scan_skills
from memento_tui.domain.skills import load_skill

# Average field lengths are estimated from this many skills: exact enough for scoring the
# few documents waiting in the overlay, and it keeps a 100k build from analysing twice.
LENGTH_SAMPLE = 256


@dataclass
class Built:
    skills: Engine
    learned: Engine
    profiles: Engine
    manifest: Manifest
    errors: list[SkillError]


def build_all(folder: Path, skills_root: Path, rows: list[LearnedRow], learned_size: int) -> Built:
    if folder.exists():
        shutil.rmtree(folder)
    manifest = Manifest()
    skills = Engine.create(folder / "skills", skills_schema())
    writer = skills.writer(threads=2)
    totals = {"name": 0, "description": 0, "body": 0}
    sampled = 0
    errors: list[SkillError] = []
    for name, stamp in sorted(scan_skills(skills_root).items()):
        manifest.skills[name] = stamp
        try:
            skill = load_skill(skills_root / name, check_links=False)
        except SkillError as err:
            manifest.broken.append(name)
            errors.append(err)
            continue
        writer.add_document(skill_document(skill.name, skill.description, skill.body))
        manifest.ids[name] = skill_id(name)
        if sampled < LENGTH_SAMPLE:
            sampled += 1
            for field, counts in field_lengths(skill.name, skill.description, skill.body).items():
                totals[field] += sum(counts.values())
    writer.commit()
    writer.wait_merging_threads()
    manifest.avg_len = {field: total / max(sampled, 1) for field, total in totals.items()}
    learned, profiles = build_learned(folder, rows)
    manifest.learned_docs = len(rows)
    manifest.learned_size = learned_size
    save_manifest(folder, manifest)
    skills.reload()
    return Built(skills, learned, profiles, manifest, errors)


def build_learned(folder: Path | None, rows: list[LearnedRow]) -> tuple[Engine, Engine]:
    """Fresh learned and profiles indexes from every row (in memory when ``folder`` is None)."""
    learned = Engine.create(folder / "learned" if folder else None, learned_schema())
    writer = learned.writer()
    for row in rows:
        kind = KIND_SUCCESS if row.kind == "success" else KIND_FAILURE
        writer.add_document(learned_document(row.skill, kind, row.task))
    writer.commit()
    writer.wait_merging_threads()
    learned.reload()
    triggers: dict[str, list[str]] = {}
    for row in rows:
        if row.kind == "success":
            triggers.setdefault(row.skill, []).append(row.task)
    profiles = Engine.create(folder / "profiles" if folder else None, profiles_schema())
    writer = profiles.writer()
    for skill, texts in triggers.items():
        writer.add_document(profile_document(skill, list(dict.fromkeys(texts))))
    writer.commit()
    writer.wait_merging_threads()
    profiles.reload()
    return learned, profiles


__all__ = ["Built", "build_all", "build_learned"]

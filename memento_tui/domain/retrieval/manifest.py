"""``.memento/index/manifest.json``: what the index was built from, to tell when it is stale.

A SKILL.md is known by its (mtime_ns, size); the outcomes file by its size. Comparing them
with the files costs one ``stat`` per skill, far cheaper than reading any SKILL.md, so the
index can be checked on every open and only the skills that changed are read again.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memento_tui.domain.files import atomic_write
from memento_tui.domain.paths import SKILL_FILE

# Bump when the schema, the analyzer or what goes into a document changes: the index is
# then rebuilt on the next open, since it is disposable.
FORMAT = 5
MANIFEST_NAME = "manifest.json"
# The word vectors' cache (semantic.py writes it; semantic_upkeep.py forgets it without
# importing numpy).
SEMANTIC_CACHE = "semantic.npz"
SENTENCE_CACHE = "sentence.npz"  # the agent's second stage (agent_rank.py)

Stamp = tuple[int, int]  # (mtime_ns, size)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT
    skills: dict[str, Stamp] = Field(default_factory=dict)  # every SKILL.md seen, broken too
    broken: list[str] = Field(default_factory=list)  # seen but not loadable, so not indexed
    # engine.skill_id(name) of every indexed skill, kept so an open need not hash them all.
    ids: dict[str, int] = Field(default_factory=dict)
    # Average analyzed field lengths, for scoring documents not yet committed (see engine.bm25).
    avg_len: dict[str, float] = Field(default_factory=dict)
    # Bytes of outcomes.jsonl already in the learned index: rows ending past it are added,
    # rows before it never again, whichever process added them.
    learned_size: int = 0
    learned_docs: int = 0


def load_manifest(folder: Path) -> Manifest | None:
    """The manifest, or None when it is missing, unreadable or from another format."""
    try:
        # Parsing and validating in one pass in pydantic-core: 3x faster than json.loads
        # then model_validate on a 10k-skill manifest, and this is on every open.
        manifest = Manifest.model_validate_json((folder / MANIFEST_NAME).read_bytes())
    except (OSError, ValueError, ValidationError):
        return None
    return manifest if manifest.format == FORMAT else None


def save_manifest(folder: Path, manifest: Manifest) -> None:
    """Atomic: a reader sees the old manifest or the new one, never half of one."""
    atomic_write(folder / MANIFEST_NAME, manifest.model_dump_json().encode("utf-8"))


def scan_skills(skills_root: Path) -> dict[str, Stamp]:
    """(mtime_ns, size) of every ``skills/<name>/SKILL.md``; a stat per skill, no reads."""
    stamps: dict[str, Stamp] = {}
    try:
        entries = os.scandir(skills_root)
    except (FileNotFoundError, NotADirectoryError):
        return stamps
    with entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                st = os.stat(f"{entry.path}/{SKILL_FILE}", follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                continue
            stamps[entry.name] = (st.st_mtime_ns, st.st_size)
    return stamps


def stamp_of(skill_file: Path) -> Stamp | None:
    try:
        st = os.stat(skill_file, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_mtime_ns, st.st_size)

"""Patch branches: a proposed change to one skill, kept as a git branch with its evidence.

A patch is a commit on ``memento/patch/<skill>/<id>``, made from the main branch with git
plumbing and a private index file, so the person's working tree, index and HEAD are never
touched. The program makes the id and the branch name; nothing from model text goes into
either. Evidence travels twice: as trailers in the commit message (fixed at creation) and
as ``.memento/patches/<id>.json`` (updated after replay).

    store.py       PatchStore: what the rest of Memento uses
    repository.py  reading patches: branches, records, decisions, diffs
    create.py      making a patch branch        review.py   merge, reject, undo
    revert.py      revert, re-queue             merging.py  three-way merges in plumbing
    rules.py       what a patch may touch       model.py    the records and results
    records.py     .memento/patches/ and the review log
    branches.py    reading patch branches      diff.py     the structured diff
"""

from __future__ import annotations

from memento_tui.domain.patches.diff import StructuredDiff, split_rows
from memento_tui.domain.patches.model import (
    MergeResult,
    Patch,
    PatchConflict,
    PatchError,
    PatchEvidence,
    PatchNotFound,
    PatchRefused,
    Rejection,
    UndoResult,
)
from memento_tui.domain.patches.repository import STATUSES
from memento_tui.domain.patches.store import PatchStore

__all__ = [
    "STATUSES",
    "MergeResult",
    "Patch",
    "PatchConflict",
    "PatchError",
    "PatchEvidence",
    "PatchNotFound",
    "PatchRefused",
    "PatchStore",
    "Rejection",
    "StructuredDiff",
    "UndoResult",
    "split_rows",
]

"""Editing a pending patch after main moved: the person starts from the patch applied to
main as it is now, so the edit never takes back what was merged since."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchConflict
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import SKILL, evidence, git, patch_files

S = f"skills/{SKILL}"


def _main_moves(root: Path, old: str, new: str) -> None:
    text = (root / S / "SKILL.md").read_text()
    assert old in text
    (root / S / "SKILL.md").write_text(text.replace(old, new, 1))
    git(root, "commit", "-q", "-am", "merged meanwhile")


def test_an_edit_of_a_patch_keeps_what_main_gained_since(ws: Workspace, store: PatchStore, tmp_path: Path) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    _main_moves(root, "line 1\n", "line 1 merged meanwhile\n")

    as_made = store.export_skill(patch.id, tmp_path / "old")
    assert "merged meanwhile" not in (as_made / "SKILL.md").read_text()
    on_main = store.export_skill(patch.id, tmp_path / "new", on_main=True)
    text = (on_main / "SKILL.md").read_text()
    assert "line 1 merged meanwhile" in text and text.endswith("Check the delimiter first.\n")

    # The person's edit, saved as a new patch the way the review screen saves it.
    edited = text.replace("Check the delimiter first.", "Check the delimiter and quoting first.")
    again = store.create(SKILL, {f"{S}/SKILL.md": edited.encode()}, evidence())
    diff = store.diff_text(again.id)
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == []  # nothing merged since is taken back
    assert "+Check the delimiter and quoting first." in diff


def test_a_patch_that_no_longer_applies_says_where(ws: Workspace, store: PatchStore, tmp_path: Path) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    text = (root / S / "SKILL.md").read_text()
    (root / S / "SKILL.md").write_text(text + "\nA different last line.\n")
    git(root, "commit", "-q", "-am", "main wrote the same place")
    with pytest.raises(PatchConflict) as caught:
        store.export_skill(patch.id, tmp_path / "x", on_main=True)
    assert caught.value.files == [f"{S}/SKILL.md"]
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())

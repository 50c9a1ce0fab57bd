"""The watcher on a real file system: every way a SKILL.md can change reaches search.

Each test polls for the result with a generous deadline; nothing here times anything.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator

import pytest

from memento_tui.domain.retrieval import SkillIndex
from memento_tui.domain.retrieval.watcher import SkillWatcher
from memento_tui.domain.workspace import Workspace
from tests.conftest import write_skill

DEADLINE = 10.0


def eventually(check: Callable[[], bool]) -> bool:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return check()


def top(index: SkillIndex, query: str) -> str | None:
    hits = index.search(query, 1)
    return hits[0].name if hits else None


@pytest.fixture
def watched(library_workspace: Workspace) -> Iterator[tuple[SkillIndex, SkillWatcher, list[set[str]]]]:
    index = SkillIndex.open(library_workspace.paths)
    batches: list[set[str]] = []
    watcher = SkillWatcher(index, on_change=batches.append).start()
    try:
        yield index, watcher, batches
    finally:
        watcher.stop()
        index.close()
    assert watcher.errors == []


def test_created_skill_is_found(watched, library_workspace: Workspace) -> None:
    index, _, batches = watched
    write_skill(library_workspace.paths.skills, "pdf-merge", 'name: pdf-merge\ndescription: "Merge PDF files."\n')
    assert eventually(lambda: top(index, "merge pdf") == "pdf-merge")
    assert eventually(lambda: any("pdf-merge" in batch for batch in batches))


def test_edit_in_place_is_found(watched, library_workspace: Workspace) -> None:
    index, _, _ = watched
    skill_file = library_workspace.paths.skills / "text-stats" / "SKILL.md"
    skill_file.write_text(skill_file.read_text().replace("Count words", "Count penguins"))
    assert eventually(lambda: top(index, "penguins") == "text-stats")


def test_atomic_rename_save_is_found(watched, library_workspace: Workspace) -> None:
    index, _, _ = watched
    folder = library_workspace.paths.skills / "text-stats"
    text = (folder / "SKILL.md").read_text().replace("Count words", "Count walruses")
    tmp = folder / ".SKILL.md.swp"
    tmp.write_text(text)
    os.replace(tmp, folder / "SKILL.md")  # how vim, VS Code and most editors save
    assert eventually(lambda: top(index, "walruses") == "text-stats")


def test_moved_skill_folder_is_found_under_its_new_name(watched, library_workspace: Workspace) -> None:
    index, _, _ = watched
    skills = library_workspace.paths.skills
    # Move a skill out of skills/ and another one in: both are seen.
    shutil.move(str(skills / "image-resize"), str(skills.parent / "image-resize"))
    assert eventually(lambda: "image-resize" not in index.skill_names())
    staging = skills.parent / "pdf-merge"
    write_skill(skills.parent, "pdf-merge", 'name: pdf-merge\ndescription: "Merge PDF files."\n')
    shutil.move(str(staging), str(skills / "pdf-merge"))
    assert eventually(lambda: top(index, "merge pdf") == "pdf-merge")


def test_renamed_skill_file_is_seen(watched, library_workspace: Workspace) -> None:
    index, _, _ = watched
    folder = library_workspace.paths.skills / "text-stats"
    os.rename(folder / "SKILL.md", folder / "SKILL.md.bak")
    assert eventually(lambda: "text-stats" not in index.skill_names())
    os.rename(folder / "SKILL.md.bak", folder / "SKILL.md")
    assert eventually(lambda: top(index, "count words") == "text-stats")


def test_deleted_skill_is_gone(watched, library_workspace: Workspace) -> None:
    index, _, _ = watched
    shutil.rmtree(library_workspace.paths.skills / "csv-json")
    assert eventually(lambda: "csv-json" not in index.skill_names())
    assert top(index, "csv json") != "csv-json"


def test_changes_are_saved_for_the_next_open(watched, library_workspace: Workspace) -> None:
    index, watcher, _ = watched
    write_skill(library_workspace.paths.skills, "pdf-merge", 'name: pdf-merge\ndescription: "Merge PDF files."\n')
    assert eventually(lambda: top(index, "merge pdf") == "pdf-merge")
    watcher.stop()
    index.close()
    with SkillIndex.open(library_workspace.paths) as again:
        assert again.refresh() == 0
        assert top(again, "merge pdf") == "pdf-merge"


def test_rows_taught_elsewhere_arrive_through_the_watcher(watched, library_workspace: Workspace) -> None:
    index, _, _ = watched
    with SkillIndex.open(library_workspace.paths) as other:
        other.record_success("reconcile the ledger exports", "csv-json")
    assert eventually(lambda: top(index, "reconcile ledger exports") == "csv-json")


def test_a_skill_added_before_the_watcher_started_is_reported(library_workspace: Workspace) -> None:
    # A listener that listed the library, then started the watcher, must hear of a skill
    # written in between (memento mcp announces from such a listing).
    index = SkillIndex.open(library_workspace.paths)
    assert "pdf-merge" not in index.skill_names()
    write_skill(library_workspace.paths.skills, "pdf-merge", 'name: pdf-merge\ndescription: "Merge PDF files."\n')
    batches: list[set[str]] = []
    watcher = SkillWatcher(index, on_change=batches.append).start()
    try:
        assert eventually(lambda: any("pdf-merge" in batch for batch in batches))
        assert top(index, "merge pdf") == "pdf-merge"
    finally:
        watcher.stop()
        index.close()

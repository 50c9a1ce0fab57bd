"""SkillIndex on real temp workspaces: ranking, learning, persistence, rebuilds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.errors import SkillError
from memento_tui.domain.retrieval import SkillIndex
from memento_tui.domain.workspace import Workspace
from tests.conftest import write_skill


def names(index: SkillIndex, query: str, k: int = 5) -> list[str]:
    return [hit.name for hit in index.search(query, k)]


def test_starter_skills_rank_the_obvious_skill_first(workspace: Workspace) -> None:
    if not (workspace.paths.skills / "csv-json" / "SKILL.md").is_file():
        pytest.skip("the starter skill csv-json is not in this checkout")
    with SkillIndex.open(workspace.paths) as index:
        assert names(index, "convert this csv file to json")[0] == "csv-json"


def test_fixture_library_ranking_and_why(library_workspace: Workspace) -> None:
    with SkillIndex.open(library_workspace.paths) as index:
        assert names(index, "convert this csv file to json")[0] == "csv-json"
        assert names(index, "how many errors are in this log")[0] == "log-summary"
        assert names(index, "make a thumbnail of this png")[0] == "image-resize"
        assert names(index, "csv-to-json")[0] == "csv-json"
        assert names(index, "csvjson")[0] == "csv-json"  # the joined form of the name
        hit = index.search("convert csv to json", 1)[0]
        assert hit.description.startswith("Convert CSV files")
        assert {"name", "description"} <= set(hit.why)
        assert index.search("", 3) == []
        assert index.search("zzzz qqqq", 3) == []
        assert index.skill_names() == sorted(
            ["csv-json", "log-summary", "text-stats", "date-normalize", "image-resize"]
        )


def test_a_success_becomes_a_trigger_that_changes_the_ranking(library_workspace: Workspace) -> None:
    task = "tidy up the quarterly figures from accounting"
    with SkillIndex.open(library_workspace.paths) as index:
        assert "csv-json" not in names(index, task, 1)
        index.record_success(task, "csv-json")
        assert index.triggers("csv-json") == [task]
        top = index.search("tidy the quarterly accounting figures", 1)[0]
        assert top.name == "csv-json"
        assert f"trigger: {task}" in top.why


def test_a_failure_pushes_the_skill_down_for_similar_tasks_only(library_workspace: Workspace) -> None:
    with SkillIndex.open(library_workspace.paths) as index:
        query = "count the words in this text file"
        before = {hit.name: hit.score for hit in index.search(query)}
        assert names(index, query, 1) == ["text-stats"]
        index.record_failure("count the words in this text file please", "text-stats")
        after = {hit.name: hit.score for hit in index.search(query)}
        assert after["text-stats"] < before["text-stats"] * 0.7
        assert any(
            w.startswith("failed on:")
            for w in index.search(query, 5)[[h.name for h in index.search(query, 5)].index("text-stats")].why
        )
        # An unrelated query keeps its score.
        unrelated = "normalise these dates to iso"
        assert names(index, unrelated, 1) == ["date-normalize"]
        assert not any(w.startswith("failed on:") for w in index.search(unrelated, 1)[0].why)


def test_unknown_skill_is_refused_and_nothing_is_written(library_workspace: Workspace) -> None:
    with SkillIndex.open(library_workspace.paths) as index:
        with pytest.raises(SkillError) as err:
            index.record_success("some task", "no-such-skill")
        assert "memento skills list" in str(err.value)
        assert not index.store.file.exists()


def test_learning_survives_reopen_and_is_plain_jsonl(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    task = "tidy up the quarterly figures from accounting"
    with SkillIndex.open(paths) as index:
        index.record_success(task, "csv-json")
    rows = (paths.learned / "outcomes.jsonl").read_text().splitlines()
    assert len(rows) == 1 and '"kind":"success"' in rows[0]
    with SkillIndex.open(paths) as index:
        assert index.notes == []  # reused, not rebuilt
        assert names(index, "quarterly accounting figures", 1) == ["csv-json"]
        assert index.triggers("csv-json") == [task]


def test_rows_taught_by_another_process_are_picked_up(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    with SkillIndex.open(paths) as index, SkillIndex.open(paths) as other:
        other.record_success("reconcile the ledger exports", "csv-json")
        other.flush()
        assert index.refresh() == 0
        assert names(index, "reconcile ledger exports", 1) == ["csv-json"]


def test_a_missing_index_is_rebuilt(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    SkillIndex.open(paths).close()
    import shutil

    shutil.rmtree(paths.index)
    with SkillIndex.open(paths) as index:
        assert any("rebuilt" in note and "missing" in note for note in index.notes)
        assert names(index, "csv to json", 1) == ["csv-json"]


@pytest.mark.parametrize("damage", ["manifest", "meta", "segments"])
def test_a_corrupt_index_is_rebuilt(library_workspace: Workspace, damage: str) -> None:
    paths = library_workspace.paths
    with SkillIndex.open(paths) as index:
        index.record_success("reconcile the ledger exports", "csv-json")
    if damage == "manifest":
        (paths.index / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "meta":
        (paths.index / "skills" / "meta.json").write_text("garbage", encoding="utf-8")
    else:
        for file in (paths.index / "skills").iterdir():
            if file.name != "meta.json" and file.is_file():
                file.unlink()
    with SkillIndex.open(paths) as index:
        assert any("rebuilt" in note for note in index.notes)
        assert names(index, "csv to json", 1) == ["csv-json"]
        assert names(index, "reconcile ledger exports", 1) == ["csv-json"]  # learned kept


def test_stale_index_is_updated_on_open(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    SkillIndex.open(paths).close()
    # While no index is open: one skill edited, one added, one removed.
    write_skill(paths.skills, "text-stats", "name: text-stats\ndescription: Count zebras in a herd.\n")
    write_skill(paths.skills, "pdf-merge", "name: pdf-merge\ndescription: Merge PDF files into one.\n")
    import shutil

    shutil.rmtree(paths.skills / "image-resize")
    with SkillIndex.open(paths) as index:
        assert index.notes == []  # updated in place, not rebuilt
        assert names(index, "zebras", 1) == ["text-stats"]
        assert names(index, "merge pdf", 1) == ["pdf-merge"]
        assert "image-resize" not in index.skill_names()
        assert names(index, "png thumbnail") == []
    with SkillIndex.open(paths) as index:  # and the update was saved
        assert index.refresh() == 0
        assert names(index, "merge pdf", 1) == ["pdf-merge"]


def test_same_size_edit_is_seen_through_the_mtime(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    SkillIndex.open(paths).close()
    skill_file = paths.skills / "text-stats" / "SKILL.md"
    text = skill_file.read_text()
    skill_file.write_text(text.replace("Count words", "Count birds"))
    st = skill_file.stat()
    os.utime(skill_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with SkillIndex.open(paths) as index:
        assert names(index, "birds", 1) == ["text-stats"]


def test_broken_skill_is_left_out_with_a_note(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    (paths.skills / "bad-skill").mkdir()
    (paths.skills / "bad-skill" / "SKILL.md").write_text("no frontmatter here", encoding="utf-8")
    with SkillIndex.open(paths) as index:
        assert "bad-skill" not in index.skill_names()
    with SkillIndex.open(paths) as index:
        assert "bad-skill" not in index.skill_names()
        index.update_skill("bad-skill")
        assert any("bad-skill" in note for note in index.notes)


def test_update_and_remove_are_visible_at_once(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    with SkillIndex.open(paths) as index:
        write_skill(paths.skills, "pdf-merge", "name: pdf-merge\ndescription: Merge PDF files into one.\n")
        index.update_skill("pdf-merge")
        assert names(index, "merge pdf", 1) == ["pdf-merge"]  # before any commit
        hit = index.search("merge pdf", 1)[0]
        assert hit.description == "Merge PDF files into one." and "description" in hit.why
        index.remove_skill("csv-json")
        assert "csv-json" not in names(index, "csv to json")
        index.flush()
        assert names(index, "merge pdf", 1) == ["pdf-merge"]
        with pytest.raises(SkillError):
            index.update_skill("../escape")


def test_learning_can_be_switched_off_in_config(library_workspace: Workspace) -> None:
    task = "tidy up the quarterly figures from accounting"
    with SkillIndex.open(library_workspace.paths) as index:
        index.record_success(task, "csv-json")
    with SkillIndex.open(library_workspace.paths, RetrievalConfig(learn=False)) as index:
        assert "csv-json" not in names(index, task, 1)


def test_index_folder_is_local_state(library_workspace: Workspace, tmp_path: Path) -> None:
    import subprocess

    paths = library_workspace.paths
    with SkillIndex.open(paths) as index:
        index.record_success("reconcile the ledger exports", "csv-json")
    status = subprocess.run(
        ["git", "-C", str(paths.root), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
    ).stdout
    assert ".memento/learned/outcomes.jsonl" in status  # committed, shareable
    assert ".memento/index" not in status  # disposable, ignored

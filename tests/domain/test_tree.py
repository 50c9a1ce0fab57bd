"""Walking and removing trees a hostile command wrote: any depth, links never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memento_tui.domain import tree


def _deep(root: Path, depth: int, name: str = "d" * 100) -> Path:
    """A chain of folders ``depth`` deep (made with relative mkdirs, as PATH_MAX allows)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("deep")
    finally:
        os.close(fd)
    return root


def test_a_tree_deeper_than_path_max_and_the_recursion_limit_is_walked_and_removed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "w"
    root.mkdir()
    try:
        _deep(root, 1500)
        files = tree.files_under(root)
        assert [rel.rsplit("/", 1)[-1] for rel, _ in files] == ["bottom.txt"]
        assert len(files[0][0]) > 4096 * 30  # far past PATH_MAX
    finally:  # (pytest's own clean-up of old temp dirs would hit the recursion limit)
        tree.remove_tree(root)
    assert not root.exists()


def test_links_are_listed_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("host file")
    work = tmp_path / "work"
    work.mkdir()
    (work / "to-dir").symlink_to(outside)
    (work / "to-file").symlink_to(outside / "keep.txt")
    (work / "real.txt").write_text("x")
    seen: list[tuple[str, bool]] = []
    tree.walk(work, lambda e: seen.append((e.rel, e.is_link)) or None)
    assert sorted(seen) == [("real.txt", False), ("to-dir", True), ("to-file", True)]
    tree.remove_tree(work)
    assert (outside / "keep.txt").read_text() == "host file"


def test_a_folder_made_unreadable_is_still_removed(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "locked" / "inner").mkdir(parents=True)
    (work / "locked" / "inner" / "f").write_text("x")
    (work / "locked").chmod(0)
    tree.remove_tree(work)
    assert not work.exists()


def test_files_under_stops_at_the_limit(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"f{i:02}").write_text("x")
    assert len(tree.files_under(tmp_path, limit=10)) == 10
    assert len(tree.files_under(tmp_path)) == 50


def test_a_folder_swapped_during_the_walk_stops_it(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "a").mkdir(parents=True)
    (work / "a" / "f").write_text("x")
    other = tmp_path / "other"
    other.mkdir()

    def swap(entry: tree.Entry) -> None:
        if entry.rel == "a":
            os.rename(work / "a", tmp_path / "moved")
            os.symlink(other, work / "a")

    with pytest.raises((tree.TreeChanged, OSError)):
        tree.walk(work, swap)  # "a" is now a link: opening it as a folder fails
    assert list(other.iterdir()) == []


def test_remove_tree_of_nothing(tmp_path: Path) -> None:
    tree.remove_tree(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        tree.remove_tree(tmp_path / "missing", missing_ok=False)

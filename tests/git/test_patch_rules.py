"""Every path rule, tried through PatchStore.create on a real repository.

A refused patch writes nothing: no branch, no record, no object in the person's checkout.
"""

from __future__ import annotations

import pytest

from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchRefused
from memento_tui.domain.patches.rules import (
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    BranchChange,
    check_branch_changes,
    one_line,
)
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import SKILL, evidence, git, snapshot

S = f"skills/{SKILL}"

FORBIDDEN_PATHS = [
    (".git/config", "git file"),
    (f"{S}/.git/hooks/post-checkout", "git file"),
    (f"{S}/.gitattributes", "git file"),
    (f"{S}/.gitmodules", "git file"),
    (f"{S}/.gitignore", "git file"),
    (f"{S}/.GIT/config", "git file"),
    (f"{S}/sub/.Gitattributes", "git file"),
    (f"{S}/GIT~1/config", "git file"),
    (".github/workflows/ci.yml", "git file"),
    ("ci/workflows/ci.yml", "outside skills"),
    ("README.md", "outside skills"),
    ("skills/SKILL.md", "outside skills"),
    (f"/{S}/SKILL.md", "absolute"),
    ("/etc/passwd", "absolute"),
    (f"{S}/../other-skill/SKILL.md", r"'\.\.'"),
    (f"{S}/scripts/../../../../etc/x", r"'\.\.'"),
    (f"{S}//x.md", "empty"),
    (f"{S}/./x.md", "empty"),
    (f"{S}/", "empty"),
    ("", "empty path"),
    (f"{S}\\..\\..\\x.md", "backslash"),
    (f"{S}/x\x00.md", "NUL"),
    (f"{S}/x\n.md", "control"),
    (f"{S}/x\x1b[31m.md", "control"),
    (f"{S}/x\u202e.md", "invisible"),
    (f"{S}/x\u200b.md", "invisible"),
    (f"{S}/.g\u200cit/config", "invisible"),
    (f"{S}/x\U000e0041.md", "invisible"),
    ("skills/other-skill/SKILL.md", "belongs to skill 'other-skill'"),
    (f"{S}x/SKILL.md", "belongs to skill"),
    (f"{S}/" + "a" * 300, "longer than"),
]


@pytest.mark.parametrize(("path", "reason"), FORBIDDEN_PATHS)
def test_forbidden_paths_are_refused(ws: Workspace, store: PatchStore, path: str, reason: str) -> None:
    before = snapshot(ws.root)
    branches = git(ws.root, "for-each-ref", "--format=%(refname)")
    with pytest.raises(PatchRefused, match=reason):
        store.create(SKILL, {path: b"payload\n"}, evidence())
    assert git(ws.root, "for-each-ref", "--format=%(refname)") == branches
    assert snapshot(ws.root) == before
    assert store.list("all") == []


@pytest.mark.parametrize("mode", [0o120000, 0o160000, 0o040000, "120000"])
def test_symlinks_submodules_and_odd_modes_are_refused(store: PatchStore, mode: int | str) -> None:
    path = f"{S}/scripts/link"
    with pytest.raises(PatchRefused, match=r"symlink|submodule|mode"):
        store.create(SKILL, {path: b"/etc/passwd"}, evidence(), modes={path: mode})


@pytest.mark.parametrize("path", [f"{S}/SKILL.md", f"{S}/references/tool.sh", f"{S}/run.sh"])
def test_executable_bit_only_under_scripts(store: PatchStore, path: str) -> None:
    with pytest.raises(PatchRefused, match="executable bit outside scripts"):
        store.create(SKILL, {path: b"#!/bin/sh\n"}, evidence(), modes={path: 0o100755})


def test_size_caps(store: PatchStore) -> None:
    with pytest.raises(PatchRefused, match="the limit is"):
        store.create(SKILL, {f"{S}/references/big.bin": b"x" * (MAX_FILE_BYTES + 1)}, evidence())
    many = {
        f"{S}/references/f{i}.md": b"x" * (MAX_FILE_BYTES // 2)
        for i in range(MAX_TOTAL_BYTES // (MAX_FILE_BYTES // 2) + 1)
    }
    with pytest.raises(PatchRefused, match="KiB; the limit is"):
        store.create(SKILL, many, evidence())
    too_many = {f"{S}/references/f{i}.md": b"x" for i in range(MAX_FILES + 1)}
    with pytest.raises(PatchRefused, match="files; the limit is"):
        store.create(SKILL, too_many, evidence())


@pytest.mark.parametrize("skill", ["Bad", "../x", "a/b", "", "-x", "x--y", "a" * 65, ".git"])
def test_the_skill_name_is_checked(store: PatchStore, skill: str) -> None:
    with pytest.raises(PatchRefused, match="not a skill name"):
        store.create(skill, {f"skills/{skill}/SKILL.md": b"x"}, evidence())


def test_a_file_cannot_become_a_folder_or_go_through_a_file(store: PatchStore) -> None:
    with pytest.raises(PatchRefused, match="is a folder on main"):
        store.create(SKILL, {f"{S}/scripts": b"x"}, evidence())
    with pytest.raises(PatchRefused, match="goes through"):
        store.create(SKILL, {f"{S}/SKILL.md/evil": b"x"}, evidence())
    with pytest.raises(PatchRefused, match="also writes as a file"):
        store.create(SKILL, {f"{S}/a": b"x", f"{S}/a/b": b"y"}, evidence())
    with pytest.raises(PatchRefused, match="not on main"):
        store.create(SKILL, {f"{S}/nothing-here.md": None}, evidence())


def test_the_branch_itself_is_checked_before_merge() -> None:
    check_branch_changes(SKILL, [BranchChange(f"{S}/scripts/run.py", "100644", "100755", "M")])
    check_branch_changes(SKILL, [BranchChange(f"{S}/run.sh", "100755", "100755", "M")])
    bad = [
        BranchChange(f"{S}/.gitattributes", "000000", "100644", "A"),
        BranchChange(f"{S}/link", "000000", "120000", "A"),
        BranchChange(f"{S}/run.sh", "100644", "100755", "M"),
        BranchChange("skills/other-skill/SKILL.md", "100644", "100644", "M"),
        BranchChange(".github/workflows/x.yml", "000000", "100644", "A"),
    ]
    for change in bad:
        with pytest.raises(PatchRefused):
            check_branch_changes(SKILL, [change])


def test_one_line_strips_what_a_terminal_would_obey() -> None:
    assert one_line("a\nb\x1b[2Jc\u202ed\u200be") == "a b [2Jcde"
    assert len(one_line("x" * 500)) == 200

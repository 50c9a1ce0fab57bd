"""Creating patch branches: plumbing only, the person's checkout untouched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchRefused, RegressionResult, ReplayResult
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import SKILL, evidence, git, patch_files, skill_md, skill_text, snapshot


def test_create_leaves_worktree_index_and_head_alone(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    # The person is mid-edit: an unstaged change, a staged change and an untracked file.
    (root / "skills" / SKILL / "SKILL.md").write_text(skill_md(ws) + "my own edit\n")
    (root / "skills" / "other-skill" / "references" / "notes.md").write_text("staged\n")
    git(root, "add", "skills/other-skill/references/notes.md")
    (root / "scratch.txt").write_text("untracked\n")
    before = snapshot(root)
    worktree_before = (root / "skills" / SKILL / "SKILL.md").read_bytes()

    patch = store.create(SKILL, {f"skills/{SKILL}/SKILL.md": skill_text(SKILL) + "fixed\n"}, evidence())

    assert snapshot(root) == before
    assert (root / "skills" / SKILL / "SKILL.md").read_bytes() == worktree_before
    assert patch.branch == f"memento/patch/{SKILL}/{patch.id}"
    assert git(root, "rev-parse", patch.branch) == patch.head
    assert git(root, "rev-parse", f"{patch.branch}^") == before[3] == patch.base
    assert git(root, "show", f"{patch.branch}:skills/{SKILL}/SKILL.md").endswith("fixed")
    # Only the patched file differs from main.
    assert git(root, "diff", "--name-only", "main", patch.branch) == f"skills/{SKILL}/SKILL.md"
    # The private ref fast-import wrote to is gone again.
    assert git(root, "for-each-ref", "refs/memento/") == ""


def test_patch_commit_is_the_programs_with_evidence_trailers(ws: Workspace, store: PatchStore) -> None:
    patch = store.create(SKILL, patch_files(ws), evidence(), message="Handle semicolons\n\nWhy: x")
    author = git(ws.root, "log", "-1", "--format=%an <%ae>|%cn <%ce>", patch.branch)
    assert author == "Memento <memento@localhost>|Memento <memento@localhost>"
    trailers = git(ws.root, "log", "-1", "--format=%(trailers:only,unfold)", patch.branch)
    assert f"Memento-Patch: {patch.id}" in trailers
    assert "Memento-Run: run-1" in trailers
    assert "Memento-Category: bug in skill" in trailers
    assert f"Memento-Skill: {SKILL}" in trailers
    assert "Memento-Validated: no" in trailers
    assert git(ws.root, "log", "-1", "--format=%s", patch.branch) == "Handle semicolons"
    record = json.loads((ws.paths.patches / f"{patch.id}.json").read_text())
    assert record["branch"] == patch.branch
    assert record["head"] == patch.head
    assert record["evidence"]["run_id"] == "run-1"
    assert record["files"] == [f"skills/{SKILL}/SKILL.md"]


def test_model_text_cannot_smuggle_escapes_into_the_commit(ws: Workspace, store: PatchStore) -> None:
    ev = evidence(failure_category="bug\x1b[31m in\nskill\u202e")
    patch = store.create(SKILL, patch_files(ws), ev, message="subject\x1b]0;owned\x07 line")
    raw = git(ws.root, "cat-file", "commit", patch.head)
    assert "\x1b" not in raw and "\u202e" not in raw and "\x07" not in raw
    assert "Memento-Category: bug [31m in skill" in raw


def test_update_evidence_rewrites_the_record(ws: Workspace, store: PatchStore) -> None:
    patch = store.create(SKILL, patch_files(ws), evidence())
    ev = patch.evidence.model_copy(deep=True)
    ev.replay = ReplayResult(result="passed", run_id="run-2")
    ev.regressions = [RegressionResult(run_id="run-3", task="old task", passed=True)]
    ev.validated = True
    store.update_evidence(patch.id[:15], ev)
    again = store.get(patch.id)
    assert again.evidence.validated is True
    assert again.evidence.replay.run_id == "run-2"
    assert again.evidence.regressions_text() == "1/1 passed"
    # The commit keeps what was known at creation.
    assert "Memento-Validated: no" in git(ws.root, "log", "-1", "--format=%B", patch.branch)


def test_scripts_may_be_executable_and_existing_modes_are_kept(ws: Workspace, store: PatchStore) -> None:
    patch = store.create(
        SKILL,
        {
            f"skills/{SKILL}/scripts/new.sh": b"#!/bin/sh\necho new\n",
            f"skills/{SKILL}/scripts/run.py": b"print('changed')\n",
            f"skills/{SKILL}/references/extra.md": b"more\n",
        },
        evidence(),
        modes={f"skills/{SKILL}/scripts/new.sh": 0o100755},
    )
    tree = git(ws.root, "ls-tree", "-r", patch.branch, "--", f"skills/{SKILL}")
    modes = {line.split("\t")[1]: line.split()[0] for line in tree.splitlines()}
    assert modes[f"skills/{SKILL}/scripts/new.sh"] == "100755"
    assert modes[f"skills/{SKILL}/scripts/run.py"] == "100755"  # as it was on main
    assert modes[f"skills/{SKILL}/references/extra.md"] == "100644"


def test_delete_a_file_and_make_a_new_skill(ws: Workspace, store: PatchStore) -> None:
    deleted = store.create(SKILL, {f"skills/{SKILL}/references/notes.md": None}, evidence())
    assert deleted.files == [f"skills/{SKILL}/references/notes.md"]
    assert git(ws.root, "ls-tree", deleted.branch, "--", f"skills/{SKILL}/references/") == ""

    new = store.create(
        "fresh-skill",
        {"skills/fresh-skill/SKILL.md": skill_text("fresh-skill").encode()},
        evidence(kind="new-skill"),
    )
    assert new.skill == "fresh-skill"
    assert git(ws.root, "show", f"{new.branch}:skills/fresh-skill/SKILL.md").startswith("---")


def test_a_patch_that_changes_nothing_is_refused(ws: Workspace, store: PatchStore) -> None:
    with pytest.raises(PatchRefused, match="changes nothing"):
        store.create(SKILL, {f"skills/{SKILL}/SKILL.md": skill_md(ws).encode()}, evidence())
    assert store.list("all") == []


def test_a_new_skill_needs_its_skill_md(ws: Workspace, store: PatchStore) -> None:
    with pytest.raises(PatchRefused, match=r"needs its SKILL\.md"):
        store.create("fresh-skill", {"skills/fresh-skill/notes.md": b"x"}, evidence())


def test_skill_md_must_load_and_carry_the_skill_name(ws: Workspace, store: PatchStore) -> None:
    with pytest.raises(PatchRefused, match="not the skill's name"):
        store.create(SKILL, {f"skills/{SKILL}/SKILL.md": skill_text("other-skill").encode()}, evidence())
    with pytest.raises(PatchRefused, match=r"SKILL\.md"):
        store.create(SKILL, {f"skills/{SKILL}/SKILL.md": b"no frontmatter at all\n"}, evidence())
    with pytest.raises(PatchRefused, match=r"a skill needs its SKILL\.md"):
        store.create(SKILL, {f"skills/{SKILL}/SKILL.md": None}, evidence())


def test_works_with_master_and_with_another_branch_checked_out(tmp_path: Path) -> None:
    from memento_tui.domain.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", starter_skills=False)
    root = ws.root
    git(root, "branch", "-m", "main", "master")
    folder = root / "skills" / SKILL
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(skill_text(SKILL))
    git(root, "add", "skills")
    git(root, "commit", "-q", "-m", "skill")
    git(root, "switch", "-q", "-c", "feature")
    store = PatchStore(ws)
    patch = store.create(SKILL, {f"skills/{SKILL}/SKILL.md": skill_text(SKILL) + "x\n"}, evidence())
    assert store.main_branch() == "master"
    assert patch.base == git(root, "rev-parse", "master")
    assert git(root, "symbolic-ref", "HEAD") == "refs/heads/feature"


CONCURRENT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from memento_tui.domain.patches.model import PatchEvidence
    from memento_tui.domain.patches import PatchStore

    root, tag = Path(sys.argv[1]), sys.argv[2]
    store = PatchStore(root)
    text = (root / "skills" / "csv-json" / "SKILL.md").read_text()
    for i in range(5):
        store.create(
            "csv-json",
            {"skills/csv-json/SKILL.md": text + f"proc {tag} patch {i}\\n"},
            PatchEvidence(run_id=f"{tag}-{i}"),
        )
    """
)


def test_two_processes_create_patches_at_once(ws: Workspace, store: PatchStore) -> None:
    (ws.root / "scratch.txt").write_text("the person's own file\n")
    before = snapshot(ws.root)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(ws.root), tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for tag in ("a", "b")
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    patches = store.list()
    assert len(patches) == 10
    assert len({p.id for p in patches}) == 10
    assert sorted(p.evidence.run_id for p in patches) == sorted(f"{t}-{i}" for t in "ab" for i in range(5))
    for patch in patches:
        assert git(ws.root, "rev-parse", patch.branch) == patch.head
        content = git(ws.root, "show", f"{patch.branch}:skills/{SKILL}/SKILL.md")
        assert content.endswith(f"proc {patch.evidence.run_id.replace('-', ' patch ')}")
    assert snapshot(ws.root) == before

"""Merge, reject and undo on real repositories, with the person's checkout in every state."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.model import PatchConflict, PatchError, PatchNotFound, PatchRefused
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import PERSON_ENV, SKILL, evidence, git, patch_files, skill_md, snapshot

S = f"skills/{SKILL}"


def reviews(ws: Workspace) -> list[dict[str, object]]:
    return [json.loads(line) for line in ws.paths.reviews.read_text().splitlines()]


# -- merge -------------------------------------------------------------------------------


def test_merge_with_main_checked_out_updates_the_files(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    # Unrelated work in progress survives: a staged change, an unstaged one, an untracked file.
    (root / "skills" / "other-skill" / "references" / "notes.md").write_text("staged\n")
    git(root, "add", "skills/other-skill/references/notes.md")
    (root / "skills" / "other-skill" / "SKILL.md").write_text(skill_md(ws, "other-skill") + "wip\n")
    (root / "scratch.txt").write_text("mine\n")
    status_before = git(root, "status", "--porcelain=v1")
    git(root, "config", "user.name", "Repo Person")
    git(root, "config", "user.email", "repo@example.org")
    patch = store.create(SKILL, patch_files(ws), evidence())
    old_main = git(root, "rev-parse", "main")

    result = store.merge(patch.id)

    assert result.checked_out and result.merge_commit == git(root, "rev-parse", "main")
    assert (root / S / "SKILL.md").read_text().endswith("Check the delimiter first.\n")
    parents = git(root, "log", "-1", "--format=%P", "main").split()
    assert parents == [old_main, patch.head]
    # The person approved the merge; the program wrote the patch.
    assert git(root, "log", "-1", "--format=%an <%ae>", "main") == "Repo Person <repo@example.org>"
    assert git(root, "log", "-1", "--format=%an", patch.head) == "Memento"
    assert git(root, "status", "--porcelain=v1") == status_before
    assert git(root, "branch", "--list", patch.branch) == ""
    assert store.get(patch.id).status == "merged"
    assert store.list() == []
    [review] = reviews(ws)
    assert review["action"] == "merge" and review["main_before"] == old_main


def test_merge_refuses_when_touched_files_are_dirty(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(
        SKILL,
        {**patch_files(ws), f"{S}/references/new.md": b"new\n"},
        evidence(),
    )
    cases = {
        "unstaged": lambda: (root / S / "SKILL.md").write_text(skill_md(ws) + "my edit\n"),
        "staged": lambda: (
            (root / S / "SKILL.md").write_text(skill_md(ws) + "staged edit\n"),
            git(root, "add", f"{S}/SKILL.md"),
        ),
        "untracked": lambda: (root / S / "references" / "new.md").write_text("mine\n"),
    }
    for name, make_dirty in cases.items():
        make_dirty()
        before = snapshot(root)
        with pytest.raises(PatchError, match="uncommitted changes") as err:
            store.merge(patch.id)
        assert snapshot(root) == before, name
        assert store.get(patch.id).status == "pending"
        assert "nothing was changed" in str(err.value)
        # Put the checkout back for the next case.
        git(root, "reset", "-q", "--hard")
        git(root, "clean", "-qfd", "--", "skills")
    assert not ws.paths.reviews.exists()


def test_merge_with_another_branch_checked_out(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    git(root, "switch", "-q", "-c", "my-work")
    (root / S / "SKILL.md").write_text(skill_md(ws) + "edit on my branch, not committed\n")
    before = snapshot(root)
    worktree_file = (root / S / "SKILL.md").read_bytes()
    patch = store.create(SKILL, patch_files(ws), evidence())
    old_main = before[3]

    result = store.merge(patch.id)

    assert not result.checked_out
    assert git(root, "rev-parse", "main") == result.merge_commit != old_main
    assert git(root, "show", f"main:{S}/SKILL.md").endswith("Check the delimiter first.")
    status, index, head, _ = snapshot(root)
    assert (status, index, head) == before[:3]
    assert (root / S / "SKILL.md").read_bytes() == worktree_file
    assert git(root, "branch", "--list", patch.branch) == ""


def test_merge_into_main_checked_out_in_a_linked_worktree(ws: Workspace, store: PatchStore, tmp_path: Path) -> None:
    root = ws.root
    git(root, "switch", "-q", "-c", "side")
    other = tmp_path / "main-tree"
    git(root, "worktree", "add", "-q", str(other), "main")
    patch = store.create(SKILL, patch_files(ws), evidence())
    result = store.merge(patch.id)
    assert result.checked_out and Path(result.worktree or "") == other
    assert (other / S / "SKILL.md").read_text().endswith("Check the delimiter first.\n")
    assert git(other, "status", "--porcelain") == ""
    assert git(root, "symbolic-ref", "HEAD") == "refs/heads/side"


def test_a_conflicting_patch_aborts_cleanly(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws, "the patch's line"), evidence())
    (root / S / "SKILL.md").write_text(skill_md(ws) + "\nthe person's line\n")
    git(root, "commit", "-q", "-am", "person edits the same place")
    (root / "scratch.txt").write_text("x\n")
    before = snapshot(root)
    with pytest.raises(PatchConflict) as err:
        store.merge(patch.id)
    assert err.value.files == [f"{S}/SKILL.md"]
    assert snapshot(root) == before
    assert not (root / ".git" / "MERGE_HEAD").exists()
    assert "<<<<<<<" not in (root / S / "SKILL.md").read_text()
    assert store.get(patch.id).status == "pending"
    # Also with main not checked out.
    git(root, "switch", "-q", "-c", "elsewhere")
    before = snapshot(root)
    with pytest.raises(PatchConflict):
        store.merge(patch.id)
    assert snapshot(root) == before


def test_merge_rechecks_a_branch_edited_after_creation(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    # Somebody adds a .gitattributes to the branch behind the program's back.
    git(root, "switch", "-q", patch.branch)
    (root / S / ".gitattributes").write_text("* filter=evil\n")
    git(root, "add", f"{S}/.gitattributes")
    git(root, "commit", "-q", "-m", "sneak")
    git(root, "switch", "-q", "main")
    main_before = git(root, "rev-parse", "main")
    with pytest.raises(PatchRefused, match="git file"):
        store.merge(patch.id)
    assert git(root, "rev-parse", "main") == main_before


def test_merge_of_a_patch_main_already_has(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    git(root, "merge", "-q", "--ff-only", patch.branch)
    result = store.merge(patch.id)
    assert result.merge_commit is None
    assert store.get(patch.id).status == "merged"


# -- reject ------------------------------------------------------------------------------


def test_reject_deletes_the_branch_and_remembers_why(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    before = snapshot(root)
    patch = store.create(SKILL, patch_files(ws), evidence())
    other = store.create("other-skill", {"skills/other-skill/references/notes.md": b"x\n"}, evidence())
    with pytest.raises(PatchError, match="reason is needed"):
        store.reject(patch.id, "   ")
    rejection = store.reject(patch.id, "The check was wrong, not the skill.")
    assert rejection.reason == "The check was wrong, not the skill."
    assert git(root, "branch", "--list", patch.branch) == ""
    assert snapshot(root) == before
    assert store.get(patch.id).status == "rejected"
    assert store.get(patch.id).reason == "The check was wrong, not the skill."
    ideas = store.rejected_ideas(SKILL)
    assert [(i.id, i.reason) for i in ideas] == [(patch.id, "The check was wrong, not the skill.")]
    assert "semicolons" in ideas[0].summary and ideas[0].failure_category == "bug in skill"
    assert store.rejected_ideas("other-skill") == []
    assert [p.id for p in store.list()] == [other.id]
    with pytest.raises(PatchError, match="already rejected"):
        store.reject(patch.id, "again")


def test_reviews_log_is_append_only_and_survives_a_torn_line(ws: Workspace, store: PatchStore) -> None:
    a = store.create(SKILL, patch_files(ws, "a"), evidence())
    b = store.create(SKILL, patch_files(ws, "b"), evidence())
    store.reject(a.id, "first")
    with ws.paths.reviews.open("a") as handle:
        handle.write('{"action": "reject", "id": "torn')  # a crash mid-write
    store.reject(b.id, "second")
    lines = ws.paths.reviews.read_text().splitlines()
    assert len(lines) == 3 and lines[1].startswith('{"action": "reject", "id": "torn')
    assert [r.reason for r in store.rejected_ideas(SKILL)] == ["first", "second"]


# -- undo --------------------------------------------------------------------------------


def test_undo_with_main_checked_out(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    original = (root / S / "SKILL.md").read_bytes()
    (root / "scratch.txt").write_text("mine\n")
    patch = store.create(SKILL, patch_files(ws), evidence())
    main_before = git(root, "rev-parse", "main")
    store.merge(patch.id)
    result = store.undo()
    assert result.restored == main_before == git(root, "rev-parse", "main")
    assert (root / S / "SKILL.md").read_bytes() == original
    assert (root / "scratch.txt").read_text() == "mine\n"
    assert git(root, "rev-parse", patch.branch) == patch.head
    assert store.get(patch.id).status == "pending"
    assert [r["action"] for r in reviews(ws)] == ["merge", "undo"]
    with pytest.raises(PatchError, match="nothing to undo"):
        store.undo()
    # And it can be merged again.
    assert store.merge(patch.id).merge_commit


def test_undo_with_main_not_checked_out(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    git(root, "switch", "-q", "-c", "side")
    patch = store.create(SKILL, patch_files(ws), evidence())
    main_before = git(root, "rev-parse", "main")
    store.merge(patch.id)
    before = snapshot(root)
    store.undo()
    assert git(root, "rev-parse", "main") == main_before
    assert snapshot(root)[:3] == before[:3]
    assert store.get(patch.id).status == "pending"


def test_undo_refused_after_a_later_commit(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    store.merge(patch.id)
    (root / "skills" / "other-skill" / "references" / "notes.md").write_text("later\n")
    git(root, "commit", "-q", "-am", "a later commit")
    head = git(root, "rev-parse", "main")
    with pytest.raises(PatchError, match="has moved since") as err:
        store.undo()
    assert f"memento patches revert {patch.id}" in str(err.value)
    assert git(root, "rev-parse", "main") == head
    assert store.get(patch.id).status == "merged"


def test_undo_refused_when_the_merged_files_are_dirty(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    store.merge(patch.id)
    (root / S / "SKILL.md").write_text("my edit on top of the merge\n")
    before = snapshot(root)
    with pytest.raises(PatchError, match="uncommitted changes"):
        store.undo()
    assert snapshot(root) == before
    assert git(root, "branch", "--list", patch.branch) == ""


# -- branches deleted or added behind the program's back ------------------------------------


def test_a_branch_deleted_behind_the_programs_back(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    git(root, "branch", "-D", patch.branch)
    assert store.list() == []
    [gone] = store.list("all")
    assert gone.status == "gone" and gone.id == patch.id
    with pytest.raises(PatchNotFound, match="deleted outside memento"):
        store.get(patch.id)
    with pytest.raises(PatchNotFound):
        store.diff(patch.id)
    with pytest.raises(PatchNotFound):
        store.merge(patch.id)
    store.reject(patch.id, "cleaned up by hand")
    assert store.list("all")[0].status == "rejected"


def test_a_branch_without_its_record_reads_evidence_from_trailers(ws: Workspace, store: PatchStore) -> None:
    patch = store.create(SKILL, patch_files(ws), evidence())
    (ws.paths.patches / f"{patch.id}.json").unlink()
    [again] = store.list()
    assert again.id == patch.id and not again.has_record
    assert again.evidence.run_id == "run-1"
    assert again.evidence.failure_category == "bug in skill"
    assert again.files == [f"{S}/SKILL.md"]
    assert store.merge(patch.id).merge_commit


def test_the_persons_own_branches_are_left_alone(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    for name in (
        "memento/patch/csv-json/not-an-id",
        "memento/patch/UPPER/20250101-000000-abcd",
        "feature",
    ):
        git(root, "branch", name)
    patch = store.create(SKILL, patch_files(ws), evidence())
    assert [p.id for p in store.list("all")] == [patch.id]
    store.reject(patch.id, "no")
    refs = git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/").splitlines()
    assert sorted(refs) == sorted(
        [
            "feature",
            "main",
            "memento/patch/UPPER/20250101-000000-abcd",
            "memento/patch/csv-json/not-an-id",
        ]
    )


def test_ids_by_prefix_and_suffix_and_clear_errors(
    ws: Workspace, store: PatchStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memento_tui.domain.patches.create as patches_module

    ids = iter(["20250101-000000-aaaa", "20250101-000001-bbbb"])
    monkeypatch.setattr(patches_module, "new_patch_id", lambda: next(ids))
    a = store.create(SKILL, patch_files(ws, "a"), evidence())
    b = store.create(SKILL, patch_files(ws, "b"), evidence())
    assert store.get("20250101-000000").id == a.id
    assert store.get("bbbb").id == b.id
    assert store.get(a.branch).id == a.id
    with pytest.raises(PatchNotFound, match="no patch with id") as err:
        store.get("nope")
    assert "memento patches list --all" in str(err.value)
    with pytest.raises(PatchNotFound, match="matches 2 patches"):
        store.get("20250101")


def test_export_skill_writes_the_branch_version(ws: Workspace, store: PatchStore, tmp_path: Path) -> None:
    patch = store.create(
        SKILL,
        {
            **patch_files(ws),
            f"{S}/scripts/new.sh": b"#!/bin/sh\n",
            f"{S}/references/notes.md": None,
        },
        evidence(),
        modes={f"{S}/scripts/new.sh": 0o100755},
    )
    before = snapshot(ws.root)
    folder = store.export_skill(patch.id, tmp_path / "replay")
    assert folder == tmp_path / "replay" / SKILL
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "SKILL.md",
        "scripts/new.sh",
        "scripts/run.py",
    ]
    assert (folder / "SKILL.md").read_text().endswith("Check the delimiter first.\n")
    assert (folder / "scripts" / "new.sh").stat().st_mode & 0o111
    assert snapshot(ws.root) == before
    with pytest.raises(PatchError, match="not empty"):
        store.export_skill(patch.id, tmp_path / "replay")


def test_an_id_clash_is_retried(ws: Workspace, store: PatchStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import memento_tui.domain.patches.create as patches_module

    ids = iter(["20250101-000000-aaaa", "20250101-000000-aaaa", "20250101-000000-cccc"])
    monkeypatch.setattr(patches_module, "new_patch_id", lambda: next(ids))
    first = store.create(SKILL, patch_files(ws, "a"), evidence(run_id="one"))
    second = store.create(SKILL, patch_files(ws, "b"), evidence(run_id="two"))
    assert (first.id, second.id) == ("20250101-000000-aaaa", "20250101-000000-cccc")
    assert store.get(first.id).evidence.run_id == "one"


def test_merge_refused_while_main_is_being_rebased(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    (root / "skills" / "other-skill" / "references" / "notes.md").write_text("to rebase\n")
    git(root, "commit", "-q", "-am", "a commit to rebase")
    patch = store.create(SKILL, patch_files(ws), evidence())
    subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "rebase", "-q", "-i", "HEAD~1"],
        cwd=root,
        env={**os.environ, **PERSON_ENV, "GIT_SEQUENCE_EDITOR": "sed -i s/^pick/edit/"},
        check=True,
        capture_output=True,
    )
    assert git(root, "symbolic-ref", "-q", "HEAD", check=False) == ""  # detached mid-rebase
    main_before = git(root, "rev-parse", "main")
    with pytest.raises(PatchError, match="rebase of main is in progress"):
        store.merge(patch.id)
    assert git(root, "rev-parse", "main") == main_before
    git(root, "rebase", "--abort")
    assert store.merge(patch.id).checked_out


# -- revert and requeue (after main moved on) ----------------------------------------------


def _merged_then_later_work(ws: Workspace, store: PatchStore) -> tuple[object, str]:
    root = ws.root
    patch = store.create(SKILL, patch_files(ws), evidence())
    store.merge(patch.id)
    (root / "skills" / "other-skill" / "references" / "notes.md").write_text("later\n")
    git(root, "commit", "-q", "-am", "a later commit")
    return patch, git(root, "rev-parse", "main")


@pytest.mark.parametrize("checked_out", [True, False])
def test_revert_takes_a_merge_back_on_top_of_later_work(ws: Workspace, store: PatchStore, checked_out: bool) -> None:
    root = ws.root
    patch, later = _merged_then_later_work(ws, store)
    if not checked_out:
        git(root, "checkout", "-q", "--detach")
    reverted = store.revert(patch.id)  # type: ignore[attr-defined]
    assert reverted.status == "reverted"
    assert git(root, "rev-parse", "main^") == later  # one commit on top; nothing thrown away
    assert not git(root, "show", f"main:{S}/SKILL.md").endswith("Check the delimiter first.")
    assert git(root, "show", "main:skills/other-skill/references/notes.md") == "later"
    if checked_out:
        assert not (root / S / "SKILL.md").read_text().endswith("Check the delimiter first.\n")
        assert git(root, "status", "--porcelain") == ""
    assert reviews(ws)[-1]["action"] == "revert"
    assert store.list("reverted")[0].id == patch.id
    with pytest.raises(PatchError, match="nothing to undo"):
        store.undo()


def test_a_revert_made_by_hand_reads_as_reverted_and_reverting_it_again_as_merged(
    ws: Workspace, store: PatchStore
) -> None:
    root = ws.root
    patch, _ = _merged_then_later_work(ws, store)
    merge = store.get(patch.id).merge_commit
    git(root, "revert", "--no-edit", "-m", "1", merge)
    assert store.get(patch.id).status == "reverted"
    git(root, "revert", "--no-edit", "HEAD")  # the revert reverted: the change is back
    assert store.get(patch.id).status == "merged"


def test_requeue_applies_a_reverted_patch_to_main_as_it_is_now(ws: Workspace, store: PatchStore) -> None:
    root = ws.root
    patch, _ = _merged_then_later_work(ws, store)
    store.revert(patch.id)  # type: ignore[attr-defined]
    # main gains another change to the same file after the revert: the re-queued patch keeps it.
    text = (root / S / "SKILL.md").read_text()
    assert "line 1\n" in text
    (root / S / "SKILL.md").write_text(text.replace("line 1\n", "line 1 Note: kept.\n", 1))
    git(root, "commit", "-q", "-am", "an edit after the revert")
    again = store.requeue(patch.id)  # type: ignore[attr-defined]
    assert again.status == "pending" and again.id != patch.id
    assert again.evidence.details["requeued_from"] == patch.id
    assert again.evidence.validated is False
    new_text = git(root, "show", f"{again.head}:{S}/SKILL.md")
    assert "Note: kept." in new_text and new_text.endswith("Check the delimiter first.")
    assert store.get(patch.id).status == "reverted"
    store.merge(again.id)
    assert (root / S / "SKILL.md").read_text().endswith("Check the delimiter first.\n")
    with pytest.raises(PatchError, match="only a reverted patch"):
        store.requeue(again.id)  # type: ignore[attr-defined]

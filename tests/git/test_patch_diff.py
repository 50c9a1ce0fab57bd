"""The structured diff a side-by-side view renders: files → hunks → numbered lines."""

from __future__ import annotations

from memento_tui.domain.patches import PatchStore
from memento_tui.domain.patches.diff import split_rows
from memento_tui.domain.workspace import Workspace
from tests.git.conftest import SKILL, evidence, git, skill_text

S = f"skills/{SKILL}"


def make_patch(store: PatchStore) -> str:
    body = "".join(f"line {n}\n" for n in range(1, 21))
    body = body.replace("line 2\n", "line two\n").replace("line 18\n", "") + "tail"
    patch = store.create(
        SKILL,
        {
            f"{S}/SKILL.md": skill_text(SKILL, body),
            f"{S}/references/notes.md": None,
            f"{S}/references/pic.bin": b"\x89PNG\x00\x01\x02",
            f'{S}/references/my "odd" name café.md': "café\n",
            f"{S}/scripts/run.py": "print('hi')\n",
        },
        evidence(),
        modes={f"{S}/scripts/run.py": 0o100644},
    )
    return patch.id


def test_files_are_flagged(store: PatchStore) -> None:
    diff = store.diff(make_patch(store))
    files = {f.path: f for f in diff.files}
    assert sorted(files) == sorted(
        [
            f"{S}/SKILL.md",
            f"{S}/references/notes.md",
            f"{S}/references/pic.bin",
            f'{S}/references/my "odd" name café.md',
            f"{S}/scripts/run.py",
        ]
    )
    assert files[f"{S}/references/notes.md"].is_deleted
    assert files[f"{S}/references/notes.md"].hunks[0].lines[0].old_no == 1
    assert files[f"{S}/references/pic.bin"].binary and files[f"{S}/references/pic.bin"].is_new
    assert files[f"{S}/references/pic.bin"].hunks == []
    odd = files[f'{S}/references/my "odd" name café.md']
    assert odd.is_new and odd.hunks[0].lines[0].text == "café" and odd.hunks[0].lines[0].new_no == 1
    mode_only = files[f"{S}/scripts/run.py"]
    assert mode_only.mode_changed and (mode_only.old_mode, mode_only.new_mode) == (
        "100755",
        "100644",
    )
    assert mode_only.hunks == []
    skill_md = files[f"{S}/SKILL.md"]
    assert skill_md.status == "modified" and not skill_md.binary


def test_line_numbers(store: PatchStore) -> None:
    diff = store.diff(make_patch(store))
    skill_md = next(f for f in diff.files if f.path.endswith("SKILL.md"))
    first, second = skill_md.hunks
    # SKILL.md has 4 frontmatter lines, so body line n is file line n + 4.
    assert (first.old_start, first.old_count, first.new_start, first.new_count) == (3, 7, 3, 7)
    assert [(ln.kind, ln.old_no, ln.new_no, ln.text) for ln in first.lines] == [
        ("context", 3, 3, "description: Does csv-json things for tests."),
        ("context", 4, 4, "---"),
        ("context", 5, 5, "line 1"),
        ("del", 6, None, "line 2"),
        ("add", None, 6, "line two"),
        ("context", 7, 7, "line 3"),
        ("context", 8, 8, "line 4"),
        ("context", 9, 9, "line 5"),
    ]
    assert [(ln.kind, ln.old_no, ln.new_no, ln.text, ln.no_newline) for ln in second.lines] == [
        ("context", 19, 19, "line 15", False),
        ("context", 20, 20, "line 16", False),
        ("context", 21, 21, "line 17", False),
        ("del", 22, None, "line 18", False),
        ("context", 23, 22, "line 19", False),
        ("context", 24, 23, "line 20", False),
        ("add", None, 24, "tail", True),
    ]
    assert skill_md.additions == 2 and skill_md.deletions == 2


def test_split_rows_pair_changes(store: PatchStore) -> None:
    diff = store.diff(make_patch(store))
    skill_md = next(f for f in diff.files if f.path.endswith("SKILL.md"))
    rows = split_rows(skill_md.hunks[0])
    assert [r.kind for r in rows] == ["context"] * 3 + ["change"] + ["context"] * 3
    change = rows[3]
    assert change.left and change.right
    assert (change.left.text, change.right.text) == ("line 2", "line two")
    rows = split_rows(skill_md.hunks[1])
    assert [r.kind for r in rows] == ["context"] * 3 + ["del"] + ["context"] * 2 + ["add"]
    assert rows[3].right is None and rows[-1].left is None


def test_diff_text_is_plain_git_diff(ws: Workspace, store: PatchStore) -> None:
    patch_id = make_patch(store)
    text = store.diff_text(patch_id)
    branch = store.get(patch_id).branch
    assert text == git(ws.root, "diff", "--no-color", "--no-renames", f"main...{branch}") + "\n"


def test_diff_is_against_the_merge_base_when_main_moved(ws: Workspace, store: PatchStore) -> None:
    patch_id = make_patch(store)
    (ws.root / "skills" / "other-skill" / "references" / "notes.md").write_text("moved on\n")
    git(ws.root, "commit", "-q", "-am", "main moves on")
    diff = store.diff(patch_id)
    assert diff.base == store.get(patch_id).base
    assert all(f.path.startswith(S) for f in diff.files)


def test_structured_diff_json(store: PatchStore) -> None:
    data = store.diff(make_patch(store)).to_json_dict()
    files = {f["path"]: f for f in data["files"]}  # type: ignore[index,union-attr]
    assert files[f"{S}/references/notes.md"]["is_deleted"] is True
    assert files[f"{S}/SKILL.md"]["hunks"][0]["lines"][3] == {
        "kind": "del",
        "text": "line 2",
        "old_no": 6,
        "new_no": None,
        "no_newline": False,
    }

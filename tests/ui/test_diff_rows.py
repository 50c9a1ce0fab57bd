"""The rows of the diff view: aligned pairs, hunk and file anchors, word-level changes."""

from __future__ import annotations

from memento_tui.domain.patches.diff import DiffLine, FileDiff, Hunk, StructuredDiff
from memento_tui.ui.widgets.diff_rows import build_rows, word_changes


def _diff() -> StructuredDiff:
    hunk = Hunk(
        old_start=1,
        old_count=3,
        new_start=1,
        new_count=4,
        lines=[
            DiffLine(kind="context", text="same", old_no=1, new_no=1),
            DiffLine(kind="del", text="the old words here", old_no=2),
            DiffLine(kind="del", text="gone", old_no=3),
            DiffLine(kind="add", text="the new words here", new_no=2),
            DiffLine(kind="add", text="added one", new_no=3),
            DiffLine(kind="add", text="added two", new_no=4),
        ],
    )
    second = FileDiff(
        path="skills/a/scripts/run.py",
        status="added",
        new_mode="100755",
        hunks=[
            Hunk(
                old_start=0,
                old_count=0,
                new_start=1,
                new_count=1,
                lines=[DiffLine(kind="add", text="print(1)", new_no=1)],
            )
        ],
    )
    return StructuredDiff(
        base="b" * 40,
        head="h" * 40,
        files=[
            FileDiff(path="skills/a/SKILL.md", status="modified", old_mode="100644", new_mode="100644", hunks=[hunk]),
            second,
        ],
    )


def test_split_rows_pair_deletions_with_additions_and_pad_the_longer_side() -> None:
    rows = build_rows(_diff(), "split")
    kinds = [r.kind for r in rows.rows]
    assert kinds == ["file", "hunk", "context", "change", "change", "add", "gap", "file", "hunk", "add"]
    first_change = rows.rows[3]
    assert first_change.left.text == "the old words here" and first_change.right.text == "the new words here"
    lone_add = rows.rows[5]
    assert lone_add.left is None and lone_add.right.new_no == 4
    assert rows.hunk_rows == [1, 8] and rows.file_rows == [0, 7]
    assert rows.hunk_files == [0, 1]
    assert rows.number_width == 1 and rows.longest == len("the old words here")


def test_unified_rows_put_a_blocks_deletions_before_its_additions_with_partners() -> None:
    rows = build_rows(_diff(), "unified").rows
    body = [(r.kind, (r.left or r.right).text) for r in rows[2:7]]
    assert body == [
        ("context", "same"),
        ("del", "the old words here"),
        ("del", "gone"),
        ("add", "the new words here"),
        ("add", "added one"),
    ]
    assert rows[3].partner.text == "the new words here"
    assert rows[5].partner.text == "the old words here"


def test_word_changes_mark_only_the_words_that_differ() -> None:
    old, new = word_changes("the old words here", "the new words here")
    assert old == [(4, 7)] and new == [(4, 7)]
    # Lines with almost nothing in common are rewritten, not edited: no word marks.
    assert word_changes("alpha beta", "12345 !!!") == ([], [])


def test_a_new_executable_file_gets_a_header_and_its_mode_as_a_note() -> None:
    diff = _diff()
    diff.files[1].old_mode = "100644"  # a mode change on a modified file
    diff.files[1].status = "modified"
    rows = build_rows(diff, "split").rows
    notes = [r.text for r in rows if r.kind == "note"]
    assert notes == ["mode 100644 → 100755"]


def test_pairing_matches_the_domains_split_rows() -> None:
    from memento_tui.domain.patches.diff import split_rows
    from memento_tui.ui.widgets.diff_rows import pair_lines

    for fdiff in _diff().files:
        for hunk in fdiff.hunks:
            ours = pair_lines(hunk)
            theirs = [(r.kind, r.left, r.right) for r in split_rows(hunk)]
            assert ours == theirs

"""The rows of a diff view, as plain data: built once per layout, painted lazily.

A ``StructuredDiff`` (files → hunks → lines) becomes a flat list of rows: a header per
file, a note for what a line diff cannot show (binary, mode change), a header per hunk,
then the lines. In the split layout a row pairs the old line (left) with the new one
(right); in the unified layout each row is one line, deletions of a change block before
its additions, as git prints them. Each changed line keeps its partner so the painter can
mark the words that differ.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from memento_tui.domain.patches.diff import DiffLine, FileDiff, Hunk, StructuredDiff

Layout = Literal["split", "unified"]
RowKind = Literal["file", "note", "hunk", "context", "change", "add", "del", "gap"]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# Below this similarity two paired lines are "rewritten", not "edited": marking every
# word of both would be noise, so only the line colour shows.
WORD_DIFF_MIN_RATIO = 0.3


@dataclass
class Row:
    kind: RowKind
    file: int
    hunk: int | None = None  # global hunk number, for n/p
    left: DiffLine | None = None
    right: DiffLine | None = None
    # Unified rows: the other side of a paired change, for word marking.
    partner: DiffLine | None = None
    text: str = ""  # header and note rows


@dataclass
class DiffRows:
    rows: list[Row]
    hunk_rows: list[int]  # row index of each hunk header, in order
    file_rows: list[int]  # row index of each file header
    number_width: int  # digits of the largest line number
    longest: int  # the longest line, in characters
    hunk_files: list[int] = field(default_factory=list)  # file index of each hunk


def file_title(diff: FileDiff) -> str:
    counts = f"+{diff.additions} −{diff.deletions}"
    if diff.is_new:
        return f"{diff.path}  (new file)  {counts}"
    if diff.is_deleted:
        return f"{diff.path}  (deleted)  {counts}"
    return f"{diff.path}  {counts}"


def file_notes(diff: FileDiff) -> list[str]:
    notes = []
    if diff.binary:
        notes.append("binary file: its content is not shown; review it outside memento")
    if diff.mode_changed:
        notes.append(f"mode {diff.old_mode} → {diff.new_mode}")
    elif diff.status == "type-changed":
        notes.append("the file type changed (e.g. a file became a symlink)")
    if not diff.hunks and not diff.binary and not diff.mode_changed:
        notes.append("empty file" if diff.is_new else "no line changes")
    return notes


def build_rows(diff: StructuredDiff, layout: Layout) -> DiffRows:
    rows: list[Row] = []
    hunk_rows: list[int] = []
    file_rows: list[int] = []
    hunk_files: list[int] = []
    biggest = 1
    longest = 0
    hunk_no = 0
    for file_no, fdiff in enumerate(diff.files):
        if file_no:
            rows.append(Row("gap", file_no))
        file_rows.append(len(rows))
        rows.append(Row("file", file_no, text=file_title(fdiff)))
        for note in file_notes(fdiff):
            rows.append(Row("note", file_no, text=note))
        for hunk in fdiff.hunks:
            hunk_rows.append(len(rows))
            hunk_files.append(file_no)
            rows.append(Row("hunk", file_no, hunk_no, text=hunk.header))
            for line in hunk.lines:
                biggest = max(biggest, line.old_no or 0, line.new_no or 0)
                longest = max(longest, len(line.text))
            pairs = pair_lines(hunk)
            if layout == "split":
                rows.extend(Row(kind, file_no, hunk_no, left, right) for kind, left, right in pairs)
            else:
                rows.extend(_unified(pairs, file_no, hunk_no))
            hunk_no += 1
    return DiffRows(rows, hunk_rows, file_rows, len(str(biggest)), longest, hunk_files)


Pair = tuple[RowKind, DiffLine | None, DiffLine | None]


def pair_lines(hunk: Hunk) -> list[Pair]:
    """The same pairing as ``patches.diff.split_rows`` (a run of deletions beside the run of
    additions after it), as plain tuples: building a pydantic model per row cost more than
    everything else in opening a 2,000-line diff."""
    pairs: list[Pair] = []
    dels: list[DiffLine] = []
    adds: list[DiffLine] = []

    def flush() -> None:
        for i in range(max(len(dels), len(adds))):
            left = dels[i] if i < len(dels) else None
            right = adds[i] if i < len(adds) else None
            pairs.append(("change" if left and right else ("del" if left else "add"), left, right))
        dels.clear()
        adds.clear()

    for line in hunk.lines:
        if line.kind == "context":
            flush()
            pairs.append(("context", line, line))
        elif line.kind == "del":
            if adds:  # additions already waiting belong to an earlier change
                flush()
            dels.append(line)
        else:
            adds.append(line)
    flush()
    return pairs


def _unified(pairs: list[Pair], file_no: int, hunk_no: int) -> list[Row]:
    out: list[Row] = []
    block: list[Pair] = []

    def flush() -> None:
        for _, left, right in block:
            if left is not None:
                out.append(Row("del", file_no, hunk_no, left=left, partner=right))
        for _, left, right in block:
            if right is not None:
                out.append(Row("add", file_no, hunk_no, right=right, partner=left))
        block.clear()

    for pair in pairs:
        if pair[0] == "context":
            flush()
            out.append(Row("context", file_no, hunk_no, left=pair[1], right=pair[2]))
        else:
            block.append(pair)
    flush()
    return out


def word_changes(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character ranges that differ between two paired lines, word by word.

    Empty when the lines are too different for word marking to help.
    """
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < WORD_DIFF_MIN_RATIO:
        return [], []
    a_at = _offsets(a)
    b_at = _offsets(b)
    old_ranges: list[tuple[int, int]] = []
    new_ranges: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_ranges.append((a_at[i1], a_at[i2]))
        if j2 > j1:
            new_ranges.append((b_at[j1], b_at[j2]))
    return old_ranges, new_ranges


def _offsets(tokens: list[str]) -> list[int]:
    at = [0]
    for token in tokens:
        at.append(at[-1] + len(token))
    return at

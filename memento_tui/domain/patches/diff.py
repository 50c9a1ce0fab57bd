"""A patch's diff as data: files → hunks → lines with old and new line numbers.

The side-by-side view renders ``StructuredDiff`` directly; ``split_rows`` pairs a hunk's
lines into aligned left/right rows. Text is kept exactly as it is in the files (the
viewer makes hidden characters visible when it shows them), decoded as UTF-8 with
undecodable bytes replaced.

Parsing reads ``git diff --patch-with-raw -z --no-renames``: the raw part names every file
unambiguously (paths with spaces or quotes included) with its modes and status, and the
patch part follows in the same order.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

LineKind = Literal["add", "del", "context"]
FileStatus = Literal["added", "deleted", "modified", "type-changed"]
RowKind = Literal["context", "change", "add", "del"]

_HUNK_RE = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_STATUS: dict[str, FileStatus] = {
    "A": "added",
    "D": "deleted",
    "M": "modified",
    "T": "type-changed",
}


class DiffLine(BaseModel):
    kind: LineKind
    text: str
    old_no: int | None = None
    new_no: int | None = None
    # The file does not end with a newline after this line.
    no_newline: bool = False


class Hunk(BaseModel):
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str = ""  # the function or heading git shows after the second @@
    lines: list[DiffLine] = Field(default_factory=list)

    @property
    def header(self) -> str:
        head = f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"
        return f"{head} {self.section}" if self.section else head


class FileDiff(BaseModel):
    path: str
    status: FileStatus
    old_mode: str | None = None  # None for an added file
    new_mode: str | None = None  # None for a deleted file
    binary: bool = False
    hunks: list[Hunk] = Field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.status == "added"

    @property
    def is_deleted(self) -> bool:
        return self.status == "deleted"

    @property
    def mode_changed(self) -> bool:
        return self.old_mode is not None and self.new_mode is not None and self.old_mode != self.new_mode

    @property
    def additions(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.kind == "add")

    @property
    def deletions(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.kind == "del")


class StructuredDiff(BaseModel):
    base: str  # the merge base the diff starts from
    head: str  # the patch branch's commit
    files: list[FileDiff] = Field(default_factory=list)

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)

    def to_json_dict(self) -> dict[str, object]:
        """JSON for ``--json``: the model plus the flags a viewer wants without computing."""
        return {
            "base": self.base,
            "head": self.head,
            "files": [
                {
                    **f.model_dump(mode="json"),
                    "is_new": f.is_new,
                    "is_deleted": f.is_deleted,
                    "additions": f.additions,
                    "deletions": f.deletions,
                }
                for f in self.files
            ],
        }


class SplitRow(BaseModel):
    """One row of a side-by-side view: old on the left, new on the right."""

    kind: RowKind
    left: DiffLine | None = None
    right: DiffLine | None = None


def split_rows(hunk: Hunk) -> list[SplitRow]:
    """Pair a hunk's lines for a split view.

    Context lines sit on both sides. A run of deletions and the run of additions after it
    are paired line by line ("change" rows); the longer run's extra lines get an empty
    other side ("del" or "add" rows).
    """
    rows: list[SplitRow] = []
    dels: list[DiffLine] = []
    adds: list[DiffLine] = []

    def flush() -> None:
        for i in range(max(len(dels), len(adds))):
            left = dels[i] if i < len(dels) else None
            right = adds[i] if i < len(adds) else None
            kind: RowKind = "change" if left and right else ("del" if left else "add")
            rows.append(SplitRow(kind=kind, left=left, right=right))
        dels.clear()
        adds.clear()

    for line in hunk.lines:
        if line.kind == "context":
            flush()
            rows.append(SplitRow(kind="context", left=line, right=line))
        elif line.kind == "del":
            if adds:  # additions already waiting belong to an earlier change
                flush()
            dels.append(line)
        else:
            adds.append(line)
    flush()
    return rows


def parse_diff(output: bytes, base: str, head: str) -> StructuredDiff:
    """Parse ``git diff --patch-with-raw -z --no-renames`` output."""
    raw, _, patch = output.partition(b"\0\0")
    entries: list[tuple[str, str, str, str]] = []  # path, old mode, new mode, status
    if raw:
        tokens = raw.split(b"\0")
        for meta, name in zip(tokens[0::2], tokens[1::2], strict=False):
            fields = meta.lstrip(b":").split()
            old_mode, new_mode, status = (
                fields[0].decode(),
                fields[1].decode(),
                fields[4].decode()[:1],
            )
            entries.append((name.decode("utf-8", "surrogateescape"), old_mode, new_mode, status))
    blocks = _file_blocks(patch)
    if len(blocks) != len(entries):
        raise ValueError(f"git diff gave {len(entries)} files but {len(blocks)} patches")
    files = []
    for (path, old_mode, new_mode, status), block in zip(entries, blocks, strict=True):
        diff = FileDiff(
            path=_display_path(path),
            status=_STATUS.get(status, "modified"),
            old_mode=None if old_mode == "000000" else old_mode,
            new_mode=None if new_mode == "000000" else new_mode,
        )
        _parse_block(block, diff)
        files.append(diff)
    return StructuredDiff(base=base, head=head, files=files)


def _display_path(path: str) -> str:
    # Undecodable bytes in a name stay visible as \x.. rather than vanishing.
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _file_blocks(patch: bytes) -> list[list[bytes]]:
    blocks: list[list[bytes]] = []
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            blocks.append([])
        elif blocks:
            blocks[-1].append(line)
    return blocks


def _parse_block(lines: list[bytes], diff: FileDiff) -> None:
    hunk: Hunk | None = None
    old_left = new_left = 0
    old_no = new_no = 0
    for line in lines:
        if hunk is not None and (old_left > 0 or new_left > 0):
            mark, text = line[:1], line[1:].decode("utf-8", "replace")
            if mark == b"+":
                hunk.lines.append(DiffLine(kind="add", text=text, new_no=new_no))
                new_no += 1
                new_left -= 1
            elif mark == b"-":
                hunk.lines.append(DiffLine(kind="del", text=text, old_no=old_no))
                old_no += 1
                old_left -= 1
            elif mark == b"\\":
                if hunk.lines:
                    hunk.lines[-1].no_newline = True
            else:  # " " (or an empty line where a tool dropped the space)
                hunk.lines.append(DiffLine(kind="context", text=text, old_no=old_no, new_no=new_no))
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
            continue
        if line.startswith(b"\\") and hunk is not None and hunk.lines:
            hunk.lines[-1].no_newline = True
            continue
        match = _HUNK_RE.match(line)
        if match:
            old_start, new_start = int(match.group(1)), int(match.group(3))
            old_count = int(match.group(2)) if match.group(2) is not None else 1
            new_count = int(match.group(4)) if match.group(4) is not None else 1
            hunk = Hunk(
                old_start=old_start,
                old_count=old_count,
                new_start=new_start,
                new_count=new_count,
                section=match.group(5).decode("utf-8", "replace"),
            )
            diff.hunks.append(hunk)
            old_left, new_left = old_count, new_count
            # An empty side is numbered from start 0 by git; lines count from start.
            old_no, new_no = old_start, new_start
            continue
        if line.startswith(b"Binary files ") or line.startswith(b"GIT binary patch"):
            diff.binary = True

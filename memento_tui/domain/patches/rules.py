"""What a patch may touch. Checked before anything is written, and again before a merge.

A patch changes files under ``skills/<one-skill>/`` and nothing else: no ``.git*`` file
anywhere in the path, no symlinks or submodules, no absolute, ``..``, empty or ``.``
segments, no backslashes, control or invisible characters in names, an executable bit
only under ``scripts/``, and size caps. Each refusal is a PatchRefused naming the path
and the rule. Patches are never applied with GNU ``patch``: files are written as blobs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain.errors import SkillError
from memento_tui.domain.patches.model import PatchRefused
from memento_tui.domain.paths import SKILL_FILE, SKILLS_DIR_NAME
from memento_tui.domain.skills import MAX_NAME, MAX_SKILL_MD_BYTES, NAME_RE, SkillFrontmatter

MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024
MAX_FILES = 200
MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255

MODE_FILE = "100644"
MODE_EXEC = "100755"
MODE_LINK = "120000"
MODE_GITLINK = "160000"
EXEC_FOLDER = "scripts"

# NTFS short names of .git ("GIT~1") reach the same folder on some file systems.
_SHORT_GIT_RE = re.compile(r"^git~[0-9]+$", re.IGNORECASE)


@dataclass(frozen=True)
class FileChange:
    """One file a patch writes (``content``) or deletes (``content is None``)."""

    path: str
    content: bytes | None
    mode: str = MODE_FILE


def check_skill_name(skill: str) -> None:
    if not isinstance(skill, str) or len(skill) > MAX_NAME or not NAME_RE.match(skill):
        raise PatchRefused(
            f"{skill!r} is not a skill name",
            field="skill",
            fix="use 1-64 lowercase letters, digits and single hyphens",
        )


def check_path(path: str, skill: str) -> None:
    """Refuse a path a patch for ``skill`` may not touch."""
    if not isinstance(path, str):
        raise PatchRefused(f"path {path!r} is not text", field="files", fix="use str paths")
    shown = path.encode("unicode_escape").decode("ascii")

    def refuse(why: str, fix: str = "write only files under skills/<skill>/") -> PatchRefused:
        return PatchRefused(f"path {shown!r}: {why}", field="files", fix=fix)

    if not path:
        raise refuse("empty path")
    if "\x00" in path:
        raise refuse("contains a NUL byte")
    if "\\" in path:
        raise refuse("contains a backslash", "use '/' between folders; no backslashes in names")
    for ch in path:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
            raise refuse(
                f"contains the control or invisible character U+{ord(ch):04X}",
                "use plain visible characters in file names",
            )
    if path.startswith("/"):
        raise refuse("is absolute", "give the path relative to the repository root")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise refuse(f"is longer than {MAX_PATH_BYTES} bytes", "use a shorter path")
    segments = path.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise refuse("has an empty, '.' or '..' segment", "write a plain path such as skills/x/SKILL.md")
        if segment.casefold().startswith(".git") or _SHORT_GIT_RE.match(segment):
            raise refuse(
                f"touches a git file ({segment!r})",
                "patches may not write .git, .gitattributes, .gitmodules or .gitignore",
            )
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise refuse(f"has a name longer than {MAX_SEGMENT_BYTES} bytes", "use shorter names")
    if segments[0] != SKILLS_DIR_NAME or len(segments) < 3:
        raise refuse("is outside skills/<skill>/")
    if segments[1] != skill:
        raise refuse(
            f"belongs to skill {segments[1]!r}, but this patch is for {skill!r}",
            "a patch changes one skill; make one patch per skill",
        )


def check_mode(path: str, mode: str) -> None:
    if mode == MODE_FILE:
        return
    if mode == MODE_EXEC:
        # skills/<skill>/scripts/... is the only place for executables.
        if path.split("/")[2] == EXEC_FOLDER:
            return
        raise PatchRefused(
            f"path {path!r}: executable bit outside scripts/",
            field="files",
            fix="move the script under scripts/, or drop the executable bit",
        )
    if mode == MODE_LINK:
        why = "is a symlink"
    elif mode == MODE_GITLINK:
        why = "is a submodule"
    else:
        why = f"has mode {mode}"
    raise PatchRefused(f"path {path!r} {why}", field="files", fix="write regular files only")


def normalise_mode(value: object) -> str:
    if isinstance(value, int):
        return f"{value:o}"
    return str(value)


def build_changes(
    skill: str,
    files: Mapping[str, bytes | str | None],
    modes: Mapping[str, int | str] | None = None,
) -> list[FileChange]:
    """Check every rule on the inputs of ``PatchStore.create`` and return the changes."""
    check_skill_name(skill)
    if not files:
        raise PatchRefused("the patch changes no files", field="files", fix="give at least one file")
    if len(files) > MAX_FILES:
        raise PatchRefused(
            f"the patch has {len(files)} files; the limit is {MAX_FILES}",
            field="files",
            fix="split it, or move bulk data out of the skill",
        )
    modes = dict(modes or {})
    for path in modes:
        if path not in files:
            raise PatchRefused(f"a mode is given for {path!r}, which the patch does not write", field="modes")
    total = 0
    changes: list[FileChange] = []
    for path in sorted(files):
        check_path(path, skill)
        content = files[path]
        if isinstance(content, str):
            content = content.encode("utf-8")
        if content is not None and not isinstance(content, bytes | bytearray):
            raise PatchRefused(
                f"path {path!r}: content is {type(content).__name__}",
                field="files",
                fix="give bytes, str, or None to delete",
            )
        mode = normalise_mode(modes.get(path, MODE_FILE))
        if content is None:
            if path in modes:
                raise PatchRefused(f"path {path!r}: a mode for a deleted file", field="modes")
            changes.append(FileChange(path, None))
            continue
        check_mode(path, mode)
        size = len(content)
        if size > MAX_FILE_BYTES:
            raise PatchRefused(
                f"path {path!r} is {size // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB",
                field="files",
                fix="keep large data out of skills",
            )
        total += size
        if path.endswith("/" + SKILL_FILE) and path.count("/") == 2:
            check_skill_md(path, bytes(content), skill)
        changes.append(FileChange(path, bytes(content), mode))
    if total > MAX_TOTAL_BYTES:
        raise PatchRefused(
            f"the patch writes {total // 1024} KiB; the limit is {MAX_TOTAL_BYTES // 1024} KiB",
            field="files",
            fix="make a smaller change",
        )
    _check_nesting([c.path for c in changes])
    return changes


def _check_nesting(paths: Iterable[str]) -> None:
    seen = set(paths)
    for path in seen:
        parts = path.split("/")
        for i in range(3, len(parts)):
            if "/".join(parts[:i]) in seen:
                raise PatchRefused(
                    f"path {path!r} is inside {'/'.join(parts[:i])!r}, which the patch also writes as a file",
                    field="files",
                    fix="a name is either a file or a folder",
                )


def check_against_base(changes: list[FileChange], base: Mapping[str, tuple[str, str]]) -> None:
    """Refuse changes that clash with the skill's files on main (``base``: path -> (mode, oid)).

    A file cannot become a folder or the other way round, and a path cannot go through a
    symlink already there; deleting needs the file to exist. SKILL.md must survive.
    """
    base_dirs: set[str] = set()
    for existing in base:
        parts = existing.split("/")
        base_dirs.update("/".join(parts[:i]) for i in range(3, len(parts)))
    for change in changes:
        if change.content is None:
            if change.path not in base:
                raise PatchRefused(
                    f"cannot delete {change.path!r}: it is not on main",
                    field="files",
                    fix="delete only files that exist",
                )
            if change.path.count("/") == 2 and change.path.endswith("/" + SKILL_FILE):
                raise PatchRefused(
                    f"cannot delete {change.path!r}: a skill needs its SKILL.md",
                    field="files",
                    fix="edit SKILL.md instead; removing a whole skill is the person's call",
                )
            continue
        if change.path in base_dirs:
            raise PatchRefused(
                f"path {change.path!r} is a folder on main",
                field="files",
                fix="write files, not folders",
            )
        parts = change.path.split("/")
        for i in range(3, len(parts)):
            if "/".join(parts[:i]) in base:
                raise PatchRefused(
                    f"path {change.path!r} goes through {'/'.join(parts[:i])!r}, a file or link on main",
                    field="files",
                    fix="a name is either a file or a folder",
                )


def check_skill_md(path: str, content: bytes, skill: str) -> None:
    """A SKILL.md in a patch must load: UTF-8, valid frontmatter, its name the skill's."""
    from memento_tui.domain.skills.frontmatter import parse_frontmatter, split_document

    if len(content) > MAX_SKILL_MD_BYTES:
        raise PatchRefused(f"{path}: larger than {MAX_SKILL_MD_BYTES // 1024} KiB", field="files")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PatchRefused(f"{path}: not UTF-8 (byte {err.start})", field="files") from None
    try:
        doc = split_document(text, Path(path))
        data = parse_frontmatter(doc.frontmatter, Path(path), doc.frontmatter_line)
        fm = SkillFrontmatter.model_validate(data)
    except SkillError as err:
        raise PatchRefused(f"{path}: {err.message}", field=err.field, fix=err.fix) from None
    except ValueError as err:  # pydantic's ValidationError
        raise PatchRefused(
            f"{path}: the frontmatter is not valid: {err}",
            field="frontmatter",
            fix="see docs/skill-format.md",
        ) from None
    if fm.name != skill:
        raise PatchRefused(
            f"{path}: name {fm.name!r} is not the skill's name {skill!r}",
            field="name",
            fix=f"set 'name: {skill}'",
        )


@dataclass(frozen=True)
class BranchChange:
    """One entry of ``git diff --raw`` between main and a patch branch."""

    path: str
    old_mode: str
    new_mode: str
    status: str


def check_branch_changes(skill: str, changes: list[BranchChange]) -> None:
    """Before a merge: every change the branch makes must still follow the rules.

    The branch may have been edited after it was made (by the person in their editor, or
    by anything else with access to the repository), so the commit is checked, not the
    record. An executable bit already on main is not the patch's doing and is allowed.
    """
    for change in changes:
        check_path(change.path, skill)
        if change.status == "D":
            continue
        if change.new_mode == MODE_EXEC and change.old_mode == MODE_EXEC:
            continue
        check_mode(change.path, change.new_mode)


_TRAILER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(value: object, limit: int = 200) -> str:
    """A value fit for a commit trailer or subject: one line, no control or invisible
    characters, capped."""
    text = " ".join(_TRAILER_UNSAFE.sub(" ", str(value)).split())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_message(text: str, limit: int = 8000) -> str:
    """A commit message body from model text: control and invisible characters dropped
    (they would reach a reviewer's terminal through 'git log'), newlines kept."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = _TRAILER_UNSAFE.sub(" ", line.replace("\t", "    "))
        lines.append("".join(ch for ch in line if unicodedata.category(ch) not in ("Cf", "Co", "Cs")))
    out = "\n".join(lines).strip()
    return out[:limit]

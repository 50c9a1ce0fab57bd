"""``memento verify``'s checks for hidden text: in files, in parsed frontmatter, in names.

A scan of the raw file sees a character written as itself. YAML also writes one as an
escape in a double-quoted string (``"\\e]52;c;…\\a"``, ``"\\u202e"``, ``"\\U000E0041"``): the
file is plain ASCII, and the character exists only after parsing, which is what the model
reads and the person's terminal shows. So the parsed values are checked too, every key and
every string at any depth, and so are the names of the skill's files and folders, which
the CLI, the TUI and the model see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from memento_tui.domain.errors import SkillError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.skills.frontmatter import key_line, parse_frontmatter, split_document
from memento_tui.domain.skills.hidden_text import (
    Hidden,
    char_name,
    find_hidden,
    kind_of,
    terminal_safe,
    unsafe_spots,
)
from memento_tui.domain.skills.report import Level, VerifyReport

HIDDEN_FIX = "delete the character; 'memento skills show' and the diff view show it as ⟨U+XXXX⟩"
VALUE_FIX = (
    "delete it from the value; in double-quoted YAML look for escapes such as \\e, \\a, \\x9b, \\u202e or \\U000E0041"
)
NAME_FIX = "rename it to plain letters, digits, '-', '_' and '.'"


def check_text(rel: str, text: str, report: VerifyReport) -> None:
    """Hidden characters written as themselves in a file: one finding per kind."""
    by_kind: dict[str, list[Hidden]] = {}
    for item in find_hidden(text):
        by_kind.setdefault(item.kind, []).append(item)
    for kind, items in by_kind.items():
        first = items[0]
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        level: Level = "warning" if kind in ("control", "invisible") else "error"
        report.add(
            level,
            f"hidden-{kind}",
            rel,
            first.line,
            f"hidden character U+{first.codepoint:04X} {first.name} at column {first.col}{more}",
            HIDDEN_FIX,
        )


def _kind(cp: int) -> str:
    return kind_of(cp) or ("control" if cp < 0x20 else "invisible")


def _describe(text: str, spots: list[int]) -> str:
    cp = ord(text[spots[0]])
    more = f" (and {len(spots) - 1} more)" if len(spots) > 1 else ""
    return f"U+{cp:04X} {char_name(cp)}{more}"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str, bool]]:
    """(field path, text, is it a key) for every key and string under ``value``."""
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            key_text = str(key)
            field = f"{path}.{key_text}" if path else key_text
            yield field, key_text, True
            yield from _strings(item, field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def check_frontmatter_values(skill_dir: Path, report: VerifyReport) -> None:
    """Every parsed key and string of the frontmatter: a hidden character is an error."""
    skill_file = skill_dir / SKILL_FILE
    if skill_file.is_symlink() or not skill_file.is_file():
        return  # the schema check says why
    try:
        doc = split_document(skill_file.read_text(encoding="utf-8"), skill_file)
        data = parse_frontmatter(doc.frontmatter, skill_file, doc.frontmatter_line)
    except (OSError, UnicodeDecodeError, SkillError):
        return  # the schema check reports it
    for field, text, is_key in _strings(data, ""):
        # Multi-line values keep their newlines; a key is one line.
        by_kind: dict[str, list[int]] = {}
        for spot in unsafe_spots(text, single_line=is_key):
            by_kind.setdefault(_kind(ord(text[spot])), []).append(spot)
        top = field.split(".", 1)[0].split("[", 1)[0]
        line = key_line(doc.frontmatter, top, doc.frontmatter_line)
        shown = terminal_safe(field, single_line=True)
        what = "key" if is_key else "value"
        for kind, spots in by_kind.items():
            report.add(
                "error",
                f"hidden-{kind}",
                SKILL_FILE,
                line,
                f"{shown}: the parsed {what} holds hidden character {_describe(text, spots)}",
                VALUE_FIX,
            )


def check_name(rel: str | None, name: str, report: VerifyReport) -> None:
    """A file or folder name (``rel`` None: the skill's own folder) with a control, bidi,
    zero-width or tag character, or a newline."""
    spots = unsafe_spots(name, single_line=True)
    if spots:
        whose = "the name" if rel is not None else "the skill folder's name"
        report.add(
            "error", "hidden-name", rel, None, f"{whose} holds hidden character {_describe(name, spots)}", NAME_FIX
        )

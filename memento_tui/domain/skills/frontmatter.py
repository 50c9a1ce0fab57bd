"""Safe YAML frontmatter for SKILL.md files.

Frontmatter may come from a stranger or a model, so the loader is stricter than
``yaml.safe_load``: no anchors or aliases (alias bombs), no explicit tags, no duplicate
keys, a size cap, and YAML 1.1's yes/no/on/off booleans and bare timestamps stay strings
(``network: on`` must never quietly become ``True``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode

from memento_tui.domain.errors import SkillError

MAX_FRONTMATTER_BYTES = 16 * 1024

_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _StrictResolver(yaml.resolver.BaseResolver):
    pass


# Copy SafeLoader's implicit resolvers, minus YAML 1.1 booleans and timestamps.
for _first, _pairs in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
    for _tag, _regexp in _pairs:
        if _tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"):
            continue
        _StrictResolver.add_implicit_resolver(_tag, _regexp, [_first])
_StrictResolver.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list("tTfF"))


class _StrictLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _StrictResolver,
):
    def __init__(self, stream: str, line_offset: int = 1) -> None:
        self.line_offset = line_offset
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _StrictResolver.__init__(self)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]  # (PyYAML's stubs)
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("YAML aliases (*name) are not allowed", line)
        if getattr(event, "anchor", None):
            raise _Refused("YAML anchors (&name) are not allowed", line)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _Refused(f"explicit YAML tags ({tag}) are not allowed", line)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise _Refused(f"mapping keys must be strings, got {key!r}", line)
            if key in seen:
                first = self.line_offset + seen[key] - 1
                raise _Refused(f"duplicate key {key!r} (first on line {first})", line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class SplitDocument:
    """A SKILL.md cut in two. Line numbers are 1-based within the whole file."""

    frontmatter: str
    body: str
    frontmatter_line: int  # line of the first frontmatter key
    body_line: int


def split_document(text: str, file: Path) -> SplitDocument:
    """Cut ``---`` frontmatter from the markdown body."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SkillError(
            "no YAML frontmatter: the file must start with a line '---'",
            file=file,
            line=1,
            fix="start SKILL.md with '---', then 'name: ...' and 'description: ...', then '---'",
        )
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n") in ("---", "..."):
            return SplitDocument(
                frontmatter="".join(lines[1:i]),
                body="".join(lines[i + 1 :]),
                frontmatter_line=2,
                body_line=i + 2,
            )
    raise SkillError(
        "frontmatter is never closed",
        file=file,
        line=1,
        fix="add a line '---' after the last frontmatter key",
    )


def parse_frontmatter(text: str, file: Path, first_line: int = 2) -> dict[str, Any]:
    """Parse frontmatter YAML into a dict of plain values, or raise SkillError."""
    if len(text.encode("utf-8")) > MAX_FRONTMATTER_BYTES:
        raise SkillError(
            f"frontmatter is larger than {MAX_FRONTMATTER_BYTES // 1024} KiB",
            file=file,
            line=first_line,
            fix="keep frontmatter to name, description and short metadata; move prose to the body",
        )
    try:
        data = _StrictLoader(text, first_line).get_single_data()
    except _Refused as err:
        raise SkillError(
            str(err),
            file=file,
            line=first_line + err.line - 1,
            fix="write plain YAML: unique keys, no &anchors, *aliases or !tags",
        ) from None
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or str(err)
        # An unclosed [ or { is reported at the end of the text; where it opened says more.
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        raise SkillError(
            f"frontmatter is not valid YAML: {problem}",
            file=file,
            line=line,
            fix=_yaml_fix(problem),
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SkillError(
            "frontmatter must be a mapping of keys to values",
            file=file,
            line=first_line,
            fix="write 'name: my-skill' and 'description: ...' on their own lines",
        )
    return data


_YAML_FIXES = (
    (
        "expected ',' or ']'",
        "a value that starts with [ is read as a YAML list: close the ], "
        'or quote the whole value (description: "[beta] Converts ...")',
    ),
    ("expected ',' or '}'", "a value that starts with { is read as a YAML map: close the }, or quote the whole value"),
    ("mapping values are not allowed", "quote a value that contains ': ' (description: \"Converts: CSV to JSON\")"),
    ("found character '\\t'", "indent with spaces, not tabs"),
    ("found undefined alias", "quote a value that starts with *"),
    ("found unknown escape character", "in double quotes, write a backslash as \\\\ (or use single quotes)"),
)


def _yaml_fix(problem: str) -> str:
    for clue, fix in _YAML_FIXES:
        if clue in problem:
            return fix
    return "quote values that contain ': ' or start with a special character ([ { * & ! | > ' \" % @)"


def key_line(frontmatter: str, key: str, first_line: int = 2) -> int | None:
    """The file line where a top-level key is written, for error messages."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:", re.MULTILINE)
    match = pattern.search(frontmatter)
    if match is None:
        return None
    return first_line + frontmatter.count("\n", 0, match.start())

"""Skills in the Agent Skills format: ``skills/<name>/SKILL.md`` plus optional folders.

Loading is forgiving across the library and strict within a skill: one broken folder is
listed as broken, with an error naming the file, the line or field and the fix, and never
stops the others from loading.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from memento_tui.domain.errors import SkillError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.skills.frontmatter import SplitDocument, key_line, parse_frontmatter, split_document
from memento_tui.domain.tree import Entry, walk

MAX_NAME = 64
MAX_DESCRIPTION = 1024  # the Agent Skills limit; longer loads with a warning
HARD_MAX_DESCRIPTION = 4096  # past this the description is refused outright
MAX_SKILL_MD_BYTES = 1024 * 1024
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KNOWN_FOLDERS = ("scripts", "references", "assets", "tests")

_FIELD_FIXES = {
    "name": "use 1-64 lowercase letters, digits and single hyphens, the same as the folder name",
    "description": "write one or two sentences: what the skill does and when to use it",
    "license": "write the licence as a string, e.g. 'license: MIT'",
    "compatibility": "describe requirements as a short string",
    "allowed-tools": "list tool names as a string or a YAML list of strings",
    "metadata": "make metadata a mapping, e.g. 'metadata:' then indented 'version: \"1.0\"'",
}


class SkillFrontmatter(BaseModel):
    """The frontmatter keys of the Agent Skills format. Unknown keys are kept, with a warning."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    name: StrictStr
    description: StrictStr
    license: StrictStr | None = None
    compatibility: StrictStr | None = Field(default=None, max_length=500)
    allowed_tools: StrictStr | list[StrictStr] | None = Field(default=None, alias="allowed-tools")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str) -> str:
        if len(value) > MAX_NAME:
            raise ValueError(f"is {len(value)} characters; the limit is {MAX_NAME}")
        if not NAME_RE.match(value):
            raise ValueError(f"{value!r} is not lowercase letters, digits and single hyphens")
        return value

    @field_validator("description")
    @classmethod
    def _description_size(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        if len(value) > HARD_MAX_DESCRIPTION:
            raise ValueError(f"is {len(value)} characters; the limit is {MAX_DESCRIPTION}")
        return value


@dataclass(frozen=True)
class Skill:
    name: str
    dir: Path
    frontmatter: SkillFrontmatter
    body: str
    body_line: int
    warnings: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return self.frontmatter.description

    @property
    def skill_file(self) -> Path:
        return self.dir / SKILL_FILE

    @property
    def memento_metadata(self) -> dict[str, Any]:
        value = self.frontmatter.metadata.get("memento")
        return value if isinstance(value, dict) else {}

    @property
    def wants_network(self) -> bool:
        """Declared in ``metadata.memento.network`` (its hosts, or ``true``); granted only by
        the config, and then only to the hosts declared."""
        value = self.memento_metadata.get("network")
        return value is True or (isinstance(value, list) and bool(value))

    @property
    def network_hosts(self) -> tuple[str, ...]:
        """The hosts the skill may reach once granted (``network: true`` declares none)."""
        value = self.memento_metadata.get("network")
        if not isinstance(value, list):
            return ()
        return tuple(str(v) for v in value)

    @property
    def protected(self) -> bool:
        return self.memento_metadata.get("protected") is True

    def folder(self, name: str) -> Path | None:
        path = self.dir / name
        return path if path.is_dir() and not path.is_symlink() else None

    def files(self) -> list[str]:
        """Every regular file in the skill, as sorted paths relative to its folder."""
        return sorted(str(p.relative_to(self.dir)) for p in _walk_files(self.dir))


@dataclass(frozen=True)
class BrokenSkill:
    dir: Path
    error: SkillError

    @property
    def name(self) -> str:
        return self.dir.name


def _walk_files(root: Path) -> Iterator[Path]:
    """Regular files, sorted, with no link followed and no recursion: a skill from a
    stranger may be thousands of folders deep (os.walk recurses on Python 3.11)."""
    found: list[str] = []

    def visit(entry: Entry) -> bool:
        if entry.is_file:
            found.append(entry.rel)
        return not (entry.is_dir and entry.name == "__pycache__")

    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        walk(root, visit)
    return (root / rel for rel in sorted(found))


def _check_links(skill_dir: Path) -> None:
    """Refuse symlinks that lead out of the skill folder. os.path.realpath, unlike
    Path.resolve, does not raise on a link loop (a loop stays inside and leads nowhere)."""
    real_root = os.path.realpath(skill_dir)

    def visit(entry: Entry) -> None:
        if not entry.is_link:
            return
        path = skill_dir / entry.rel
        target = os.path.realpath(path)
        if target != real_root and not target.startswith(real_root + os.sep):
            raise SkillError(
                f"symlink points outside the skill, to {os.readlink(entry.name, dir_fd=entry.dir_fd)}",
                file=path,
                fix="replace the link with a copy of the file inside the skill folder",
            )

    try:
        walk(skill_dir, visit)
    except (OSError, RecursionError) as err:
        raise SkillError(
            f"the skill folder cannot be read: {getattr(err, 'strerror', None) or err}",
            file=skill_dir,
            fix="check the folder's permissions and what is in it",
        ) from None


def load_skill(skill_dir: Path, *, check_links: bool = True) -> Skill:
    """Load one skill folder or raise SkillError."""
    skill_file = skill_dir / SKILL_FILE
    doc = split_document(_read_skill_file(skill_dir, skill_file), skill_file)
    fm = _validate_frontmatter(doc, skill_file, skill_dir)
    if check_links:
        _check_links(skill_dir)
    return Skill(
        name=fm.name,
        dir=skill_dir,
        frontmatter=fm,
        body=doc.body,
        body_line=doc.body_line,
        warnings=tuple(_load_warnings(fm)),
    )


def _read_skill_file(skill_dir: Path, skill_file: Path) -> str:
    """SKILL.md's text, once the folder and the file are what they should be."""
    if skill_dir.is_symlink():
        raise SkillError(
            "the skill folder is a symlink",
            file=skill_dir,
            fix="move the real folder under skills/ instead of linking to it",
        )
    if not skill_file.exists() and not skill_file.is_symlink():
        raise SkillError(
            "no SKILL.md in this folder",
            file=skill_file,
            fix=f"add SKILL.md (try: memento skills new {skill_dir.name}), or move the folder out of skills/",
        )
    if skill_file.is_symlink() or not skill_file.is_file():
        raise SkillError(
            "SKILL.md is not a regular file",
            file=skill_file,
            fix="replace it with a regular file",
        )
    size = skill_file.stat().st_size
    if size > MAX_SKILL_MD_BYTES:
        raise SkillError(
            f"SKILL.md is {size // 1024} KiB; the limit is {MAX_SKILL_MD_BYTES // 1024} KiB",
            file=skill_file,
            fix="move long material into references/ and link to it from SKILL.md",
        )
    try:
        return skill_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SkillError(
            f"SKILL.md is not UTF-8 (byte {err.start})",
            file=skill_file,
            fix="save the file as UTF-8",
        ) from None


def _validate_frontmatter(doc: SplitDocument, skill_file: Path, skill_dir: Path) -> SkillFrontmatter:
    """The frontmatter checked against the schema, its name against the folder's."""
    data = parse_frontmatter(doc.frontmatter, skill_file, doc.frontmatter_line)
    for required in ("name", "description"):
        if required not in data:
            raise SkillError(
                f"the required key '{required}' is missing",
                file=skill_file,
                line=doc.frontmatter_line,
                field=required,
                fix=f"add '{required}: ...' to the frontmatter ({_FIELD_FIXES[required]})",
            )
    try:
        fm = SkillFrontmatter.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "frontmatter"
        raise SkillError(
            first["msg"].removeprefix("Value error, "),
            file=skill_file,
            line=key_line(doc.frontmatter, key, doc.frontmatter_line),
            field=key,
            fix=_FIELD_FIXES.get(key, "see docs/skill-format.md"),
        ) from None
    if fm.name != skill_dir.name:
        raise SkillError(
            f"name {fm.name!r} does not match the folder name {skill_dir.name!r}",
            file=skill_file,
            line=key_line(doc.frontmatter, "name", doc.frontmatter_line),
            field="name",
            fix=f"rename the folder to {fm.name!r} or set 'name: {skill_dir.name}'",
        )
    return fm


def _load_warnings(fm: SkillFrontmatter) -> list[str]:
    """What loads but deserves a word: an over-long description, keys the format does not know."""
    warnings: list[str] = []
    if len(fm.description) > MAX_DESCRIPTION:
        warnings.append(
            f"description is {len(fm.description)} characters, over the Agent Skills limit "
            f"of {MAX_DESCRIPTION}; other tools may cut it"
        )
    extra = sorted((fm.model_extra or {}).keys())
    if extra:
        warnings.append(f"unknown frontmatter keys kept as they are: {', '.join(extra)}")
    return warnings


@dataclass
class SkillLibrary:
    """Every skill folder under ``skills/``: the loaded ones and the broken ones."""

    root: Path
    skills: dict[str, Skill] = field(default_factory=dict)
    broken: list[BrokenSkill] = field(default_factory=list)

    @classmethod
    def load(cls, root: Path) -> SkillLibrary:
        library = cls(root=root)
        if not root.is_dir():
            return library
        for entry in sorted(root.iterdir()):
            if entry.name.startswith(".") or not (entry.is_dir() or entry.is_symlink()):
                continue
            try:
                skill = load_skill(entry)
            except SkillError as err:
                library.broken.append(BrokenSkill(entry, err))
            else:
                library.skills[skill.name] = skill
        return library

    def __len__(self) -> int:
        return len(self.skills)

    def __iter__(self) -> Iterator[Skill]:
        return iter(self.skills.values())

    def get(self, name: str) -> Skill:
        if name in self.skills:
            return self.skills[name]
        for broken in self.broken:
            if broken.name == name:
                raise broken.error
        close = did_you_mean(name, list(self.skills))
        hint = f"did you mean {', '.join(close)}?" if close else "run 'memento skills list'"
        raise SkillError(f"no skill named {name!r}", file=self.root, fix=hint)


def did_you_mean(given: str, names: list[str], n: int = 3) -> list[str]:
    """Names that contain what was typed (``csv`` -> ``csv-json``), then names spelled like it."""
    lowered = given.lower()
    found = [name for name in sorted(names) if lowered and lowered in name.lower()]
    for name in difflib.get_close_matches(given, names, n=n, cutoff=0.6):
        if name not in found:
            found.append(name)
    return found[:n]


def skill_skeleton(name: str) -> str:
    """A valid SKILL.md for ``memento skills new``."""
    template = (Path(__file__).parent.parent / "templates" / "SKILL.md.tmpl").read_text(encoding="utf-8")
    return template.replace("{name}", name)


def check_new_name(name: str, skills_root: Path) -> None:
    if not NAME_RE.match(name) or len(name) > MAX_NAME:
        raise SkillError(
            f"{name!r} is not a valid skill name",
            field="name",
            fix="use 1-64 lowercase letters, digits and single hyphens, e.g. 'csv-cleanup'",
        )
    if (skills_root / name).exists():
        raise SkillError(
            "a skill folder with this name already exists",
            file=skills_root / name,
            fix="choose another name or edit the existing skill",
        )

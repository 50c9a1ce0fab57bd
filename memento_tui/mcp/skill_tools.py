"""Finding and reading skills: ``find_skills``, ``load_skill``, ``read_skill_file`` and the
``skill://NAME`` resources.

The ranking is the one ``memento search`` prints (``SkillIndex.search``: BM25, meaning and
learned outcomes), with the same ``why``. One skill is read on its own (never the whole
library: 10k SKILL.md files take seconds to parse), through the same loader as everywhere,
and files through ``ConfinedPath``: no link followed, nothing outside the skill, capped.
Text from a skill reaches the client with its hidden and control characters marked
(``terminal_safe``): tag characters and bidi controls are how instructions hide in a page.
"""

from __future__ import annotations

import base64
import os
import threading
from typing import Any

from memento_tui.domain.confined import ConfinedPath, PathRefused
from memento_tui.domain.errors import SkillError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.skills import MAX_SKILL_MD_BYTES, Skill, did_you_mean, load_skill
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.domain.skills.protection import protection_of
from memento_tui.mcp import checks
from memento_tui.mcp.session import McpSession, Step

MAX_READ_BYTES = 200_000  # what the agent's read_skill_file returns, too
MAX_FILES_LISTED = 500
RESOURCE_PAGE = 500
URI_PREFIX = "skill://"


def skill_uri(name: str) -> str:
    return URI_PREFIX + name


def find_skill(session: McpSession, name: object, field: str = "skill") -> Skill:
    """The skill folder ``skills/<name>``, loaded on its own, or a refusal with the names
    it may have meant."""
    checked = checks.skill_name(name, field)
    folder = session.services.paths.skills / checked
    if not folder.is_dir() and not folder.is_symlink():
        close = did_you_mean(checked, session.services.index().skill_names())
        hint = f"did you mean {', '.join(close)}?" if close else "find_skills lists the skills"
        raise checks.CallRefused(f"no skill named {checked!r}", field=field, fix=hint)
    return load_skill(folder)


def find_skills(session: McpSession, task: str, k: int | None = None) -> dict[str, Any]:
    task = checks.task(task)
    top = checks.top_k(k, session.services.workspace.config.retrieval.top_k)
    hits = session.services.index().search(task, top)
    found = [
        {
            "name": hit.name,
            "description": terminal_safe(hit.description),
            "score": round(hit.score, 4),
            "why": [terminal_safe(reason) for reason in hit.why],
        }
        for hit in hits
    ]
    session.remember_search(task, found)
    answer: dict[str, Any] = {"skills": found}
    if not found:
        answer["note"] = "no skill matches; work without one, or word the task differently"
    return answer


def load(session: McpSession, name: str) -> dict[str, Any]:
    skill = find_skill(session, name, "name")
    text, _ = _read_text(ConfinedPath(skill.dir, (SKILL_FILE,), f"{skill.name}/{SKILL_FILE}"))
    files = [f for f in skill.files() if f != SKILL_FILE]
    sandbox = session.services.sandbox()
    answer = {
        "name": skill.name,
        "description": terminal_safe(skill.description),
        "skill_md": text,
        "files": files[:MAX_FILES_LISTED],
        "network": sandbox.may_use_network(skill.dir),
        "protected": protection_of(skill, session.services.workspace.config) is not None,
        "how_to_run": "run_skill_command mounts this skill read-only at /skill; "
        "the command runs in /work, a fresh folder holding the files you pass",
    }
    if len(files) > MAX_FILES_LISTED:
        answer["files_note"] = f"{len(files)} files; the first {MAX_FILES_LISTED} are listed"
    session.note_step(
        skill.name,
        Step("load_skill", {"name": skill.name}, True, f"SKILL.md ({len(text)} characters) and {len(files)} files"),
    )
    return answer


def read_file(session: McpSession, name: str, path: str) -> dict[str, Any]:
    skill = find_skill(session, name, "name")
    target = ConfinedPath.parse(skill.dir, path, root_label="/skill")
    try:
        data, size = target.read(MAX_READ_BYTES)
    except PathRefused as err:
        listing = ", ".join(skill.files()[:50])
        raise checks.CallRefused(err.message, field="path", fix=f"name a file of {skill.name}: {listing}") from None
    answer: dict[str, Any] = {"name": skill.name, "path": target.label.removeprefix("/skill/"), "size": size}
    try:
        answer["text"] = terminal_safe(data.decode("utf-8"))
    except UnicodeDecodeError:
        answer["base64"] = base64.b64encode(data).decode("ascii")
    if size > len(data):
        answer["cut"] = f"only the first {len(data):,} of {size:,} bytes"
    session.note_step(
        skill.name, Step("read_skill_file", {"name": skill.name, "path": answer["path"]}, True, f"{size} bytes")
    )
    return answer


def _read_text(target: ConfinedPath) -> tuple[str, int]:
    data, size = target.read(MAX_SKILL_MD_BYTES)
    text = terminal_safe(data.decode("utf-8", "replace"))
    if size > len(data):
        text += f"\n… [the file is {size:,} bytes; only the first {len(data):,} are shown]"
    return text, size


# -- resources ------------------------------------------------------------------------


class SkillResources:
    """``skill://NAME`` for every skill the index knows, a page at a time, each with its
    description (read from its SKILL.md and kept until that file changes)."""

    def __init__(self, session: McpSession) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._described: dict[str, tuple[tuple[int, int], str]] = {}

    def page(self, cursor: str | None) -> tuple[list[dict[str, str]], str | None]:
        names = self.session.services.index().skill_names()
        start = _offset(cursor, len(names))
        chosen = names[start : start + RESOURCE_PAGE]
        out = []
        for name in chosen:
            description = self._description(name)
            if description is None:
                continue
            out.append({"uri": skill_uri(name), "name": name, "description": description})
        following = start + RESOURCE_PAGE
        return out, (str(following) if following < len(names) else None)

    def _description(self, name: str) -> str | None:
        folder = self.session.services.paths.skills / name
        try:
            st = os.stat(folder / SKILL_FILE, follow_symlinks=False)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            known = self._described.get(name)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            skill = load_skill(folder, check_links=False)
        except SkillError:
            return None
        text = terminal_safe(skill.description, single_line=True)
        with self._lock:
            self._described[name] = (stamp, text)
        return text

    def read(self, name: str) -> str:
        skill = find_skill(self.session, name, "uri")
        text, _ = _read_text(ConfinedPath(skill.dir, (SKILL_FILE,), f"{skill.name}/{SKILL_FILE}"))
        return text


def _offset(cursor: str | None, total: int) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or int(cursor) > total:
        raise checks.CallRefused(
            "the cursor is not one this server gave", field="cursor", fix="list again from the start"
        )
    return int(cursor)

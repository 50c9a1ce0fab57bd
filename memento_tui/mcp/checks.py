"""What a call may carry: names, text and sizes, checked before anything is touched.

An MCP client is another program's model, so its arguments are treated as a model's are
(docs/sandbox.md): file paths go through the rules of the agent's ``write_file``
(domain/confined.py) or of a patch (domain/patches/rules.py), tasks through
``check_task``; this module holds what is left. Every refusal is a ``CallRefused`` that
names the argument and the fix, and nothing has been written when it is raised.
"""

from __future__ import annotations

from typing import Any

from memento_tui.domain.confined import shown
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills import MAX_NAME, NAME_RE
from memento_tui.domain.tasks import check_task

MAX_TEXT_CHARS = 20_000  # a note, a reason
MAX_COMMAND_CHARS = 100_000
MAX_K = 50
MAX_INPUT_FILES = 200
MAX_INPUT_BYTES = 5_000_000  # one input file (the agent's write_file has the same cap)
MAX_INPUTS_BYTES = 20_000_000  # all the inputs of one command


class CallRefused(MementoError):
    """An argument the server will not act on."""


def skill_name(value: object, field: str = "skill") -> str:
    """A skill's name as the rest of Memento spells one: it never becomes a path otherwise."""
    if not isinstance(value, str) or not value:
        raise CallRefused(
            f"{field} must be a skill name", field=field, fix="give a name from find_skills, such as csv-json"
        )
    if len(value) > MAX_NAME or not NAME_RE.match(value):
        raise CallRefused(
            f"{shown(value)!r} is not a skill name",
            field=field,
            fix="skill names are 1-64 lowercase letters, digits and single hyphens",
        )
    return value


def text(value: object, field: str, *, limit: int = MAX_TEXT_CHARS, required: bool = True) -> str:
    """Free text (a note, a reason, a command): not empty when required, no NUL, capped."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise CallRefused(f"{field} must be text", field=field, fix=f"pass {field} as a string")
    if "\0" in value:
        raise CallRefused(f"{field} holds a NUL byte", field=field, fix="remove it")
    if len(value) > limit:
        raise CallRefused(
            f"{field} is {len(value):,} characters; the limit is {limit:,}",
            field=field,
            fix="say it shorter; put long material in a file",
        )
    stripped = value.strip()
    if required and not stripped:
        raise CallRefused(f"{field} is empty", field=field, fix=f"say what {field} is")
    return stripped


def task(value: object) -> str:
    """A task as ``memento run`` takes one (not blank, no NUL, at most 100,000 characters)."""
    if not isinstance(value, str):
        raise CallRefused("task must be text", field="task", fix="describe the task in words")
    return check_task(value)


def top_k(value: object, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_K:
        raise CallRefused(
            f"k must be a whole number from 1 to {MAX_K}",
            field="k",
            fix=f"leave it out for the workspace's default ({default})",
        )
    return value


def input_files(files: object) -> dict[str, bytes]:
    """The input files of a command as bytes, counted and capped (paths are checked when
    they are written, by the work dir's own rules)."""
    if files is None:
        return {}
    if not isinstance(files, dict):
        raise CallRefused(
            "files must map paths to their text", field="files", fix='e.g. {"people.csv": "name,age\\nAda,36\\n"}'
        )
    if len(files) > MAX_INPUT_FILES:
        raise CallRefused(
            f"{len(files)} input files; the limit is {MAX_INPUT_FILES}", field="files", fix="pack them into fewer files"
        )
    out: dict[str, bytes] = {}
    total = 0
    for path, content in files.items():
        if not isinstance(content, str):
            raise CallRefused(
                f"the content of {shown(str(path))!r} must be text",
                field="files",
                fix="pass each file's content as a string",
            )
        data = content.encode("utf-8", "replace")
        if len(data) > MAX_INPUT_BYTES:
            raise CallRefused(
                f"{shown(str(path))!r} is {len(data):,} bytes; the limit is {MAX_INPUT_BYTES:,}",
                field="files",
                fix="send a smaller file",
            )
        total += len(data)
        if total > MAX_INPUTS_BYTES:
            raise CallRefused(
                f"the input files are over {MAX_INPUTS_BYTES:,} bytes together",
                field="files",
                fix="send fewer or smaller files",
            )
        out[path] = data
    return out


def error_text(err: MementoError, root: Any = None) -> str:
    """A refusal as the calling agent reads it: what is wrong, then the fix. Paths inside
    the workspace are shown relative to it."""
    message = str(err)
    if root is not None:
        message = message.replace(f"{root}/", "")
    return message

"""The agent's tools and the code that carries them out.

Every path the model names is confined to the task's work dir (or, read-only, the
skill's folder); every command runs in the sandbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memento_tui.domain.agent.listing import list_folder
from memento_tui.domain.config import SandboxConfig
from memento_tui.domain.confined import ConfinedPath, PathRefused
from memento_tui.domain.errors import MementoError
from memento_tui.domain.paths import SKILL_FILE
from memento_tui.domain.skills import Skill

if TYPE_CHECKING:
    from memento_tui.domain.sandbox import Sandbox

MODEL_OUTPUT_CHARS = 8_000  # what the model sees of one tool's output
MAX_READ_BYTES = 200_000
MAX_WRITE_BYTES = 5_000_000


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


TOOLS: list[dict[str, Any]] = [
    _fn(
        "load_skill",
        "Read a skill's full SKILL.md and list its files. Mounts it at /skill for run.",
        {"name": {"type": "string", "description": "skill name"}},
        ["name"],
    ),
    _fn(
        "read_skill_file",
        "Read one file of a skill, e.g. references/format.md.",
        {
            "name": {"type": "string"},
            "path": {"type": "string", "description": "path inside the skill"},
        },
        ["name", "path"],
    ),
    _fn(
        "run",
        "Run a shell command in the sandbox (cwd /work; the loaded skill at /skill).",
        {
            "command": {"type": "string"},
            "skill": {
                "type": "string",
                "description": "skill to mount at /skill; default: the last loaded",
            },
        },
        ["command"],
    ),
    _fn("read_file", "Read a text file from /work.", {"path": {"type": "string"}}, ["path"]),
    _fn(
        "write_file",
        "Write a text file in /work.",
        {"path": {"type": "string"}, "content": {"type": "string"}},
        ["path", "content"],
    ),
    _fn("list_files", "List files in /work (or a folder in it).", {"path": {"type": "string"}}, []),
    _fn(
        "finish",
        "End the task with a short answer; success says whether it was done.",
        {"answer": {"type": "string"}, "success": {"type": "boolean"}},
        ["answer", "success"],
    ),
]
TOOL_NAMES = {t["function"]["name"] for t in TOOLS}


@dataclass
class ToolOutcome:
    ok: bool
    output: str
    exit_code: int | None = None
    limit: str | None = None
    skill: str | None = None
    duration: float = 0.0
    sandboxed: bool | None = None
    finished: bool = False
    success: bool = False
    cancelled: bool = False  # the person stopped the run while the command ran


class ToolError(Exception):
    """A tool call the model got wrong; the message goes back to the model."""


@dataclass
class Toolbox:
    work_dir: Path
    skills: dict[str, Skill]
    sandbox: Sandbox
    sandbox_config: SandboxConfig
    on_output: Callable[[str, str], None] | None = None
    cancel: threading.Event | None = None  # set by the person: the command is killed at once
    loaded: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)

    def execute(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Carry out one call. Whatever goes wrong becomes a result the model reads, and
        the run goes on: a tool call can never abort a run."""
        started = time.monotonic()
        try:
            if "_unparsed" in arguments:
                raise ToolError(f"the arguments were not valid JSON: {arguments['_unparsed'][:200]!r}")
            handler = getattr(self, f"_tool_{name}", None)
            if name not in TOOL_NAMES or handler is None:
                raise ToolError(f"there is no tool {name!r}; the tools are: {', '.join(sorted(TOOL_NAMES))}")
            outcome: ToolOutcome = handler(**arguments)
        except TypeError as err:
            outcome = ToolOutcome(False, f"bad arguments for {name}: {err}")
        except ToolError as err:
            outcome = ToolOutcome(False, str(err))
        except MementoError as err:  # a refused path; the sandbox refused to start
            outcome = ToolOutcome(False, str(err))
        except OSError as err:
            # strerror, not str(err): that names host paths the model has no business seeing.
            outcome = ToolOutcome(False, f"{name} failed: {err.strerror or type(err).__name__}")
        except Exception as err:  # a symlink loop, RecursionError, UnicodeError, a bug
            outcome = ToolOutcome(False, f"{name} failed: {type(err).__name__}: {err}")
        outcome.output = _text(outcome.output)
        outcome.duration = time.monotonic() - started
        return outcome

    # -- skills --------------------------------------------------------------------
    def _skill(self, name: str) -> Skill:
        skill = self.skills.get(name)
        if skill is None:
            raise ToolError(f"no skill named {name!r}; the skills are: {', '.join(sorted(self.skills)) or 'none'}")
        return skill

    def _mark_used(self, name: str) -> None:
        if name not in self.used:
            self.used.append(name)

    def _tool_load_skill(self, name: str) -> ToolOutcome:
        skill = self._skill(name)
        if name not in self.loaded:
            self.loaded.append(name)
        self._mark_used(name)
        files = "\n".join(f"- {f}" for f in skill.files() if f != "SKILL.md")
        text = _read_text(ConfinedPath(skill.dir, (SKILL_FILE,), f"{name}/{SKILL_FILE}"))
        return ToolOutcome(
            True,
            f"{text}\n\nFiles (at /skill when you run commands):\n{files or '- (none)'}",
            skill=name,
        )

    def _tool_read_skill_file(self, name: str, path: str) -> ToolOutcome:
        skill = self._skill(name)
        target = ConfinedPath.parse(skill.dir, path, root_label="/skill")
        try:
            return ToolOutcome(True, _read_text(target), skill=name)
        except PathRefused as err:
            listing = ", ".join(skill.files()[:50])
            raise ToolError(f"{err}\n{name}'s files: {listing}") from None

    # -- commands ------------------------------------------------------------------
    def _tool_run(self, command: str, skill: str | None = None) -> ToolOutcome:
        name = skill or (self.loaded[-1] if self.loaded else None)
        skill_obj = self._skill(name) if name else None
        if skill_obj is not None:
            self._mark_used(skill_obj.name)
        result = self.sandbox.run(
            ["sh", "-c", command],
            work_dir=self.work_dir,
            skill_dir=skill_obj.dir if skill_obj else None,
            # Network only for a reviewed skill folder (never a patch being replayed).
            network=self.sandbox.may_use_network(skill_obj.dir) if skill_obj else False,
            on_output=self.on_output,
            cancel=self.cancel,
        )
        if result.cancelled:
            return ToolOutcome(False, "[cancelled by the person]", cancelled=True)
        parts = []
        if result.stdout:
            parts.append(result.stdout)
        if result.stderr:
            parts.append(f"[stderr]\n{result.stderr}")
        status = (
            f"[exit code {result.exit_code}]"
            if result.limit is None
            else f"[stopped: {result.limit} limit; exit code {result.exit_code}]"
        )
        parts.append(status)
        return ToolOutcome(
            ok=result.exit_code == 0 and result.limit is None,
            output="\n".join(parts),
            exit_code=result.exit_code,
            limit=result.limit,
            skill=skill_obj.name if skill_obj else None,
            sandboxed=result.sandboxed,
        )

    # -- files ---------------------------------------------------------------------
    def _tool_read_file(self, path: str) -> ToolOutcome:
        return ToolOutcome(True, _read_text(self._work_path(path)))

    def _tool_write_file(self, path: str, content: str) -> ToolOutcome:
        target = self._work_path(path, writing=True)
        if not isinstance(content, str):
            raise ToolError("content must be text")
        data = content.encode("utf-8", "replace")
        if len(data) > MAX_WRITE_BYTES:
            raise ToolError(f"content is over {MAX_WRITE_BYTES // 1_000_000} MB")
        target.write(data)
        return ToolOutcome(True, f"wrote {len(content)} characters to {target.label}")

    def _tool_list_files(self, path: str = ".") -> ToolOutcome:
        target = self._work_path(path)
        return ToolOutcome(True, list_folder(target.folder(), self.work_dir))

    def _work_path(self, path: object, *, writing: bool = False) -> ConfinedPath:
        return ConfinedPath.parse(self.work_dir, path, root_label="/work", writing=writing)

    def _tool_finish(self, answer: str, success: bool = True) -> ToolOutcome:
        return ToolOutcome(True, "finished", finished=True, success=bool(success))


def _read_text(target: ConfinedPath) -> str:
    data, size = target.read(MAX_READ_BYTES)
    text = data.decode("utf-8", errors="replace")
    if size > MAX_READ_BYTES:
        text += f"\n… [file is {size} bytes; only the first {MAX_READ_BYTES} shown]"
    return text


def _text(output: object) -> str:
    """Text that can be written to the trace: lone surrogates (names that are not UTF-8,
    escapes in the model's JSON) would make the trace writer fail."""
    return str(output).encode("utf-8", "replace").decode("utf-8")


def for_model(output: str) -> str:
    if len(output) <= MODEL_OUTPUT_CHARS:
        return output
    half = MODEL_OUTPUT_CHARS // 2
    return f"{output[:half]}\n… [{len(output) - MODEL_OUTPUT_CHARS} characters cut] …\n{output[-half:]}"

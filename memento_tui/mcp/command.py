"""``run_skill_command``: one command in Memento's sandbox, the skill at /skill, a fresh /work.

It runs as the agent's own ``run`` tool runs it: ``Sandbox.run(["sh", "-c", command])`` with
the skill read-only, the workspace's limits, and network only where the sandbox's rules give
it (a skill granted in the config, its reviewed folder in skills/, through the filtering
proxy); nothing here widens them. Each call gets a fresh work dir: the input files are
written into it by the rules of the agent's ``write_file`` (no ``..``, no links followed, no
git folders), and what the command left there that was not an unchanged input comes back,
capped, before the folder is removed.
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memento_tui.domain.confined import ConfinedPath
from memento_tui.domain.errors import MementoError
from memento_tui.domain.sandbox.handover import QUARANTINE_SUFFIX
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.domain.tree import files_under, remove_tree_quietly
from memento_tui.mcp import checks
from memento_tui.mcp.session import McpSession, Step
from memento_tui.mcp.skill_tools import find_skill

if TYPE_CHECKING:
    from memento_tui.domain.sandbox.result import SandboxResult

MAX_FILE_RETURNED = 256_000  # bytes of one output file sent back
MAX_RETURNED = 2_000_000  # bytes of all output files sent back
MAX_FILES_SEEN = 2_000  # files looked at in the work dir after the run
MAX_FILES_RETURNED = 100
TRACE_OUTPUT_CHARS = 20_000


def run_command(
    session: McpSession,
    skill: str,
    command: str,
    files: dict[str, str] | None = None,
    *,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    chosen = find_skill(session, skill)
    text = checks.text(command, "command", limit=checks.MAX_COMMAND_CHARS)
    inputs = checks.input_files(files)
    sandbox = session.services.sandbox()
    work = Path(tempfile.mkdtemp(prefix="memento-mcp-"))
    try:
        # Under root the sandbox runs as an unprivileged uid, which must reach the folder.
        work.chmod(0o755)
        given: dict[str, bytes] = {}
        for path, data in inputs.items():
            target = ConfinedPath.parse(work, path, root_label="/work", writing=True)
            target.write(data)
            given["/".join(target.parts)] = data
        result = sandbox.run(
            ["sh", "-c", text],
            work_dir=work,
            skill_dir=chosen.dir,
            network=sandbox.may_use_network(chosen.dir),
            cancel=cancel,
        )
        outputs, note = _outputs(work, given)
    finally:
        remove_tree_quietly(work)
    answer = _answer(result, outputs, note)
    session.note_inputs(chosen.name, given)
    session.note_step(
        chosen.name,
        Step(
            "run",
            {"command": text, "skill": chosen.name, "inputs": sorted(given)},
            result.ok,
            _trace_output(result.stdout, result.stderr, result.exit_code, result.limit),
            exit_code=result.exit_code,
            limit=result.limit,
            duration=result.duration,
            sandboxed=result.sandboxed,
        ),
    )
    return answer


def _answer(result: SandboxResult, outputs: list[dict[str, Any]], note: str) -> dict[str, Any]:
    """The call's answer: how the command ended, its output (control characters marked),
    the files it wrote, and only the notes that apply."""
    answer: dict[str, Any] = {
        "exit_code": result.exit_code,
        "ok": result.ok,
        "stdout": terminal_safe(result.stdout),
        "stderr": terminal_safe(result.stderr),
        "limit": result.limit,
        "seconds": round(result.duration, 3),
        "sandboxed": result.sandboxed,
        "output_cut": result.truncated,
        "files": outputs,
    }
    if note:
        answer["files_note"] = note
    if result.cancelled:
        answer["cancelled"] = True
    if result.notes:
        answer["notes"] = [terminal_safe(n) for n in result.notes]
    if result.network_reached:
        answer["network_reached"] = list(result.network_reached)
    if result.warning:
        answer["warning"] = terminal_safe(result.warning)
    return answer


def _outputs(work: Path, given: dict[str, bytes]) -> tuple[list[dict[str, Any]], str]:
    """The files the command wrote or changed, and a note when not all of them are sent."""
    seen = files_under(work, limit=MAX_FILES_SEEN)
    out: list[dict[str, Any]] = []
    budget = MAX_RETURNED
    skipped = 0
    for rel, _st in seen:
        parts = tuple(rel.split("/"))
        if any(part.endswith(QUARANTINE_SUFFIX) for part in parts):
            continue  # a git folder the command made: kept from the host (handover.py)
        target = ConfinedPath(work, parts, "/work/" + rel)
        try:
            if rel in given and _same(target, given[rel]):
                continue
            if len(out) >= MAX_FILES_RETURNED or budget <= 0:
                skipped += 1
                continue
            data, size = target.read(min(MAX_FILE_RETURNED, budget))
        except (MementoError, OSError):
            continue  # swapped for a link or a FIFO since the walk: not a file to send
        budget -= len(data)
        out.append(_file_answer(rel, data, size))
    note = ""
    if skipped:
        note = f"{skipped} more files were written; only the first {len(out)} are sent"
    if len(seen) >= MAX_FILES_SEEN:
        note = (note + "; " if note else "") + f"the work dir held over {MAX_FILES_SEEN} files"
    return out, note


def _same(target: ConfinedPath, data: bytes) -> bool:
    now, size = target.read(len(data) + 1)
    return size == len(data) and now == data


def _file_answer(rel: str, data: bytes, size: int) -> dict[str, Any]:
    # Names from the sandbox need not be UTF-8, and may hold escapes.
    shown = terminal_safe(os.fsencode(rel).decode("utf-8", "replace"), single_line=True)
    answer: dict[str, Any] = {"path": shown, "size": size}
    try:
        answer["text"] = terminal_safe(data.decode("utf-8"))
    except UnicodeDecodeError:
        answer["base64"] = base64.b64encode(data).decode("ascii")
    if size > len(data):
        answer["cut"] = f"only the first {len(data):,} of {size:,} bytes"
    return answer


def _trace_output(stdout: str, stderr: str, exit_code: int | None, limit: str | None) -> str:
    parts = [stdout] if stdout else []
    if stderr:
        parts.append(f"[stderr]\n{stderr}")
    parts.append(f"[exit code {exit_code}]" if limit is None else f"[stopped: {limit} limit; exit code {exit_code}]")
    text = "\n".join(parts)
    if len(text) > TRACE_OUTPUT_CHARS:
        half = TRACE_OUTPUT_CHARS // 2
        text = f"{text[:half]}\n… [cut] …\n{text[-half:]}"
    return text

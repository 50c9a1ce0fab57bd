"""What one ``memento mcp`` process remembers between calls, for one client.

A reported outcome becomes a run like the agent's own, so it carries what the calling
agent did on the way: the skills ``find_skills`` returned for that task, and the skill
loads, reads and commands made with that skill since its last report. Those become the
run's trace, which is what ``memento reflect`` reads, and the input files those commands
were given become the run's inputs, which a replay starts from. A failed outcome is
remembered per skill, so a fix proposed next is tied to it (its evidence, and its replay).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from memento_tui.mcp.calllog import CallLog
from memento_tui.mcp.checks import MAX_INPUTS_BYTES
from memento_tui.services.factory import Services

SEARCHES_KEPT = 50
STEPS_KEPT = 60  # per skill; a run's trace keeps the last ones


@dataclass(frozen=True)
class Step:
    """One call worth a line in a reported run's trace, named as the agent's tool is."""

    tool: str  # load_skill, read_skill_file, run
    arguments: dict[str, Any]
    ok: bool
    output: str
    exit_code: int | None = None
    limit: str | None = None
    duration: float = 0.0
    sandboxed: bool | None = None


@dataclass
class McpSession:
    services: Services
    log: CallLog
    client: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _searches: OrderedDict[str, list[dict[str, Any]]] = field(default_factory=OrderedDict, repr=False)
    _steps: dict[str, list[Step]] = field(default_factory=dict, repr=False)
    _failed: dict[str, str] = field(default_factory=dict, repr=False)
    _inputs: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, services: Services) -> McpSession:
        return cls(services=services, log=CallLog(services.paths))

    # -- searches ------------------------------------------------------------------
    def remember_search(self, task: str, hits: list[dict[str, Any]]) -> None:
        with self._lock:
            self._searches[_key(task)] = hits
            self._searches.move_to_end(_key(task))
            while len(self._searches) > SEARCHES_KEPT:
                self._searches.popitem(last=False)

    def search_for(self, task: str) -> list[dict[str, Any]] | None:
        with self._lock:
            return self._searches.get(_key(task))

    # -- steps ---------------------------------------------------------------------
    def note_step(self, skill: str, step: Step) -> None:
        with self._lock:
            steps = self._steps.setdefault(skill, [])
            steps.append(step)
            del steps[:-STEPS_KEPT]

    def note_inputs(self, skill: str, files: dict[str, bytes]) -> None:
        """Input files given to a command of ``skill`` (a later file of the same name wins;
        past the cap, the oldest are forgotten)."""
        with self._lock:
            kept = self._inputs.setdefault(skill, {})
            for path, data in files.items():
                kept.pop(path, None)
                kept[path] = data
            while kept and sum(len(d) for d in kept.values()) > MAX_INPUTS_BYTES:
                kept.pop(next(iter(kept)))

    def take_steps(self, skill: str) -> tuple[list[Step], dict[str, bytes]]:
        """The steps made with ``skill`` since its last report and the input files they were
        given (and forget both)."""
        with self._lock:
            return self._steps.pop(skill, []), self._inputs.pop(skill, {})

    # -- failures ------------------------------------------------------------------
    def note_failure(self, skill: str, run_id: str) -> None:
        with self._lock:
            self._failed[skill] = run_id

    def last_failure(self, skill: str) -> str | None:
        with self._lock:
            return self._failed.get(skill)


def _key(task: str) -> str:
    return " ".join(task.split())

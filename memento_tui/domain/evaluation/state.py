"""The state of one eval, saved after every step so an interrupted eval resumes.

    .memento/eval/<suite>-<id>/                  a git clone of the workspace (throw-away)
    .memento/eval/<suite>-<id>/.memento/eval/    state.json, report.md, report.json

state.json is rewritten atomically (temp file + os.replace) after each task, each
reflection and each merge, so a crash loses at most the step in flight, which is redone.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memento_tui.domain.errors import MementoError
from memento_tui.domain.files import atomic_write
from memento_tui.domain.formats import UPGRADES, Versioned

STATE_NAME = "state.json"
EvalStatus = Literal["running", "finished"]


class TaskResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    task_id: str
    run_id: str | None = None
    status: str  # passed, failed, error, interrupted
    tokens: int = 0
    cost_usd: float = 0.0
    skills_used: list[str] = Field(default_factory=list)
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


class LearnResult(BaseModel):
    """What reflection and writing made of one failed task."""

    model_config = ConfigDict(extra="allow")

    task_id: str
    run_id: str
    status: str  # learn_from_run's status (patched, no_fix, ...) or "error"
    category: str | None = None
    patch_id: str | None = None
    skill: str | None = None
    validated: bool = False
    tokens: int = 0
    cost_usd: float = 0.0
    error: str = ""


class MergeOutcome(BaseModel):
    model_config = ConfigDict(extra="allow")

    patch_id: str
    skill: str | None = None
    task_id: str = ""
    merged: bool
    commit: str | None = None
    error: str = ""


class RoundState(BaseModel):
    model_config = ConfigDict(extra="allow")

    number: int
    started: float = Field(default_factory=time.time)
    finished: float | None = None
    skills: list[str] = Field(default_factory=list)  # the library when the round began
    tasks: dict[str, TaskResult] = Field(default_factory=dict)
    learning_done: bool = False
    taught: bool = False  # retrieval learned from the round's verdicts (at its end)
    # Tasks retrieval already learned from one by one, as an eval begun by a Memento older
    # than round-end teaching did: teaching the round must not count them twice.
    taught_tasks: list[str] = Field(default_factory=list)
    learned: dict[str, LearnResult] = Field(default_factory=dict)  # by task id
    merges: list[MergeOutcome] = Field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for t in self.tasks.values() if t.passed)

    @property
    def success_rate(self) -> float | None:
        return self.passed / len(self.tasks) if self.tasks else None

    @property
    def run_tokens(self) -> int:
        return sum(t.tokens for t in self.tasks.values())

    @property
    def learn_tokens(self) -> int:
        return sum(result.tokens for result in self.learned.values())

    @property
    def cost_usd(self) -> float:
        return sum(t.cost_usd for t in self.tasks.values()) + sum(r.cost_usd for r in self.learned.values())

    @property
    def proposed(self) -> int:
        return sum(1 for r in self.learned.values() if r.patch_id)

    @property
    def validated(self) -> int:
        return sum(1 for r in self.learned.values() if r.patch_id and r.validated)

    @property
    def merged(self) -> int:
        return sum(1 for m in self.merges if m.merged)


def _eval_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 rounds written before round-end teaching (no ``taught`` field) had each
    task taught as it finished: those tasks are marked taught."""
    for rnd in data.get("rounds") or []:
        if isinstance(rnd, dict) and "taught" not in rnd:
            rnd["taught_tasks"] = sorted(rnd.get("tasks") or {})
    return data


UPGRADES[("eval", 1)] = _eval_v1_to_v2


class EvalState(Versioned):
    model_config = ConfigDict(extra="allow")
    FORMAT = "eval"
    id: str
    suite_name: str
    suite_path: str
    suite_sha256: str
    task_ids: list[str]  # the tasks this eval runs, in order
    rounds_target: int = Field(ge=1)
    learn: bool = True
    model: str = ""
    source_root: str
    source_main: str  # the commit of the person's main that was cloned
    main_branch: str = "main"
    clone: str
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    status: EvalStatus = "running"
    rounds: list[RoundState] = Field(default_factory=list)

    @property
    def folder_name(self) -> str:
        return Path(self.clone).name

    def first_passed(self) -> dict[str, int | None]:
        """Per task, the first round it passed in (None: never)."""
        out: dict[str, int | None] = {t: None for t in self.task_ids}
        for rnd in self.rounds:
            for task_id, result in rnd.tasks.items():
                if result.passed and out.get(task_id) is None:
                    out[task_id] = rnd.number
        return out


def new_eval_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


def state_file(clone: Path) -> Path:
    return clone / ".memento" / "eval" / STATE_NAME


def save_state(state: EvalState) -> None:
    state.updated = time.time()
    atomic_write(state_file(Path(state.clone)), state.model_dump_json(indent=2).encode("utf-8"))


def load_state(clone: Path) -> EvalState:
    path = state_file(clone)
    try:
        return EvalState.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MementoError(
            "no eval state here", file=path, fix="see 'memento eval --list' for the evals there are"
        ) from None
    except (OSError, ValueError, ValidationError) as err:
        raise MementoError(
            f"the eval state cannot be read: {str(err).splitlines()[0]}",
            file=path,
            fix="start a new eval (memento eval SUITE --new); this one's runs stay in its folder",
        ) from None


def list_evals(eval_dir: Path) -> list[EvalState]:
    """Every eval with a readable state, newest first."""
    out: list[EvalState] = []
    if not eval_dir.is_dir():
        return out
    for folder in eval_dir.iterdir():
        if not state_file(folder).is_file():
            continue
        try:
            out.append(load_state(folder))
        except MementoError:
            continue
    return sorted(out, key=lambda s: (-s.created, s.id))

"""Which eval ``memento eval`` runs: a new one, in a fresh clone of the workspace's main,
or one to resume; and where an eval's reports are written. The rounds themselves are in
services/evaluation.py."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from memento_tui.domain.errors import MementoError
from memento_tui.domain.evaluation.report import report_data, report_markdown
from memento_tui.domain.evaluation.state import EvalState, list_evals, new_eval_id, save_state
from memento_tui.domain.evaluation.suite import LoadedSuite
from memento_tui.domain.files import atomic_write
from memento_tui.domain.git_repo import GitRepo
from memento_tui.domain.tree import remove_tree_quietly
from memento_tui.services.factory import Services


@dataclass
class EvalOptions:
    rounds: int | None = None  # None: 3 for a new eval, the saved target when resuming
    resume: str | None = None  # an eval id (or a unique prefix, or its folder name)
    new: bool = False  # never auto-resume
    learn: bool = True
    task_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    jobs: int = 0  # tasks of a round run at once; 0: one per core


DEFAULT_ROUNDS = 3


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:40] or "suite"


def find_eval(services: Services, ref: str) -> EvalState:
    evals = list_evals(services.paths.eval)
    exact = [s for s in evals if ref in (s.id, s.folder_name)]
    matches = exact or [s for s in evals if s.id.startswith(ref) or s.folder_name.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MementoError(
            f"no eval {ref!r}",
            file=services.paths.eval,
            fix="'memento eval --list' shows the evals in this workspace",
        )
    raise MementoError(f"{ref!r} matches {len(matches)} evals", fix="give more of the id")


def report_paths(state: EvalState) -> tuple[Path, Path]:
    folder = Path(state.clone) / ".memento" / "eval"
    return folder / "report.md", folder / "report.json"


def write_reports(state: EvalState, suite: LoadedSuite | None = None) -> tuple[Path, Path]:
    tags = {t.id: list(t.tags) for t in suite.tasks} if suite else {}
    md, js = report_paths(state)
    md.parent.mkdir(parents=True, exist_ok=True)
    for path, text in (
        (md, report_markdown(state, tags)),
        (js, json.dumps(report_data(state, tags), indent=2, default=str) + "\n"),
    ):
        atomic_write(path, text.encode("utf-8"))
    return md, js


def _clone_workspace(services: Services, dest: Path) -> tuple[str, str]:
    """``git clone`` the workspace's main into ``dest``; return (main branch, its commit)."""
    store = services.patches()
    main = store.main_branch()
    tip = store.main_tip()
    dest.parent.mkdir(parents=True, exist_ok=True)
    store.repo.git(
        "clone",
        "-q",
        "--no-hardlinks",
        "--branch",
        main,
        "--",
        str(services.paths.root),
        str(dest),
        cwd=dest.parent,
    )
    clone = GitRepo(dest)
    # No way back: nothing in the clone can push to, or fetch into, the person's repository.
    clone.git("remote", "remove", "origin")
    head = clone.out("rev-parse", "HEAD")
    if head != tip:
        remove_tree_quietly(dest)
        raise MementoError("the clone does not start from the workspace's main", file=dest, fix="try again")
    return main, tip


def start_eval(services: Services, suite: LoadedSuite, task_ids: list[str], options: EvalOptions) -> EvalState:
    eval_id = new_eval_id()
    dest = services.paths.eval / f"{_slug(suite.name)}-{eval_id}"
    main, tip = _clone_workspace(services, dest)
    learn = options.learn and services.workspace.config.learning.enabled
    state = EvalState(
        id=eval_id,
        suite_name=suite.name,
        suite_path=str(suite.path),
        suite_sha256=suite.sha256,
        task_ids=task_ids,
        rounds_target=options.rounds or DEFAULT_ROUNDS,
        learn=learn,
        model=services.workspace.config.model.name,
        source_root=str(services.paths.root),
        source_main=tip,
        main_branch=main,
        clone=str(dest.resolve()),
    )
    save_state(state)
    return state


def resumable_eval(services: Services, suite: LoadedSuite, task_ids: list[str]) -> EvalState | None:
    for state in list_evals(services.paths.eval):
        if (
            state.status == "running"
            and state.suite_name == suite.name
            and state.suite_sha256 == suite.sha256
            and state.task_ids == task_ids
        ):
            return state
    return None

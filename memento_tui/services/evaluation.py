"""``memento eval``: a task suite run round after round, learning in between.

Everything happens in a throw-away git clone of the workspace under
``.memento/eval/<suite>-<id>/``, driven through its own Services: runs, reflections,
patch branches and the automatic merges of validated patches all land in the clone. The
person's main, checkout and index are never touched; this is the only place memento
merges without a person, and only because nothing here reaches their repository.

Round r runs every task; if another round follows, each failed task is reflected on,
a fix is written and validated by replay (services.learning), and the validated patches
are merged into the clone's main, so round r+1 meets the improved library. The state is
saved after every step (domain.evaluation.state), so an interrupted eval resumes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.agent.teaching import teach
from memento_tui.domain.errors import MementoError
from memento_tui.domain.evaluation.state import (
    EvalState,
    LearnResult,
    MergeOutcome,
    RoundState,
    TaskResult,
    save_state,
)
from memento_tui.domain.evaluation.suite import LoadedSuite, SuiteTask, load_suite
from memento_tui.domain.paths import WorkspacePaths
from memento_tui.domain.sandbox.policy import same_as_in
from memento_tui.domain.workspace import Workspace
from memento_tui.services.eval_setup import (
    EvalOptions,
    find_eval,
    report_paths,
    resumable_eval,
    start_eval,
    write_reports,
)
from memento_tui.services.factory import Services, make_services
from memento_tui.services.learning import learn_from_run

__all__ = ["EvalOptions", "EvalOutcome", "find_eval", "run_eval", "write_reports"]

Progress = Callable[[str], None]


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass
class EvalOutcome:
    state: EvalState
    report_md: Path
    report_json: Path
    resumed: bool = False


class _Evaluation:
    def __init__(
        self,
        services: Services,
        suite: LoadedSuite,
        state: EvalState,
        progress: Progress,
        jobs: int = 1,
    ) -> None:
        self.person = services
        self.suite = suite
        self.state = state
        self.progress = progress
        self.jobs = max(1, jobs)
        self.cancel = threading.Event()  # set when the eval is interrupted
        self.tasks: dict[str, SuiteTask] = {t.id: t for t in suite.tasks}

    # -- the clone ---------------------------------------------------------------------
    def clone_services(self) -> Services:
        """Services for the clone, with the person's current config (model, sandbox)."""
        clone = Path(self.state.clone)
        eval_dir = self.person.paths.eval.resolve()
        if eval_dir not in clone.resolve().parents or not (clone / ".git").is_dir():
            raise MementoError(
                "the eval folder is not a clone inside .memento/eval/; refusing to run there",
                file=clone,
                fix="start a new eval with --new",
            )
        workspace = Workspace(WorkspacePaths(clone.resolve()), _config=self.person.workspace.config)
        # The clone's skills are reviewed only while they are the person's, byte for byte:
        # a patch the eval merged on its own branch never gets the network.
        services = make_services(
            workspace,
            allow_unsandboxed=self.person.allow_unsandboxed,
            reviewed=same_as_in(self.person.paths.skills),
        )
        # Belt and braces: the clone must be its own repository, never the person's.
        if services.patches().common_dir == self.person.patches().common_dir:
            raise MementoError(
                "the eval clone shares the workspace's git directory; refusing to merge there",
                file=clone,
                fix="remove the folder and start a new eval with --new",
            )
        return services

    # -- the rounds --------------------------------------------------------------------
    def go(self) -> EvalState:
        state = self.state
        for number in range(1, state.rounds_target + 1):
            if number > len(state.rounds):
                services = self.clone_services()
                try:
                    skills = sorted(services.library().skills)
                finally:
                    services.close()
                state.rounds.append(RoundState(number=number, skills=skills))
                save_state(state)
            rnd = state.rounds[number - 1]
            if rnd.finished is None:
                self._run_round(rnd)
            if number < state.rounds_target and state.learn and not rnd.learning_done:
                self._learn(rnd)
        state.status = "finished"
        save_state(state)
        write_reports(state, self.suite)
        return state

    def _run_round(self, rnd: RoundState) -> None:
        """The round's tasks, ``jobs`` at a time, each in its own run folder and sandbox.

        Nothing a task does reaches another task of the same round: retrieval learns from
        the round's verdicts at its end, in the suite's order, and merges happen between
        rounds, so a round's results do not depend on how many ran at once."""
        services = self.clone_services()
        total = len(self.state.task_ids)
        jobs = self.jobs
        self.progress(
            f"round {rnd.number}/{self.state.rounds_target}: {total} tasks, {len(rnd.skills)} "
            f"skills" + (f", {jobs} at a time" if jobs > 1 else "")
        )
        todo = [t for t in self.state.task_ids if t not in rnd.tasks]
        lock = threading.Lock()
        try:
            with _pool(jobs, "eval-task", self.cancel) as pool:
                running = {pool.submit(self._run_task, services, task_id): task_id for task_id in todo}
                for future in as_completed(running):
                    task_id = running[future]
                    result = future.result()
                    with lock:  # one writer of the state file at a time
                        rnd.tasks[task_id] = result
                        save_state(self.state)
                    index = self.state.task_ids.index(task_id) + 1
                    self.progress(
                        f"  [{index}/{total}] {task_id}: {result.status}"
                        f" ({result.tokens} tokens; skills: {', '.join(result.skills_used) or 'none'})"
                    )
            self._teach(services, rnd)
        finally:
            services.close()
        rnd.finished = time.time()
        save_state(self.state)
        write_reports(self.state, self.suite)
        self.progress(f"round {rnd.number}: {rnd.passed}/{len(rnd.tasks)} passed")

    def _run_task(self, services: Services, task_id: str) -> TaskResult:
        task = self.tasks[task_id]
        self.progress(f"  started {task_id}")
        record = services.agent().run(
            RunRequest(
                task=task.prompt, check=task.check, inputs=self.suite.input_paths(task), learn=False
            ),  # taught at the round's end (_teach)
            cancel=self.cancel,
        )
        return TaskResult(
            task_id=task_id,
            run_id=record.id,
            status=record.status,
            tokens=record.prompt_tokens + record.completion_tokens,
            cost_usd=record.cost_usd,
            skills_used=list(record.skills_used),
            detail=record.verdict_detail,
        )

    def _teach(self, services: Services, rnd: RoundState) -> None:
        """Retrieval learns from the round's verdicts, in the suite's order."""
        if rnd.taught or not services.workspace.config.retrieval.learn:
            return
        runs = services.runs()
        for task_id in self.state.task_ids:
            result = rnd.tasks.get(task_id)
            if result is not None and result.run_id and task_id not in rnd.taught_tasks:
                teach(services.index(), runs.load(result.run_id))
        rnd.taught = True
        save_state(self.state)

    def _learn(self, rnd: RoundState) -> None:
        failed = [r for r in rnd.tasks.values() if r.status == "failed" and r.run_id]
        if failed:
            self.progress(f"learning from round {rnd.number}: {len(failed)} failed task(s)")
        services = self.clone_services()
        lock = threading.Lock()
        try:
            # Each failure is learned from on its own (patches start from the clone's main,
            # which moves only at the merges below), so they can go side by side.
            todo = [r for r in failed if r.task_id not in rnd.learned]
            with _pool(self.jobs, "eval-learn", self.cancel) as pool:
                running = {pool.submit(self._learn_one, services, r): r.task_id for r in todo}
                for future in as_completed(running):
                    with lock:
                        rnd.learned[running[future]] = future.result()
                        save_state(self.state)
            self._merge_validated(services, rnd)
        finally:
            services.close()
        rnd.learning_done = True
        save_state(self.state)
        write_reports(self.state, self.suite)

    def _learn_one(self, services: Services, result: TaskResult) -> LearnResult:
        run_id = result.run_id or ""
        record = services.runs().load(run_id)
        if record.patch_id:
            # Interrupted after the patch was made: take it rather than make another.
            try:
                patch = services.patches().get(record.patch_id)
                return LearnResult(
                    task_id=result.task_id,
                    run_id=run_id,
                    status="patched",
                    category=record.failure_category,
                    patch_id=patch.id,
                    skill=patch.skill,
                    validated=patch.evidence.validated,
                )
            except MementoError:
                pass
        self.progress(f"  {result.task_id}: reflecting on run {run_id}")
        try:
            out = learn_from_run(services, run_id, lambda line: self.progress("  " + line))
        except MementoError as err:
            self.progress(f"  {result.task_id}: learning failed: {err.message}")
            return LearnResult(task_id=result.task_id, run_id=run_id, status="error", error=err.message)
        return LearnResult(
            task_id=result.task_id,
            run_id=run_id,
            status=out.status,
            category=out.reflection.category if out.reflection else None,
            patch_id=out.patch_id,
            skill=out.skill,
            validated=bool(out.validated),
            tokens=out.tokens,
            cost_usd=out.cost_usd,
            error=out.error or "",
        )

    def _merge_validated(self, services: Services, rnd: RoundState) -> None:
        done = {m.patch_id for m in rnd.merges}
        store = services.patches()
        # In the suite's order, whatever order the learning finished in.
        ordered = [rnd.learned[t] for t in self.state.task_ids if t in rnd.learned]
        for learned in ordered:
            if not learned.patch_id or not learned.validated or learned.patch_id in done:
                continue
            outcome = MergeOutcome(
                patch_id=learned.patch_id,
                skill=learned.skill,
                task_id=learned.task_id,
                merged=False,
            )
            try:
                if store.get(learned.patch_id).status == "merged":
                    outcome.merged = True  # merged before an interruption
                else:
                    result = store.merge(learned.patch_id)
                    outcome.merged, outcome.commit = True, result.merge_commit
            except MementoError as err:
                outcome.error = err.message
            rnd.merges.append(outcome)
            save_state(self.state)
            how = "merged into the eval clone" if outcome.merged else f"not merged: {outcome.error}"
            self.progress(f"  patch {learned.patch_id} ({learned.skill}): {how}")


@contextlib.contextmanager
def _pool(jobs: int, name: str, cancel: threading.Event) -> Iterator[ThreadPoolExecutor]:
    """Workers for a round; interrupted (Ctrl-C), the running tasks are told to stop at
    once (their sandboxed commands are killed) and the waiting ones never start."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix=name)
    try:
        yield pool
    except BaseException:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run_eval(
    services: Services,
    suite_path: Path | None,
    options: EvalOptions,
    on_progress: Progress | None = None,
) -> EvalOutcome:
    """Start, or resume, an eval; return its state and where the reports are."""
    progress = on_progress or (lambda _line: None)
    resumed = False
    if options.resume:
        state = find_eval(services, options.resume)
        suite = load_suite(Path(suite_path) if suite_path else Path(state.suite_path))
        if suite.sha256 != state.suite_sha256:
            raise MementoError(
                "the suite file changed since this eval began, so its rounds would not compare",
                file=suite.path,
                fix="restore the file, or start a new eval: memento eval SUITE --new",
            )
        resumed = True
    else:
        if suite_path is None:
            raise MementoError("which suite?", fix="memento eval benchmarks/suites/starter.yaml --rounds 3")
        suite = load_suite(Path(suite_path))
        task_ids = [t.id for t in suite.select(options.task_ids or None, options.tags or None)]
        if not task_ids:
            raise MementoError(
                "no task in the suite matches the --task/--tag filter",
                file=suite.path,
                fix="check the ids and tags in the suite",
            )
        found = None if options.new else resumable_eval(services, suite, task_ids)
        if found is not None:
            state, resumed = found, True
        else:
            state = start_eval(services, suite, task_ids, options)
    if resumed:
        if options.rounds and options.rounds != state.rounds_target:
            state.rounds_target = max(options.rounds, 1)
            state.status = "running"
        done = sum(1 for r in state.rounds for _ in r.tasks.values())
        progress(f"resuming eval {state.id} ({done} task runs already done)")
    else:
        progress(
            f"eval {state.id}: suite {suite.name}, {len(state.task_ids)} tasks, "
            f"{state.rounds_target} rounds, in {state.clone}"
        )
    jobs = options.jobs or default_jobs()
    final = _Evaluation(services, suite, state, progress, jobs).go()
    md, js = report_paths(final)
    return EvalOutcome(final, md, js, resumed)

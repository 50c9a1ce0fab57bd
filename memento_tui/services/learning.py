"""Reflect → Write → Replay for one failed run, through the same Services as everything.

Nothing here merges: the result is a patch branch with its evidence, waiting for review
(or a permission request, or a recorded failed reflection with nothing committed).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.agent.run_folder import SavedReflection
from memento_tui.domain.agent.runs import RunRecord
from memento_tui.domain.confined import ConfinedPath
from memento_tui.domain.errors import MementoError, SkillError
from memento_tui.domain.files import append_line
from memento_tui.domain.learning.models import CATEGORY_LABELS, Reflection
from memento_tui.domain.learning.outcome import LearningOutcome, LearningStatus, PermissionRequest
from memento_tui.domain.learning.reflect import changed_files, reflect, write_fix
from memento_tui.domain.llm import Usage
from memento_tui.domain.skills import NAME_RE, load_skill
from memento_tui.domain.skills.protection import companion_name, protection_of
from memento_tui.domain.tree import remove_tree_quietly
from memento_tui.domain.tree_copy import copy_tree
from memento_tui.services.factory import Services

if TYPE_CHECKING:
    from memento_tui.domain.patches.model import PatchEvidence

Progress = Callable[[str], None]


def _reachable(folder: str) -> None:
    """Temp dirs are 0700; under root the sandbox runs as an unprivileged uid that must be
    able to read the skill copies mounted from here (it never writes to them)."""
    Path(folder).chmod(0o755)


def _append_jsonl(path: Path, row: dict[str, Any]) -> None:
    append_line(path, json.dumps(row, default=str).encode("utf-8"))


class _Learner:
    def __init__(self, services: Services, run_id: str, progress: Progress) -> None:
        self.services = services
        self.runs = services.runs()
        self.run_id = self.runs.resolve(run_id)
        self.record = self.runs.load(self.run_id)
        self.progress = progress
        self.cfg = services.workspace.config.learning
        self.usage = Usage()
        self.found: dict[str, Any] = {}  # what the steps found, for the outcome
        self.companion_of: Any = None  # the protected skill a companion fix stands in for

    # -- helpers -----------------------------------------------------------------------
    def _save_reflection(self, saved: SavedReflection) -> None:
        self.runs.folder(self.run_id).save_reflection(saved)

    def _rejected(self, skill: str) -> list[str]:
        try:
            ideas = self.services.patches().rejected_ideas(skill)
        except MementoError:
            return []
        return [
            f"{r.reason} (rejected patch: {r.summary})" if getattr(r, "summary", "") else str(r.reason) for r in ideas
        ]

    def _finish(self, status: LearningStatus, **extra: Any) -> LearningOutcome:
        self.progress(f"  learning cost: {self.usage.total_tokens} tokens, ${self.usage.cost_usd:.4f}")
        return LearningOutcome(
            run_id=self.run_id,
            status=status,
            tokens=self.usage.total_tokens,
            cost_usd=round(self.usage.cost_usd, 6),
            **self.found,
            **extra,
        )

    # -- the steps ---------------------------------------------------------------------
    def go(self) -> LearningOutcome:
        if self.record.status != "failed":
            raise MementoError(
                f"run {self.run_id} is {self.record.status}, not failed",
                fix="reflect on a failed run; mark one failed with 'memento runs mark ID fail --note ...'",
            )
        events, _ = self.runs.trace(self.run_id)
        library = self.services.library()
        involved_names = list(dict.fromkeys([*self.record.skills_used, *self.record.skills_retrieved[:2]]))
        involved = [library.skills[n] for n in involved_names if n in library.skills]
        # Before a single token: a patch starts from main, so a skill the run used must be
        # on main as it is on disk, or the patch would be made against content nobody sees.
        for name in self.record.skills_used:
            if (unseen := self._not_on_main(name)) is not None:
                return unseen
        rejected = [idea for s in involved for idea in self._rejected(s.name)]
        self.progress("  reflecting on the failure…")
        model = self.services.model()
        answer = reflect(
            model,
            events=events,
            skills=involved,
            rejected=rejected,
            note=self.record.note,
            max_tokens=min(4000, self.cfg.reflect_max_tokens),
        )
        self.usage.add(answer.usage)
        if answer.value is None:
            self._save_reflection(SavedReflection(ok=False, error=answer.error or "", raw=answer.raw or ""))
            self.progress(f"  reflection failed: {answer.error} (recorded; nothing committed)")
            return self._finish("reflection_failed", error=answer.error)
        reflection = answer.value
        self._save_reflection(SavedReflection(ok=True, reflection=reflection))
        self.runs.update(self.run_id, failure_category=reflection.category)
        self.found["reflection"] = reflection
        label = CATEGORY_LABELS[reflection.category]
        self.progress(
            f"  reflection: {label}; weak skill: {reflection.weak_skill or 'none'}; step {reflection.decision_step}"
        )
        self.progress(f"    {reflection.missing_or_assumed}")
        if reflection.fix_kind == "none":
            return self._finish("no_fix")
        if reflection.fix_kind == "request_permission":
            return self._permission(reflection)
        return self._write(reflection, events, library)

    def _permission(self, reflection: Reflection) -> LearningOutcome:
        row = PermissionRequest(
            at=time.time(),
            run_id=self.run_id,
            skill=reflection.weak_skill,
            permission=reflection.permission or reflection.missing_or_assumed,
            summary=reflection.summary,
        )
        _append_jsonl(self.services.workspace.paths.state / "requests.jsonl", row.model_dump())
        self.progress(f"  permission request: {row.permission}")
        self.progress(
            "    memento never changes the sandbox policy itself; grant it in .memento/config.toml if you agree"
        )
        return self._finish("permission_requested", request=row)

    def _target(self, reflection: Reflection, library: Any) -> tuple[str, Path | None]:
        if reflection.fix_kind == "create_skill":
            name = (reflection.new_skill_name or "").strip()
            if not NAME_RE.match(name) or len(name) > 64:
                raise MementoError(f"the reflection proposed an invalid skill name {name!r}")
            if name in library.skills or (library.root / name).exists():
                return name, library.root / name  # it exists after all: patch it
            return name, None
        name = reflection.weak_skill or ""
        if name not in library.skills:
            raise MementoError(f"the reflection named a weak skill that does not exist: {name!r}")
        skill = library.skills[name]
        if protection_of(skill, self.services.workspace.config) is not None:
            # Never a branch touching a protected skill: the fix goes to its companion.
            self.companion_of = skill
            companion = companion_name(name)
            return companion, library.skills[companion].dir if companion in library.skills else None
        return name, skill.dir

    def _not_on_main(self, skill: str) -> LearningOutcome | None:
        """Stop, saying what to commit, when skills/<skill> on disk is not what main holds."""
        store = self.services.patches()
        folder = f"skills/{skill}"
        files = store.repo.differs_from(store.main_branch(), folder)
        if not files:
            return None
        shown = ", ".join(f.removeprefix(folder + "/") for f in files[:5])
        more = f" and {len(files) - 5} more" if len(files) > 5 else ""
        fix = f'git add {folder} && git commit -m "{skill}: my changes" -- {folder}'
        self.progress(f"  no learning: skill {skill} has changes that are not on {store.main_branch()} ({shown}{more})")
        self.progress(
            "    a patch starts from main and would be made against files you cannot "
            f"see in git; commit them first: {fix}"
        )
        return self._finish("skill_not_committed", skill=skill, files=files, fix=fix)

    def _write(self, reflection: Reflection, events: list[Any], library: Any) -> LearningOutcome:
        try:
            skill, skill_dir = self._target(reflection, library)
        except MementoError as err:
            self.progress(f"  no patch: {err.message}")
            return self._finish("no_patch", error=err.message)
        if skill_dir is not None and (unseen := self._not_on_main(skill)) is not None:
            return unseen
        if self.companion_of is not None:
            self.progress(f"  {self.companion_of.name} is protected: the fix goes to the companion skill {skill}")
            self.found["protected"] = self.companion_of.name
        self.progress(f"  writing a {'new skill' if skill_dir is None else 'patch'} for {skill}…")
        answer = write_fix(
            self.services.model(),
            reflection=reflection,
            events=events,
            skill_name=skill,
            skill_dir=skill_dir,
            rejected=self._rejected(skill),
            max_tokens=min(16000, self.cfg.reflect_max_tokens),
            companion_of=self.companion_of,
        )
        self.usage.add(answer.usage)
        if answer.value is None:
            self.progress(f"  the fix could not be used: {answer.error} (nothing committed)")
            return self._finish("write_failed", error=answer.error)
        try:
            changes = changed_files(answer.value, skill_dir, skill)
        except MementoError as err:  # a path the patch rules refuse; nothing was read
            self.progress(f"  the fix was refused: {err.message} (nothing committed)")
            return self._finish("write_refused", error=err.message)
        if not changes:
            self.progress("  the proposed fix changes nothing (nothing committed)")
            return self._finish("write_failed", error="no change")
        problem = self._validate(skill, skill_dir, {c.path: c.content for c in changes})
        if problem:
            self.progress(f"  the fix was refused: {problem} (nothing committed)")
            return self._finish("write_refused", error=problem)
        evidence = self._evidence(reflection, new_skill=skill_dir is None)
        files = {f"skills/{skill}/{c.path}": c.content.encode("utf-8") for c in changes}
        try:
            patch = self.services.patches().create(skill, files, evidence, message=answer.value.message or None)
        except MementoError as err:
            self.progress(f"  the fix was refused: {err.message} (nothing committed)")
            return self._finish("write_refused", error=err.message)
        self.found.update(patch_id=patch.id, branch=patch.branch, skill=skill)
        self.runs.update(self.run_id, patch_id=patch.id)
        self.progress(f"  patch {patch.id} on branch {patch.branch}")
        self._replay(patch, skill, evidence)
        return self._finish("patched")

    def _evidence(self, reflection: Reflection, *, new_skill: bool) -> PatchEvidence:
        """What the patch carries to its reviewer: the run, the reflection, the cost so far."""
        from memento_tui.domain.patches.model import Cost, PatchEvidence

        return PatchEvidence(
            run_id=self.run_id,
            task=self.record.task,
            failure_category=reflection.category,
            weak_skill=reflection.weak_skill,
            reflection_summary=reflection.summary,
            decision_step=reflection.decision_step,
            kind="new-skill" if new_skill else "patch",
            cost=Cost(tokens=self.usage.total_tokens, usd=self.usage.cost_usd),
            details={"missing_or_assumed": reflection.missing_or_assumed},
        )

    def _validate(self, skill: str, skill_dir: Path | None, contents: dict[str, str]) -> str:
        return validate_change(self.services, skill, skill_dir, dict(contents))

    def _replay_one(self, record: RunRecord, overrides: dict[str, Path], patch_id: str) -> RunRecord:
        inputs_dir = self.runs.folder(record.id).inputs
        inputs = sorted(inputs_dir.iterdir()) if inputs_dir.is_dir() else []
        request = RunRequest(
            task=record.task,
            check=record.check,
            inputs=inputs,
            replay_of=record.id,
            patch_id=patch_id,
            skill_overrides=overrides,
            learn=False,
        )
        return self.services.agent().run(request)

    def _replay(self, patch: Any, skill: str, evidence: Any) -> None:
        from memento_tui.domain.patches.model import RegressionResult, ReplayResult

        store = self.services.patches()
        tmp = tempfile.mkdtemp(prefix="memento-replay-")
        try:
            _reachable(tmp)
            folder = store.export_skill(patch.id, Path(tmp))
            overrides = {skill: folder}
            self.progress("  replaying the failed task against the patch…")
            tokens_before = self.usage.total_tokens
            replay = self._replay_one(self.record, overrides, patch.id)
            self._count(replay)
            evidence.replay = ReplayResult(result="passed" if replay.passed else "failed", run_id=replay.id)
            self.progress(f"    replay {replay.status} (run {replay.id})")
            earlier = [
                r
                for r in self.runs.list(include_replays=False)
                if r.status == "passed" and skill in r.skills_used and r.id != self.run_id
            ][: self.cfg.regressions]
            for past in earlier:
                if self.usage.total_tokens - tokens_before >= self.cfg.replay_max_tokens:
                    self.progress("    replay budget used up; remaining regressions not run")
                    evidence.details["regressions_skipped"] = "replay budget ([learning] replay_max_tokens)"
                    break
                again = self._replay_one(past, overrides, patch.id)
                self._count(again)
                evidence.regressions.append(RegressionResult(run_id=again.id, task=past.task, passed=again.passed))
                self.progress(
                    f"    regression {'passed' if again.passed else 'FAILED'}: {past.task[:60]} (run {again.id})"
                )
        finally:
            remove_tree_quietly(Path(tmp))
        evidence.validated = evidence.replay.result == "passed" and all(r.passed for r in evidence.regressions)
        evidence.cost.tokens = self.usage.total_tokens
        evidence.cost.usd = self.usage.cost_usd
        store.update_evidence(patch.id, evidence)
        self.found.update(
            validated=evidence.validated, replay=evidence.replay.result, regressions=list(evidence.regressions)
        )
        verdict = "validated" if evidence.validated else "NOT validated"
        self.progress(
            f"  patch {patch.id} {verdict}: replay {evidence.replay_text()}, regressions {evidence.regressions_text()}"
        )
        self.progress(f"  review it: memento patches show {patch.id}")

    def _count(self, record: RunRecord) -> None:
        self.usage.add(Usage(record.prompt_tokens, record.completion_tokens, record.cost_usd))


def validate_change(services: Services, skill: str, skill_dir: Path | None, contents: dict[str, str | None]) -> str:
    """Apply a change (None deletes a file) to a temp copy of the skill and check it as
    'memento verify' would, its tests run in the sandbox (a copy outside skills/, so never
    with network). The reason it fails, or "" when it passes."""
    tmp = Path(tempfile.mkdtemp(prefix="memento-check-"))
    try:
        _reachable(str(tmp))
        return _check_copy(services, tmp / skill, skill_dir, contents)
    finally:
        remove_tree_quietly(tmp)


def _check_copy(services: Services, folder: Path, skill_dir: Path | None, contents: dict[str, str | None]) -> str:
    try:
        if skill_dir is not None:
            copy_tree(skill_dir, folder, links=True)
        else:
            folder.mkdir()
        for rel, text in contents.items():
            # The paths passed the patch rules; written without following a link.
            parts = tuple(rel.split("/"))
            if text is None:  # unlink never follows a link, and the folders were checked
                os.unlink(ConfinedPath(folder, parts[:-1], rel).folder() / parts[-1])
            else:
                ConfinedPath(folder, parts, rel).write(text.encode("utf-8"))
    except MementoError as err:
        return err.message
    except OSError as err:
        return f"the change cannot be tried out: {err.strerror or err}"
    try:
        load_skill(folder)
    except SkillError as err:
        return str(err).replace(str(folder.parent) + "/", "")
    from memento_tui.domain.skills.verify import verify_skill

    report = verify_skill(folder, sandbox=services.sandbox(), run_tests=True)
    errors = [f for f in report.findings if f.level == "error"]
    if errors:
        return "; ".join(f"{f.code}: {f.message}" for f in errors[:3])
    return ""


def replay_patch(
    services: Services, run_id: str, patch: Any, skill: str, evidence: Any, on_progress: Progress | None = None
) -> None:
    """Replay a failed run, and the skill's recent successes, against a patch made for it
    (as learning does after writing one); the evidence is updated on the patch."""
    learner = _Learner(services, run_id, on_progress or (lambda _line: None))
    learner._replay(patch, skill, evidence)


def learn_from_run(services: Services, run_id: str, on_progress: Progress | None = None) -> LearningOutcome:
    """Reflect on a failed run and, where the reflection calls for it, propose a patch."""
    return _Learner(services, run_id, on_progress or (lambda _line: None)).go()

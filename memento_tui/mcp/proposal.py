"""``propose_patch``: the calling agent's own fix to a skill, into the review queue.

It goes through what a fix written by learning goes through (services/learning.py), in the
same order, and nothing is written before every check has passed:

- paths: only inside ``skills/<skill>/``, by the patch rules (no ``..``, no ``.git*``, no
  links, no hidden characters, size caps), each checked as text before any file is read;
- protected skills are refused (learning sends such fixes to a companion skill; the
  refusal names it);
- a skill whose files on disk differ from main is refused with the commit that fixes it,
  since the branch is made from main and would be reviewed against files nobody sees;
- the changed skill must load and pass ``memento verify`` with its own tests, run in the
  sandbox on a copy outside ``skills/``, so without network: unreviewed code never gets it;
- the branch ``memento/patch/<skill>/<id>`` is made from main by ``PatchStore.create``,
  never touching the checkout; only a person's merge brings it to main;
- when the fix answers a failed run (one this client reported, or ``run_id``), that run and
  the skill's recent successes are replayed against it, as learning replays its own fixes,
  with the workspace's model; with no model configured the replay is left undone, and the
  evidence says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from memento_tui.domain.confined import ConfinedPath
from memento_tui.domain.errors import MementoError
from memento_tui.domain.learning.models import FileChange, SkillEdit
from memento_tui.domain.learning.reflect import changed_files
from memento_tui.domain.patches.model import PatchEvidence
from memento_tui.domain.patches.rules import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, check_path
from memento_tui.domain.paths import SKILL_FILE, SKILLS_DIR_NAME
from memento_tui.domain.skills import MAX_SKILL_MD_BYTES
from memento_tui.domain.skills.protection import companion_name, protection_in
from memento_tui.mcp import checks
from memento_tui.mcp.session import McpSession

Progress = Callable[[str], None]


def propose(
    session: McpSession,
    skill: str,
    files: dict[str, str | None],
    reason: str,
    run_id: str | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    services = session.services
    name = checks.skill_name(skill)
    why = checks.text(reason, "reason")
    folder = services.paths.skills / name
    skill_dir = folder if folder.is_dir() and not folder.is_symlink() else None
    _refuse_protected(session, name)
    contents = _changes(name, skill_dir, files)
    store = services.patches()
    if skill_dir is not None:
        _refuse_unseen(store, name)
    record = _failed_run(session, name, run_id)
    from memento_tui.services.learning import validate_change

    problem = validate_change(services, name, skill_dir, contents)
    if problem:
        raise checks.CallRefused(
            f"the changed skill does not pass its checks: {problem}",
            field="files",
            fix="fix what the check names and propose again",
        )
    evidence = PatchEvidence(
        run_id=record.id if record else "",
        task=record.task if record else "",
        failure_category=(record.failure_category or "") if record else "",
        weak_skill=name,
        # The reviewer reads this first (the queue's evidence panel): say whose fix it is.
        reflection_summary=f"Proposed over MCP by {session.client or 'an MCP client'}: {why}",
        kind="patch" if skill_dir is not None else "new-skill",
        details={"proposed_by": "mcp", "client": session.client or "unknown"},
    )
    subject = f"{name}: {why.splitlines()[0]}" if why else None
    files_map = {
        f"{SKILLS_DIR_NAME}/{name}/{rel}": (None if text is None else text.encode("utf-8"))
        for rel, text in contents.items()
    }
    patch = store.create(name, files_map, evidence, message=subject)
    answer: dict[str, Any] = {
        "patch_id": patch.id,
        "branch": patch.branch,
        "skill": name,
        "files": sorted(contents),
        "status": "pending review",
        "review": f"memento patches show {patch.id}  (or the app's Patches screen)",
    }
    if record is not None:
        answer["run_id"] = record.id
    answer.update(_replay(session, record, patch, name, evidence, on_progress))
    return answer


def _refuse_protected(session: McpSession, name: str) -> None:
    folder = session.services.paths.skills / name
    text: str | None = None
    try:  # capped, and never through a link: the SKILL.md may be anyone's
        raw, _ = ConfinedPath(folder, (SKILL_FILE,), f"{name}/{SKILL_FILE}").read(MAX_SKILL_MD_BYTES)
        text = raw.decode("utf-8", "replace")
    except (MementoError, OSError):
        pass  # no SKILL.md (a new skill), or not a file: the patch rules judge it
    if protection_in(name, text, session.services.workspace.config) is not None:
        companion = companion_name(name)
        raise checks.CallRefused(
            f"skill {name!r} is protected; patches never touch it",
            field="skill",
            fix=f"propose the change to the companion skill {companion!r} instead "
            "(a new skill beside it), or ask a person to edit it by hand",
        )


def _changes(name: str, skill_dir: Any, files: object) -> dict[str, str | None]:
    """path inside the skill -> new text (None deletes), only what really changes. Every
    path is checked by the patch rules before anything is read."""
    if not isinstance(files, dict) or not files:
        raise checks.CallRefused(
            "files must map paths inside the skill to their new text",
            field="files",
            fix='e.g. {"SKILL.md": "---\\nname: ...", "scripts/old.py": null} (null deletes a file)',
        )
    if len(files) > MAX_FILES:
        raise checks.CallRefused(
            f"{len(files)} files; a patch holds at most {MAX_FILES}", field="files", fix="split the change"
        )
    total = 0
    written: list[FileChange] = []
    deleted: dict[str, str | None] = {}
    for rel, text in files.items():
        if not isinstance(rel, str) or rel.startswith("/"):
            raise checks.CallRefused(
                f"path {rel!r} must be relative to the skill folder",
                field="files",
                fix="e.g. SKILL.md or scripts/run.py",
            )
        check_path(f"{SKILLS_DIR_NAME}/{name}/{rel}", name)
        if text is None:
            deleted[rel] = None
            continue
        if not isinstance(text, str):
            raise checks.CallRefused(
                f"the new content of {rel!r} must be text (or null to delete)",
                field="files",
                fix="pass each file's whole new text",
            )
        size = len(text.encode("utf-8", "replace"))
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            raise checks.CallRefused(
                f"the patch is too big ({rel!r} is {size:,} bytes; at most {MAX_FILE_BYTES:,} "
                f"a file and {MAX_TOTAL_BYTES:,} in all)",
                field="files",
                fix="send a smaller change",
            )
        written.append(FileChange(path=rel, content=text))
    contents: dict[str, str | None] = {}
    if written:
        for change in changed_files(SkillEdit(files=written), skill_dir, name):
            contents[change.path] = change.content
    contents.update(deleted)
    if not contents:
        raise checks.CallRefused(
            "the proposed files are the same as the skill's", field="files", fix="send only files whose text changes"
        )
    return contents


def _refuse_unseen(store: Any, name: str) -> None:
    folder = f"{SKILLS_DIR_NAME}/{name}"
    unseen = store.repo.differs_from(store.main_branch(), folder)
    if unseen:
        shown = ", ".join(f.removeprefix(folder + "/") for f in unseen[:5])
        raise checks.CallRefused(
            f"skill {name!r} has changes that are not on {store.main_branch()} ({shown}); a "
            "patch starts from main and would be reviewed against files nobody sees",
            field="skill",
            fix=f"ask the person to commit them first: git add {folder} && git commit -m "
            f'"{name}: my changes" -- {folder}',
        )


def _failed_run(session: McpSession, name: str, run_id: str | None) -> Any:
    """The failed run this fix answers: the one named, else the last failure this client
    reported with the skill, else none."""
    runs = session.services.runs()
    wanted = run_id or session.last_failure(name)
    if not wanted:
        return None
    record = runs.load(runs.resolve(checks.text(wanted, "run_id")))
    if run_id and record.status != "failed":
        raise checks.CallRefused(
            f"run {record.id} is {record.status}, not failed",
            field="run_id",
            fix="name the failed run this fix answers, or leave run_id out",
        )
    return record


def _replay(
    session: McpSession, record: Any, patch: Any, name: str, evidence: PatchEvidence, on_progress: Progress | None
) -> dict[str, Any]:
    store = session.services.patches()
    if record is None:
        evidence.details["replay"] = "no failed run to replay: none was reported or named"
        store.update_evidence(patch.id, evidence)
        return {"replay": "not run (no failed run was reported for this skill)", "validated": False}
    if not session.services.workspace.config.model.name:
        evidence.details["replay"] = "no model configured ([model] name in .memento/config.toml)"
        store.update_evidence(patch.id, evidence)
        return {"replay": "not run (this workspace has no model for replays)", "validated": False}
    from memento_tui.services.learning import replay_patch

    try:
        replay_patch(session.services, record.id, patch, name, evidence, on_progress)
    except MementoError as err:
        evidence.details["replay"] = f"replay failed to run: {err.message}"
        store.update_evidence(patch.id, evidence)
        return {"replay": f"not finished: {err.message}", "validated": False}
    return {
        "replay": evidence.replay_text(),
        "regressions": evidence.regressions_text(),
        "validated": evidence.validated,
    }

"""Making a patch branch without touching the person's checkout.

Plumbing only. One ``git fast-import`` writes the new blobs and a commit on top of main
(``from <main>``, then ``M``/``D`` lines for the patch's files) to a private ref
``refs/memento/tmp/<id>``; the evidence record is written; then one ``update-ref``
transaction creates ``refs/heads/memento/patch/<skill>/<id>`` (expecting no branch
there) and drops the private ref. No index file is involved, so the person's working
tree, index and HEAD are never read or written, and two processes can create patches at
once: ids that clash are caught by the ref transaction and retried.

fast-import replaced a private-index pipeline (hash-object, read-tree, update-index,
write-tree, commit-tree) that cost five processes and a full index write per patch; on
a 1k-skill repository it is about twice as fast (see docs/performance.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.git_repo import MEMENTO_IDENTITY, GitError
from memento_tui.domain.patches.model import (
    BRANCH_PREFIX,
    PatchError,
    PatchEvidence,
    PatchRecord,
    PatchRefused,
)
from memento_tui.domain.patches.rules import (
    MODE_EXEC,
    MODE_FILE,
    FileChange,
    build_changes,
    check_against_base,
    clean_message,
    one_line,
)
from memento_tui.domain.paths import SKILL_FILE, SKILLS_DIR_NAME

if TYPE_CHECKING:
    from memento_tui.domain.patches.repository import PatchRepository

ID_ATTEMPTS = 5
TMP_REF_PREFIX = "refs/memento/tmp/"


def new_patch_id() -> str:
    """Time-sortable and unique enough: UTC second plus 16 random bits (a clash is
    caught by the ref update, which refuses to overwrite, and retried)."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def branch_name(skill: str, patch_id: str) -> str:
    return f"{BRANCH_PREFIX}{skill}/{patch_id}"


def blob_id(content: bytes, object_format: str) -> str:
    """The id git gives a blob with this content (to skip files already so on main)."""
    algo = hashlib.sha256 if object_format == "sha256" else hashlib.sha1
    return algo(b"blob %d\0" % len(content) + content).hexdigest()


def _refuse_protected(store: PatchRepository, skill: str, skill_md_on_main: tuple[str, str] | None) -> None:
    """Learning never patches a protected skill: by its own SKILL.md on main, or by config."""
    from memento_tui.domain.skills.protection import protection_in

    text = None
    if skill_md_on_main is not None:
        text = store.repo.git("cat-file", "blob", skill_md_on_main[1]).stdout.decode("utf-8", "replace")
    protection = protection_in(skill, text, store.workspace.config)
    if protection is not None:
        raise PatchRefused(
            f"skill {skill!r} is protected ({protection.reason}); patches never touch it",
            field="files",
            fix="put the change in a companion skill, or edit the skill by hand",
        )


def create_patch(
    store: PatchRepository,
    skill: str,
    files: Mapping[str, bytes | str | None],
    evidence: PatchEvidence,
    *,
    message: str | None = None,
    modes: Mapping[str, int | str] | None = None,
) -> PatchRecord:
    """Check, build and commit a patch; return its record (already written)."""
    changes = build_changes(skill, files, modes)
    explicit_modes = set(modes or {})
    base = store.main_tip()
    on_main = store.ls_tree(base, f"{SKILLS_DIR_NAME}/{skill}")
    check_against_base(changes, on_main)
    skill_md = f"{SKILLS_DIR_NAME}/{skill}/{SKILL_FILE}"
    _refuse_protected(store, skill, on_main.get(skill_md))
    if skill_md not in on_main and not any(c.path == skill_md and c.content for c in changes):
        raise PatchRefused(
            f"skill {skill!r} is not on main and the patch has no {skill_md}",
            field="files",
            fix="a new skill needs its SKILL.md",
        )
    object_format = "sha256" if len(base) == 64 else "sha1"
    effective: list[FileChange] = []
    for change in changes:
        if change.content is None:
            effective.append(change)
            continue
        mode = change.mode
        existing = on_main.get(change.path)
        if existing and change.path not in explicit_modes and existing[0] in (MODE_FILE, MODE_EXEC):
            mode = existing[0]  # a file keeps its mode unless the patch says otherwise
        if existing == (mode, blob_id(change.content, object_format)):
            continue  # already so on main: not part of the patch
        effective.append(FileChange(change.path, change.content, mode))
    if not effective:
        raise PatchRefused(
            "the patch changes nothing: every file is already as it is on main",
            field="files",
            fix="propose a real change, or none",
        )
    return _commit_branch(store, skill, base, effective, evidence, message)


def _commit_branch(
    store: PatchRepository,
    skill: str,
    base: str,
    changes: list[FileChange],
    evidence: PatchEvidence,
    message: str | None,
) -> PatchRecord:
    for _attempt in range(ID_ATTEMPTS):
        patch_id = new_patch_id()
        if store.records.path_of(patch_id).exists():
            continue
        branch = branch_name(skill, patch_id)
        tmp_ref = TMP_REF_PREFIX + patch_id
        name, email = store.repo.person()
        made_by = f"{name} <{email}>"
        subject, text = commit_message(patch_id, skill, evidence, message, made_by=made_by)
        commit = _fast_import(store, tmp_ref, base, text, changes)
        record = PatchRecord(
            id=patch_id,
            skill=skill,
            branch=branch,
            base=base,
            head=commit,
            created_at=datetime.now(UTC),
            files=sorted(c.path for c in changes),
            subject=subject,
            evidence=evidence,
            made_by=made_by,
        )
        # The record first, so whoever sees the branch appear also finds its evidence.
        store.records.write(record)
        try:
            store.repo.git(
                "update-ref",
                "-m",
                f"memento: patch {patch_id} for {skill}",
                "--stdin",
                "-z",
                input=f"create refs/heads/{branch}\0{commit}\0delete {tmp_ref}\0{commit}\0".encode(),
            )
        except GitError as err:
            store.records.path_of(patch_id).unlink(missing_ok=True)
            with contextlib.suppress(GitError):
                store.repo.git("update-ref", "--stdin", "-z", input=f"delete {tmp_ref}\0{commit}\0".encode())
            if "reference already exists" in err.stderr:
                continue
            raise PatchError(
                f"cannot create branch {branch}: {err.stderr}",
                file=store.root,
                fix="a branch of your own named 'memento' or 'memento/patch' (or "
                f"'memento/patch/{skill}') blocks the memento/patch/ namespace; rename it",
            ) from None
        return record
    raise PatchError(f"could not find a free patch id after {ID_ATTEMPTS} tries", file=store.root)


def _fast_import(store: PatchRepository, ref: str, base: str, message: str, changes: list[FileChange]) -> str:
    """One commit on top of ``base`` with these changes, on ``ref``; returns its id."""
    name, email = MEMENTO_IDENTITY
    text = message.encode("utf-8")
    parts = [
        b"feature done\n",
        f"commit {ref}\nmark :1\n".encode(),
        f"author {name} <{email}> now\ncommitter {name} <{email}> now\n".encode(),
        b"data %d\n" % len(text),
        text,
        f"\nfrom {base}\n".encode(),
    ]
    for change in changes:
        # Paths were checked: no newline, no leading quote, so they go unquoted.
        if change.content is None:
            parts.append(f"D {change.path}\n".encode())
        else:
            parts.append(f"M {change.mode} inline {change.path}\n".encode())
            parts.append(b"data %d\n" % len(change.content))
            parts.append(change.content)
            parts.append(b"\n")
    parts.append(b"done\n")
    with tempfile.TemporaryDirectory(prefix="memento-patch-") as tmp:
        marks = Path(tmp) / "marks"
        store.repo.git(
            "fast-import",
            "--quiet",
            "--date-format=now",
            f"--export-marks={marks}",
            input=b"".join(parts),
        )
        mark, _, commit = marks.read_text().strip().partition(" ")
    if mark != ":1" or len(commit) not in (40, 64):
        raise PatchError(f"git fast-import gave no commit ({mark!r})", file=store.root)
    return commit


def commit_message(
    patch_id: str, skill: str, evidence: PatchEvidence, message: str | None, *, made_by: str = ""
) -> tuple[str, str]:
    """(subject, full message) for a patch commit, with the evidence as trailers."""
    lines = clean_message(message or "").split("\n")
    default = f"memento: {evidence.kind} for {skill}" + (
        f" ({evidence.failure_category})" if evidence.failure_category else ""
    )
    subject = one_line(lines[0], 100) if lines[0].strip() else default
    body_parts = ["\n".join(lines[1:]).strip()]
    if evidence.reflection_summary:
        body_parts.append(clean_message(evidence.reflection_summary, 4000))
    body = "\n\n".join(p for p in body_parts if p)
    trailers = {
        "Memento-Patch": patch_id,
        "Memento-Skill": skill,
        "Memento-Kind": evidence.kind,
        "Memento-Run": evidence.run_id,
        "Memento-Task": evidence.task,
        "Memento-Category": evidence.failure_category,
        "Memento-Weak-Skill": evidence.weak_skill or "",
        "Memento-Decision-Step": "" if evidence.decision_step is None else str(evidence.decision_step),
        "Memento-Replay": evidence.replay_text(),
        "Memento-Regressions": evidence.regressions_text(),
        "Memento-Validated": "yes" if evidence.validated else "no",
        # Whose Memento made it: a teammate's patch is marked with it in the queue.
        "Memento-Made-By": made_by,
    }
    trailer_text = "\n".join(f"{k}: {one_line(v)}" for k, v in trailers.items() if one_line(v))
    text = subject + "\n\n" + (body + "\n\n" if body else "") + trailer_text + "\n"
    return subject, text

"""Making a patch branch without touching the person's checkout.

Plumbing only: the new contents become blobs (``hash-object -w``), a tree is built in a
private index file (``GIT_INDEX_FILE`` in a temp dir: ``read-tree`` main, ``update-index
--index-info``, ``write-tree``), the commit is made with ``commit-tree`` as Memento, and
the branch appears with ``update-ref`` expecting no branch there. The person's working
tree, index and HEAD are never read or written, and two processes can do this at once:
each has its own index file, and ids that clash are caught by the ref update.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.domain.git_repo import MEMENTO_IDENTITY, ZERO_OID, GitError
from memento_tui.domain.patch_model import (
    BRANCH_PREFIX,
    PatchError,
    PatchEvidence,
    PatchRecord,
    PatchRefused,
)
from memento_tui.domain.patch_rules import (
    MODE_EXEC,
    MODE_FILE,
    build_changes,
    check_against_base,
    clean_message,
    one_line,
)
from memento_tui.domain.paths import SKILL_FILE, SKILLS_DIR_NAME

if TYPE_CHECKING:
    from memento_tui.domain.patches import PatchStore

ID_ATTEMPTS = 5


def new_patch_id() -> str:
    """Time-sortable and unique enough: UTC second plus 16 random bits (a clash is
    caught by the ref update, which refuses to overwrite, and retried)."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def branch_name(skill: str, patch_id: str) -> str:
    return f"{BRANCH_PREFIX}{skill}/{patch_id}"


def create_patch(
    store: PatchStore,
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
    repo = store.repo
    base = store.main_tip()
    on_main = store.ls_tree(base, f"{SKILLS_DIR_NAME}/{skill}")
    check_against_base(changes, on_main)
    skill_md = f"{SKILLS_DIR_NAME}/{skill}/{SKILL_FILE}"
    if skill_md not in on_main and not any(c.path == skill_md and c.content for c in changes):
        raise PatchRefused(
            f"skill {skill!r} is not on main and the patch has no {skill_md}",
            field="files",
            fix="a new skill needs its SKILL.md",
        )
    with tempfile.TemporaryDirectory(prefix="memento-patch-") as tmp:
        writes = [c for c in changes if c.content is not None]
        oids = _write_blobs(store, Path(tmp), [c.content or b"" for c in writes])
        entries: list[str] = []
        touched: list[str] = []
        for change, oid in zip(writes, oids, strict=True):
            mode = change.mode
            existing = on_main.get(change.path)
            if (
                existing
                and change.path not in explicit_modes
                and existing[0] in (MODE_FILE, MODE_EXEC)
            ):
                mode = existing[0]  # a file keeps its mode unless the patch says otherwise
            if existing == (mode, oid):
                continue  # already so on main: not part of the patch
            entries.append(f"{mode} {oid}\t{change.path}\0")
            touched.append(change.path)
        for change in changes:
            if change.content is None:
                entries.append(f"0 {ZERO_OID}\t{change.path}\0")
                touched.append(change.path)
        if not entries:
            raise PatchRefused(
                "the patch changes nothing: every file is already as it is on main",
                field="files",
                fix="propose a real change, or none",
            )
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        repo.git("read-tree", "--end-of-options", base, env=index_env)
        repo.git(
            "update-index", "-z", "--index-info", input="".join(entries).encode(), env=index_env
        )
        tree = repo.out("write-tree", env=index_env)
    return _commit_branch(store, skill, base, tree, sorted(touched), evidence, message)


def _commit_branch(
    store: PatchStore,
    skill: str,
    base: str,
    tree: str,
    touched: list[str],
    evidence: PatchEvidence,
    message: str | None,
) -> PatchRecord:
    repo = store.repo
    for _attempt in range(ID_ATTEMPTS):
        patch_id = new_patch_id()
        if store.records.path_of(patch_id).exists():
            continue
        branch = branch_name(skill, patch_id)
        subject, text = commit_message(patch_id, skill, evidence, message)
        commit = repo.out(
            "commit-tree", tree, "-p", base, "-F", "-", input=text.encode(), author=MEMENTO_IDENTITY
        )
        record = PatchRecord(
            id=patch_id,
            skill=skill,
            branch=branch,
            base=base,
            head=commit,
            created_at=datetime.now(UTC),
            files=touched,
            subject=subject,
            evidence=evidence,
        )
        # The record first, so whoever sees the branch appear also finds its evidence.
        store.records.write(record)
        try:
            repo.git(
                "update-ref",
                "-m",
                f"memento: patch {patch_id} for {skill}",
                "--stdin",
                "-z",
                input=f"create refs/heads/{branch}\0{commit}\0".encode(),
            )
        except GitError as err:
            store.records.path_of(patch_id).unlink(missing_ok=True)
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


def _write_blobs(store: PatchStore, tmp: Path, contents: list[bytes]) -> list[str]:
    """Every content as a blob in one git call; returns their ids in order."""
    if not contents:
        return []
    names = []
    for i, content in enumerate(contents):
        name = tmp / f"blob{i}"
        name.write_bytes(content)
        names.append(str(name))
    out = store.repo.out(
        "hash-object",
        "-w",
        "--no-filters",
        "--stdin-paths",
        input=("\n".join(names) + "\n").encode(),
    )
    return out.split("\n")


def commit_message(
    patch_id: str, skill: str, evidence: PatchEvidence, message: str | None
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
        "Memento-Decision-Step": ""
        if evidence.decision_step is None
        else str(evidence.decision_step),
        "Memento-Replay": evidence.replay_text(),
        "Memento-Regressions": evidence.regressions_text(),
        "Memento-Validated": "yes" if evidence.validated else "no",
    }
    trailer_text = "\n".join(f"{k}: {one_line(v)}" for k, v in trailers.items() if one_line(v))
    text = subject + "\n\n" + (body + "\n\n" if body else "") + trailer_text + "\n"
    return subject, text

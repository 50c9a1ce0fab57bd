"""Memento's patch branches as git sees them: ``refs/heads/memento/patch/<skill>/<id>``.

One ``for-each-ref`` call lists them all with their heads, parents, dates and commit
trailers. Only branches shaped exactly as the program makes them count; anything else
under ``memento/`` is the person's own and is never listed, moved or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from memento_tui.domain.git_repo import GitRepo
from memento_tui.domain.patches.model import BRANCH_PREFIX, ID_RE, PatchEvidence, PatchRecord
from memento_tui.domain.skills import NAME_RE

_REF_FORMAT = (
    "%(refname)%00%(objectname)%00%(parent)%00%(committerdate:unix)%00%(contents:subject)%00%(trailers:only,unfold)%00"
)
_REF_FIELDS = 6


@dataclass(frozen=True)
class BranchInfo:
    id: str
    skill: str
    ref: str
    head: str
    parents: tuple[str, ...]
    committed_at: datetime
    subject: str
    trailers: dict[str, str]


def list_branches(repo: GitRepo) -> dict[str, BranchInfo]:
    """Memento's patch branches by id, in one git call."""
    out = repo.git(
        "for-each-ref",
        f"--format={_REF_FORMAT}",
        "--end-of-options",
        f"refs/heads/{BRANCH_PREFIX}",
    ).stdout
    tokens = out.split(b"\0")
    found: dict[str, BranchInfo] = {}
    for i in range(0, len(tokens) - _REF_FIELDS + 1, _REF_FIELDS):
        ref, head, parents, when, subject, trailers = (
            t.decode("utf-8", "replace") for t in tokens[i : i + _REF_FIELDS]
        )
        ref = ref.lstrip("\n")
        parts = ref.removeprefix(f"refs/heads/{BRANCH_PREFIX}").split("/")
        # Only branches shaped exactly as the program makes them; anything else in the
        # namespace is somebody's own and is left alone.
        if len(parts) != 2 or not NAME_RE.match(parts[0]) or not ID_RE.match(parts[1]):
            continue
        found[parts[1]] = BranchInfo(
            id=parts[1],
            skill=parts[0],
            ref=ref,
            head=head,
            parents=tuple(parents.split()),
            committed_at=datetime.fromtimestamp(int(when or 0), UTC),
            subject=subject,
            trailers=parse_trailers(trailers),
        )
    return found


def record_from_branch(repo: GitRepo, branch: BranchInfo) -> PatchRecord:
    """A stand-in record for a branch whose JSON is missing, from its commit trailers."""
    t = branch.trailers
    base = branch.parents[0] if branch.parents else ""
    files: list[str] = []
    if base:
        out = repo.git("diff-tree", "-r", "-z", "--name-only", "--no-renames", base, branch.head).stdout
        files = [p.decode("utf-8", "replace") for p in out.split(b"\0") if p]
    step = t.get("Memento-Decision-Step", "")
    evidence = PatchEvidence(
        run_id=t.get("Memento-Run", ""),
        task=t.get("Memento-Task", ""),
        failure_category=t.get("Memento-Category", ""),
        weak_skill=t.get("Memento-Weak-Skill") or None,
        decision_step=int(step) if step.isdigit() else None,
        validated=t.get("Memento-Validated", "").lower() == "yes",
        kind="new-skill" if t.get("Memento-Kind") == "new-skill" else "patch",
        created_at=branch.committed_at,
    )
    return PatchRecord(
        id=branch.id,
        skill=branch.skill,
        branch=branch.ref.removeprefix("refs/heads/"),
        base=base,
        head=branch.head,
        created_at=branch.committed_at,
        files=files,
        subject=branch.subject,
        evidence=evidence,
        made_by=t.get("Memento-Made-By", ""),
    )


def parse_trailers(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.startswith("Memento-"):
            found[key.strip()] = value.strip()
    return found

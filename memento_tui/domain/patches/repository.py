"""Reading patches: their branches, records, review decisions and diffs (PatchRepository).

A patch is a commit on ``memento/patch/<skill>/<id>``, made from the main branch with
git plumbing and a private index file, so the person's working tree, index and HEAD are
never touched, even while they have edits open (create.py). The program makes the
id and the branch name; nothing from model text goes into either. Evidence travels
twice: as trailers in the commit message (fixed at creation) and as
``.memento/patches/<id>.json`` (updated after replay). Review decisions (merge, reject,
undo) live in review.py; the rules a patch must keep in rules.py.
"""

from __future__ import annotations

import builtins
import functools
import os
from collections.abc import Callable
from pathlib import Path

from memento_tui.domain.git_repo import GitError, GitRepo
from memento_tui.domain.patches.branches import BranchInfo, list_branches, record_from_branch
from memento_tui.domain.patches.diff import StructuredDiff, parse_diff
from memento_tui.domain.patches.merging import applied_to_main, is_reverted, reverts_on
from memento_tui.domain.patches.model import (
    BRANCH_PREFIX,
    Patch,
    PatchError,
    PatchEvidence,
    PatchNotFound,
    PatchRecord,
    Rejection,
    ReviewRecord,
)
from memento_tui.domain.patches.records import PatchRecords
from memento_tui.domain.patches.rules import MODE_EXEC, MODE_FILE
from memento_tui.domain.paths import SKILLS_DIR_NAME
from memento_tui.domain.workspace import Workspace

STATUSES = ("pending", "merged", "rejected", "reverted", "gone", "all")


class PatchRepository:
    """Create, list, show and review patch branches in a workspace's git repository."""

    def __init__(self, workspace: Workspace | Path, *, main: str | None = None) -> None:
        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
        self.root = self.workspace.root
        self.records = PatchRecords(self.workspace.paths)
        self._main = main
        self._repo: GitRepo | None = None
        self._common_dir: Path | None = None

    # -- the repository -------------------------------------------------------------------

    @property
    def repo(self) -> GitRepo:
        if self._repo is None:
            repo = GitRepo(self.root)
            top, common = repo.out("rev-parse", "--show-toplevel", "--git-common-dir").split("\n")[:2]
            if Path(top).resolve() != self.root.resolve():
                raise PatchError(
                    f"the workspace is not the top folder of its git repository ({top})",
                    file=self.root,
                    fix="keep skills/ and .memento/ at the top of the repository",
                )
            self._common_dir = (self.root / common).resolve()
            self._repo = repo
        return self._repo

    @property
    def common_dir(self) -> Path:
        _ = self.repo
        assert self._common_dir is not None
        return self._common_dir

    def main_branch(self) -> str:
        """The branch patches start from and merge into: the repository's configured
        default (init.defaultBranch) if it exists, else ``main``, else ``master``, else the
        branch checked out now."""
        if self._main is None:
            repo = self.repo
            heads = set(repo.out("for-each-ref", "--format=%(refname)", "refs/heads/").split("\n"))
            configured = repo.out("config", "--get", "init.defaultBranch", ok=(0, 1))
            current = repo.out("symbolic-ref", "-q", "HEAD", ok=(0, 1))
            candidates = [configured, "main", "master"]
            if current.startswith("refs/heads/") and not current.startswith("refs/heads/memento/"):
                candidates.append(current.removeprefix("refs/heads/"))
            for name in candidates:
                if name and f"refs/heads/{name}" in heads:
                    self._main = name
                    break
            else:
                raise PatchError(
                    "cannot tell which branch is main: no 'main' or 'master' branch, and no commit yet",
                    file=self.root,
                    fix="make a first commit on 'main' (memento init does this)",
                )
        return self._main

    def main_tip(self) -> str:
        ref = f"refs/heads/{self.main_branch()}"
        return self.repo.out("rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}")

    # -- creating -------------------------------------------------------------------------

    def ls_tree(self, rev: str, path: str) -> dict[str, tuple[str, str]]:
        """path -> (mode, oid) for every entry under ``path`` in ``rev``."""
        out = self.repo.git(
            "--literal-pathspecs",
            "ls-tree",
            "-r",
            "-z",
            "--full-tree",
            "--end-of-options",
            rev,
            "--",
            path,
        ).stdout
        found: dict[str, tuple[str, str]] = {}
        for item in out.split(b"\0"):
            if not item:
                continue
            meta, _, name = item.partition(b"\t")
            mode, _kind, oid = meta.decode().split(" ")
            found[name.decode("utf-8", "surrogateescape")] = (mode, oid)
        return found

    # -- reading --------------------------------------------------------------------------

    def _branches(self) -> dict[str, BranchInfo]:
        return list_branches(self.repo)

    def _decisions(self) -> dict[str, ReviewRecord]:
        """The latest decision per patch id."""
        return {review.id: review for review in self.records.reviews()}

    def list(self, status: str = "pending") -> list[Patch]:
        """Patches, oldest first. ``status`` is pending, merged, rejected, gone or all;
        a pending patch whose branch was deleted outside memento is 'gone'."""
        if status not in STATUSES:
            raise PatchError(
                f"unknown status {status!r}",
                field="status",
                fix=f"use one of {', '.join(STATUSES)}",
            )
        branches = self._branches()
        decisions = self._decisions()
        reverts = functools.cache(self._reverts)  # only if a merged patch is read
        out = []
        for patch_id in sorted(set(self.records.ids()) | set(branches)):
            patch = self._assemble(patch_id, branches.get(patch_id), decisions.get(patch_id), reverts)
            if patch is not None and (status == "all" or patch.status == status):
                out.append(patch)
        return out

    def get(self, patch_id: str) -> Patch:
        """One patch by id, a unique prefix of it, or its random last part."""
        patch = self.find(patch_id)
        if patch.status == "gone":
            raise PatchNotFound(
                f"the branch {patch.branch} of patch {patch.id} was deleted outside memento",
                file=self.records.path_of(patch.id),
                fix=f"its evidence is kept in this file; 'memento patches reject {patch.id} "
                "--reason TEXT' records why it went",
            )
        return patch

    def find(self, patch_id: str) -> Patch:
        """A patch by id, prefix or last part, whatever its state (gone too)."""
        branches = self._branches()
        known = set(self.records.ids()) | set(branches)
        wanted = patch_id.strip().removeprefix("refs/heads/").removeprefix(BRANCH_PREFIX)
        wanted = wanted.rsplit("/", 1)[-1]
        if wanted in known:
            matches = [wanted]
        else:
            matches = sorted(k for k in known if k.startswith(wanted) or k.rsplit("-", 1)[-1] == wanted)
        if not wanted or not matches:
            raise PatchNotFound(
                f"no patch with id {patch_id!r}",
                file=self.records.dir,
                fix="run 'memento patches list --all' to see the ids",
            )
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
            raise PatchNotFound(
                f"{patch_id!r} matches {len(matches)} patches: {shown}",
                fix="give more of the id",
            )
        patch = self._assemble(
            matches[0],
            branches.get(matches[0]),
            self._decisions().get(matches[0]),
            self._reverts,
        )
        if patch is None:
            raise PatchNotFound(f"patch {matches[0]} has no record and no branch", file=self.records.dir)
        return patch

    def _reverts(self) -> dict[str, str]:
        """Merge commits reverted on main (by memento or by hand with git revert)."""
        try:
            return reverts_on(self.repo, self.main_branch())
        except PatchError:
            return {}

    def _assemble(
        self,
        patch_id: str,
        branch: BranchInfo | None,
        decision: ReviewRecord | None,
        reverts: Callable[[], dict[str, str]] | None = None,
    ) -> Patch | None:
        record = self.records.read(patch_id)
        if decision is not None and decision.action in ("merge", "reject", "revert"):
            status = {"merge": "merged", "reject": "rejected", "revert": "reverted"}[decision.action]
            if status == "merged" and decision.main_after and reverts is not None:
                # main's history is read only for a merged patch (a git log of main).
                status = "reverted" if is_reverted(decision.main_after, reverts()) else status
        else:
            status = "pending" if branch is not None else "gone"
        if record is None:
            if branch is None:
                return None
            record = self._record_from_branch(branch)
            has_record = False
        else:
            has_record = True
        patch = self.from_record(record, status, head=branch.head if branch else record.head)
        patch.has_record = has_record
        if decision is not None and status in ("merged", "rejected", "reverted"):
            patch.decided_at = decision.at
            patch.reason = decision.reason
            patch.merge_commit = decision.main_after if status == "merged" else None
        return patch

    def _record_from_branch(self, branch: BranchInfo) -> PatchRecord:
        return record_from_branch(self.repo, branch)

    @staticmethod
    def from_record(record: PatchRecord, status: str, *, head: str) -> Patch:
        return Patch(
            id=record.id,
            skill=record.skill,
            branch=record.branch,
            base=record.base,
            head=head,
            created_at=record.created_at,
            status=status,  # type: ignore[arg-type]
            files=list(record.files),
            subject=record.subject,
            evidence=record.evidence,
            made_by=record.made_by,
        )

    def update_evidence(self, patch_id: str, evidence: PatchEvidence) -> Patch:
        """Replace a patch's evidence (after replay and regressions ran). The commit's
        trailers keep what was known when it was made; the record is the current word."""
        patch = self.find(patch_id)
        record = self.records.read(patch.id) or PatchRecord(
            id=patch.id,
            skill=patch.skill,
            branch=patch.branch,
            base=patch.base,
            head=patch.head,
            created_at=patch.created_at,
            files=patch.files,
            subject=patch.subject,
            evidence=patch.evidence,
        )
        record.evidence = evidence
        self.records.write(record)
        patch.evidence = evidence
        patch.has_record = True
        return patch

    # -- diffs and exports -----------------------------------------------------------------

    def _diff_range(self, patch: Patch) -> tuple[str, str]:
        """(merge base, head): a pending patch against main as it is now, a decided one
        against the commit it was made from."""
        start = self.main_tip() if patch.status == "pending" else patch.base
        try:
            base = self.repo.out("merge-base", "--end-of-options", start, patch.head)
        except GitError:
            raise PatchNotFound(
                f"the commits of patch {patch.id} are no longer in the repository",
                file=self.records.path_of(patch.id),
                fix="a rejected patch's commits go when git collects garbage; its evidence remains",
            ) from None
        return base, patch.head

    def diff(self, patch_id: str) -> StructuredDiff:
        patch = self.get(patch_id)
        base, head = self._diff_range(patch)
        out = self.repo.git(
            "diff", *_DIFF_OPTIONS, "--patch-with-raw", "-z", "--end-of-options", base, head, "--"
        ).stdout
        return parse_diff(out, base, head)

    def diff_text(self, patch_id: str) -> str:
        """Plain ``git diff`` from the merge base with main to the patch branch."""
        patch = self.get(patch_id)
        base, head = self._diff_range(patch)
        out = self.repo.git("diff", *_DIFF_OPTIONS, "--end-of-options", base, head, "--").stdout
        return out.decode("utf-8", "replace")

    def export_skill(self, patch_id: str, dest: Path, *, on_main: bool = False) -> Path:
        """Write the branch's version of ``skills/<skill>/`` to ``dest/<skill>/`` and return
        that folder: for replaying a patch in a temp dir, never in the person's checkout.
        Symlinks and submodules are not written; scripts keep their executable bit.

        ``on_main``: the patch applied to main as it is now (for a person's edit, which
        becomes a patch from today's main: starting from the old branch would drop what
        main gained since); PatchConflict when it no longer applies."""
        patch = self.get(patch_id)
        prefix = f"{SKILLS_DIR_NAME}/{patch.skill}/"
        rev = (
            applied_to_main(self.repo, self.main_branch(), self.main_tip(), patch, f"edit patch {patch.id}")
            if on_main
            else patch.head
        )
        entries = self.ls_tree(rev, prefix.rstrip("/"))
        target = Path(dest) / patch.skill
        if target.exists() and any(target.iterdir()):
            raise PatchError("the export folder is not empty", file=target, fix="export into a fresh folder")
        target.mkdir(parents=True, exist_ok=True)
        wanted = [(p, m, o) for p, (m, o) in sorted(entries.items()) if m in (MODE_FILE, MODE_EXEC)]
        blobs = self._cat_blobs([o for _, _, o in wanted])
        root = target.resolve()
        for (path, mode, _oid), content in zip(wanted, blobs, strict=True):
            out = (root / path[len(prefix) :]).resolve()
            if root not in out.parents:
                continue  # git never stores such a name; refuse to follow one anyway
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(content)
            if mode == MODE_EXEC:
                os.chmod(out, 0o755)
        return target

    def _cat_blobs(self, oids: builtins.list[str]) -> builtins.list[bytes]:
        if not oids:
            return []
        out = self.repo.git("cat-file", "--batch", input=("\n".join(oids) + "\n").encode()).stdout
        blobs: builtins.list[bytes] = []
        pos = 0
        for _ in oids:
            end = out.index(b"\n", pos)
            size = int(out[pos:end].split()[2])
            blobs.append(out[end + 1 : end + 1 + size])
            pos = end + 1 + size + 1
        return blobs

    # -- review decisions (review.py) -------------------------------------------------

    def rejected_ideas(self, skill: str) -> builtins.list[Rejection]:
        """What the person rejected for this skill, oldest first, for later reflections."""
        return [
            Rejection(
                id=r.id,
                skill=r.skill,
                reason=r.reason or "",
                summary=r.summary,
                failure_category=r.failure_category,
                files=r.files,
                rejected_at=r.at,
            )
            for r in self.records.reviews()
            if r.action == "reject" and r.skill == skill
        ]


_DIFF_OPTIONS = (
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "--no-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)

"""Patch branches: a proposed change to one skill, kept as a git branch with its evidence.

A patch is a commit on ``memento/patch/<skill>/<id>``, made from the main branch with
git plumbing and a private index file, so the person's working tree, index and HEAD are
never touched, even while they have edits open. The program makes the id and the branch
name; nothing from model text goes into either. Evidence travels twice: as trailers in
the commit message (fixed at creation) and as ``.memento/patches/<id>.json`` (updated
after replay). Review decisions (merge, reject, undo) live in patch_review.py.
"""

from __future__ import annotations

import builtins
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from memento_tui.domain.git_repo import MEMENTO_IDENTITY, ZERO_OID, GitError, GitRepo
from memento_tui.domain.patch_diff import StructuredDiff, parse_diff
from memento_tui.domain.patch_model import (
    BRANCH_PREFIX,
    ID_RE,
    MergeResult,
    Patch,
    PatchError,
    PatchEvidence,
    PatchNotFound,
    PatchRecord,
    PatchRefused,
    Rejection,
    ReviewRecord,
    UndoResult,
)
from memento_tui.domain.patch_records import PatchRecords
from memento_tui.domain.patch_rules import (
    MODE_EXEC,
    MODE_FILE,
    build_changes,
    check_against_base,
    clean_message,
    one_line,
)
from memento_tui.domain.paths import SKILL_FILE, SKILLS_DIR_NAME
from memento_tui.domain.skills import NAME_RE
from memento_tui.domain.workspace import Workspace

__all__ = [
    "MergeResult",
    "Patch",
    "PatchError",
    "PatchEvidence",
    "PatchNotFound",
    "PatchRefused",
    "PatchStore",
    "Rejection",
    "UndoResult",
]

STATUSES = ("pending", "merged", "rejected", "gone", "all")
_REF_FORMAT = (
    "%(refname)%00%(objectname)%00%(parent)%00%(committerdate:unix)%00"
    "%(contents:subject)%00%(trailers:only,unfold)%00"
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


def new_patch_id() -> str:
    """Time-sortable and unique enough: UTC second plus 16 random bits (a clash is
    caught by the ref update, which refuses to overwrite, and retried)."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def branch_name(skill: str, patch_id: str) -> str:
    return f"{BRANCH_PREFIX}{skill}/{patch_id}"


class PatchStore:
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
            top, common = repo.out("rev-parse", "--show-toplevel", "--git-common-dir").split("\n")[
                :2
            ]
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

    def create(
        self,
        skill: str,
        files: Mapping[str, bytes | str | None],
        evidence: PatchEvidence,
        *,
        message: str | None = None,
        modes: Mapping[str, int | str] | None = None,
    ) -> Patch:
        """Make a patch branch from main with these file contents (None deletes a file).

        ``files`` maps paths relative to the repository root (``skills/<skill>/...``) to
        their new content. ``modes`` may mark files under ``scripts/`` as ``0o100755``; a
        file already on main keeps its mode unless given. Every rule is checked before
        anything is written; a broken one raises PatchRefused with the reason.
        """
        changes = build_changes(skill, files, modes)
        explicit_modes = set(modes or {})
        repo = self.repo
        base = self.main_tip()
        on_main = self._ls_tree(base, f"{SKILLS_DIR_NAME}/{skill}")
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
            oids = self._write_blobs(Path(tmp), [c.content or b"" for c in writes])
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
                    mode = existing[0]
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
        return self._commit_branch(skill, base, tree, sorted(touched), evidence, message)

    def _commit_branch(
        self,
        skill: str,
        base: str,
        tree: str,
        touched: list[str],
        evidence: PatchEvidence,
        message: str | None,
    ) -> Patch:
        repo = self.repo
        for _attempt in range(5):
            patch_id = new_patch_id()
            branch = branch_name(skill, patch_id)
            subject, text = commit_message(patch_id, skill, evidence, message)
            commit = repo.out(
                "commit-tree",
                tree,
                "-p",
                base,
                "-F",
                "-",
                input=text.encode(),
                author=MEMENTO_IDENTITY,
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
            if self.records.path_of(patch_id).exists():
                continue
            # The record first, so whoever sees the branch appear also finds its evidence.
            self.records.write(record)
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
                self.records.path_of(patch_id).unlink(missing_ok=True)
                if "exists" in err.stderr:
                    continue
                raise PatchError(
                    f"cannot create branch {branch}: {err.stderr}",
                    file=self.root,
                    fix="a branch named 'memento' or 'memento/patch' of your own blocks the "
                    "memento/patch/ namespace; rename it",
                ) from None
            return self._from_record(record, "pending", head=commit)
        raise PatchError("could not find a free patch id after 5 tries", file=self.root)

    def _write_blobs(self, tmp: Path, contents: list[bytes]) -> list[str]:
        if not contents:
            return []
        names = []
        for i, content in enumerate(contents):
            name = tmp / f"blob{i}"
            name.write_bytes(content)
            names.append(str(name))
        out = self.repo.out(
            "hash-object",
            "-w",
            "--no-filters",
            "--stdin-paths",
            input=("\n".join(names) + "\n").encode(),
        )
        return out.split("\n")

    def _ls_tree(self, rev: str, path: str) -> dict[str, tuple[str, str]]:
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
        out = self.repo.git(
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
                trailers=_parse_trailers(trailers),
            )
        return found

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
        out = []
        for patch_id in sorted(set(self.records.ids()) | set(branches)):
            patch = self._assemble(patch_id, branches.get(patch_id), decisions.get(patch_id))
            if patch is not None and (status == "all" or patch.status == status):
                out.append(patch)
        return out

    def get(self, patch_id: str) -> Patch:
        """One patch by id, a unique prefix of it, or its random last part."""
        patch = self._find(patch_id)
        if patch.status == "gone":
            raise PatchNotFound(
                f"the branch {patch.branch} of patch {patch.id} was deleted outside memento",
                file=self.records.path_of(patch.id),
                fix=f"its evidence is kept in this file; 'memento patches reject {patch.id} "
                "--reason TEXT' records why it went",
            )
        return patch

    def _find(self, patch_id: str) -> Patch:
        branches = self._branches()
        known = set(self.records.ids()) | set(branches)
        wanted = patch_id.strip().removeprefix("refs/heads/").removeprefix(BRANCH_PREFIX)
        wanted = wanted.rsplit("/", 1)[-1]
        if wanted in known:
            matches = [wanted]
        else:
            matches = sorted(
                k for k in known if k.startswith(wanted) or k.rsplit("-", 1)[-1] == wanted
            )
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
            matches[0], branches.get(matches[0]), self._decisions().get(matches[0])
        )
        if patch is None:
            raise PatchNotFound(
                f"patch {matches[0]} has no record and no branch", file=self.records.dir
            )
        return patch

    def _assemble(
        self, patch_id: str, branch: BranchInfo | None, decision: ReviewRecord | None
    ) -> Patch | None:
        record = self.records.read(patch_id)
        if decision is not None and decision.action in ("merge", "reject"):
            status = "merged" if decision.action == "merge" else "rejected"
        else:
            status = "pending" if branch is not None else "gone"
        if record is None:
            if branch is None:
                return None
            record = self._record_from_branch(branch)
            has_record = False
        else:
            has_record = True
        patch = self._from_record(record, status, head=branch.head if branch else record.head)
        patch.has_record = has_record
        if decision is not None and status in ("merged", "rejected"):
            patch.decided_at = decision.at
            patch.reason = decision.reason
            patch.merge_commit = decision.main_after if status == "merged" else None
        return patch

    def _record_from_branch(self, branch: BranchInfo) -> PatchRecord:
        """A stand-in record for a branch whose JSON is missing, from its commit trailers."""
        t = branch.trailers
        base = branch.parents[0] if branch.parents else ""
        files: list[str] = []
        if base:
            out = self.repo.git(
                "diff-tree", "-r", "-z", "--name-only", "--no-renames", base, branch.head
            ).stdout
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
        )

    @staticmethod
    def _from_record(record: PatchRecord, status: str, *, head: str) -> Patch:
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
        )

    def update_evidence(self, patch_id: str, evidence: PatchEvidence) -> Patch:
        """Replace a patch's evidence (after replay and regressions ran). The commit's
        trailers keep what was known when it was made; the record is the current word."""
        patch = self._find(patch_id)
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

    def export_skill(self, patch_id: str, dest: Path) -> Path:
        """Write the branch's version of ``skills/<skill>/`` to ``dest/<skill>/`` and return
        that folder: for replaying a patch in a temp dir, never in the person's checkout.
        Symlinks and submodules are not written; scripts keep their executable bit."""
        patch = self.get(patch_id)
        prefix = f"{SKILLS_DIR_NAME}/{patch.skill}/"
        entries = self._ls_tree(patch.head, prefix.rstrip("/"))
        target = Path(dest) / patch.skill
        if target.exists() and any(target.iterdir()):
            raise PatchError(
                "the export folder is not empty", file=target, fix="export into a fresh folder"
            )
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

    # -- review decisions (patch_review.py) -------------------------------------------------

    def merge(self, patch_id: str) -> MergeResult:
        from memento_tui.domain.patch_review import merge_patch

        return merge_patch(self, patch_id)

    def reject(self, patch_id: str, reason: str) -> Rejection:
        from memento_tui.domain.patch_review import reject_patch

        return reject_patch(self, patch_id, reason)

    def undo(self) -> UndoResult:
        from memento_tui.domain.patch_review import undo_last_merge

        return undo_last_merge(self)

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


def _parse_trailers(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.startswith("Memento-"):
            found[key.strip()] = value.strip()
    return found

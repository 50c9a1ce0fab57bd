"""``memento sync``: a team shares one skill library through its git remote.

One sync, in this order, each step safe to repeat:

1. What this workspace learned and decided is committed on main: new rows of
   ``.memento/learned/outcomes.jsonl`` and the review decisions not shared yet (copied into
   ``.memento/learned/decisions.jsonl``). Only those files; nothing else of the person's.
2. Fetch main and the patch branches from the remote.
3. Main comes up to date: a fast-forward, or a merge Memento makes (three-way, in plumbing;
   the two files above merge by union, so two people who learned at once never conflict).
   A conflict in a skill both edited is named, and nothing changes. With main checked out,
   the person's files move only where main changed, and never over their uncommitted edits.
4. Push main and this workspace's pending patch branches; branches of patches decided here
   are deleted there.
5. Teammates' pending patches come into the review queue (a local branch each, marked with
   who made it); branches of patches decided elsewhere are dropped here.

All git goes through the hardened git module; credentials are git's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memento_tui.domain.errors import MementoError
from memento_tui.domain.git_repo import GitError, GitRepo
from memento_tui.domain.patches.model import BRANCH_PREFIX, PatchConflict
from memento_tui.domain.patches.records import decision_key
from memento_tui.services.factory import Services

Progress = Callable[[str], None]
LEARNED = ".memento/learned"
UNION_FILES = (f"{LEARNED}/outcomes.jsonl", f"{LEARNED}/decisions.jsonl")
# A patch's evidence as its record says it now (after replay), a blob per patch: the
# commit's trailers say only what was known when it was made.
EVIDENCE_NAME = "memento-evidence"
EVIDENCE_REFS = "refs/memento/evidence/"


class SyncError(MementoError):
    """Sync stopped; what was done before stays done, and says so."""


@dataclass
class SyncResult:
    remote: str
    main_before: str
    main_after: str
    how: str  # "up to date", "fast-forward", "merged", "pushed", ...
    committed: str | None = None  # the commit of this workspace's learned state, if any
    pushed_patches: list[str] = field(default_factory=list)
    new_patches: list[tuple[str, str]] = field(default_factory=list)  # (id, made by)
    dropped_patches: list[str] = field(default_factory=list)


@dataclass
class SyncStatus:
    remote: str | None
    ahead: int = 0
    behind: int = 0
    others_pending: int = 0  # patches in the queue made by someone else


class _Sync:
    def __init__(self, services: Services, remote: str, progress: Progress) -> None:
        self.services = services
        self.store = services.patches()
        self.repo: GitRepo = self.store.repo
        self.remote = remote
        self.progress = progress
        self.main = self.store.main_branch()
        self.main_ref = f"refs/heads/{self.main}"
        self.tracking = f"refs/remotes/{remote}/{self.main}"

    # -- 1. what this workspace learned and decided ------------------------------------
    def commit_learned(self) -> str | None:
        paths = self.services.paths
        unshared = self.store.records.unshared()
        if unshared:
            shared = paths.shared_decisions
            shared.parent.mkdir(parents=True, exist_ok=True)
            lines = "".join(r.model_dump_json() + "\n" for r in unshared)
            with shared.open("a", encoding="utf-8") as handle:
                handle.write(lines)
        changed = self.repo.differs_from(self.main, LEARNED)
        if not changed:
            return None
        name = self.repo.person()[0]
        message = f"memento: what {name}'s Memento learned and decided"
        if self._main_worktree() == paths.root.resolve():
            # main is checked out here: commit exactly these files (whatever else the person
            # has staged stays staged, uncommitted).
            commit = self.repo.commit_paths(changed, message)
        else:
            tip = self.store.main_tip()
            tree = self._tree_with(
                tip, {p: (paths.root / p).read_bytes() for p in changed if (paths.root / p).is_file()}
            )
            commit = self.repo.out("commit-tree", tree, "-p", tip, "-F", "-", input=(message + "\n").encode())
            self._move_main(tip, commit, changed, "commit what was learned")
        self.progress(f"  committed {', '.join(Path(p).name for p in changed)} on {self.main}")
        return commit

    def _tree_with(self, base: str, files: dict[str, bytes]) -> str:
        """``base``'s tree with these files' contents, built in a private index."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="memento-sync-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.repo.git("read-tree", base, env=env)
            for path, data in files.items():
                blob = self.repo.out("hash-object", "-w", "--stdin", input=data)
                self.repo.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            return self.repo.out("write-tree", env=env)

    def _move_main(self, old: str, new: str, paths: list[str], what: str) -> None:
        from memento_tui.domain.patches.checkout import move_main

        move_main(self.store, old, new, paths, what)

    def _main_worktree(self) -> Path | None:
        from memento_tui.domain.patches.checkout import main_worktree

        found = main_worktree(self.store, self.main_ref)
        return found.resolve() if found is not None else None

    # -- 2. fetch ------------------------------------------------------------------------
    def fetch(self) -> None:
        self._need_remote()
        try:
            self.repo.remote(
                "fetch",
                "--prune",
                "--no-tags",
                self.remote,
                f"+refs/heads/{self.main}:{self.tracking}",
                f"+refs/heads/{BRANCH_PREFIX}*:refs/remotes/{self.remote}/{BRANCH_PREFIX}*",
                f"+{EVIDENCE_REFS}*:refs/remotes/{self.remote}/{EVIDENCE_NAME}/*",
            )
        except GitError as err:
            raise SyncError(
                f"cannot fetch from {self.remote}: {err.stderr}",
                fix=f"check the remote's address and your access (git remote -v; git fetch {self.remote})",
            ) from None

    def _need_remote(self) -> None:
        url = self.repo.out("remote", "get-url", "--", self.remote, ok=(0, 2, 128))
        if not url:
            raise SyncError(
                f"this workspace has no remote {self.remote!r}",
                file=self.services.paths.root,
                fix="add the team's repository: git remote add origin URL",
            )

    # -- 3. main -------------------------------------------------------------------------
    def integrate(self) -> str:
        tip = self.store.main_tip()
        theirs = self.repo.out("rev-parse", "--verify", "-q", self.tracking, ok=(0, 1))
        if not theirs or theirs == tip:
            return "up to date"
        base = self.repo.out("merge-base", tip, theirs, ok=(0, 1))
        if base == theirs:
            return "ahead"
        changed = self._changed(tip, theirs)
        if base == tip:
            self._move_main(tip, theirs, changed, f"fast-forward to {self.remote}")
            return "fast-forward"
        tree = self._merge_tree(tip, theirs, base)
        message = f"Merge {self.remote}/{self.main} into {self.main} (memento sync)\n"
        commit = self.repo.out("commit-tree", tree, "-p", tip, "-p", theirs, "-F", "-", input=message.encode())
        self._move_main(tip, commit, self._changed(tip, commit), f"merge {self.remote}")
        return "merged"

    def _changed(self, old: str, new: str) -> list[str]:
        out = self.repo.git("diff", "--name-only", "-z", "--no-renames", old, new, "--").stdout
        return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]

    def _merge_tree(self, ours: str, theirs: str, base: str) -> str:
        """A three-way merge in plumbing; the union files are merged line by line."""
        merged = self.repo.merge_trees(ours, theirs)
        tree, conflicts = merged.tree, merged.conflicts
        real = [c for c in conflicts if c not in UNION_FILES]
        if real:
            raise PatchConflict(
                f"{self.remote}/{self.main} and your {self.main} both changed {', '.join(real)}; nothing was changed",
                files=real,
                fix=f"merge by hand: git merge {self.remote}/{self.main} (then sync again)",
            )
        # The union files are made here, whatever git's attributes did with them: the same
        # rows in the same order on every machine.
        both = set(self._changed(base, ours)) & set(self._changed(base, theirs))
        unions = {
            path: self._union(path, base, ours, theirs) for path in UNION_FILES if path in both or path in conflicts
        }
        return self._tree_with(tree, unions) if unions else tree

    def _union(self, path: str, base: str, ours: str, theirs: str) -> bytes:
        """Both sides' rows, each once, in the order they were made (their ``at``): two
        people who learned at once end with the same file, as if one had learned it all."""

        def lines(rev: str) -> list[bytes]:
            blob = self.repo.git("cat-file", "blob", f"{rev}:{path}", ok=(0, 128))
            found = blob.stdout.splitlines() if blob.returncode == 0 else []
            return [line for line in found if line.strip()]

        known = lines(base)
        rows = list(dict.fromkeys(known + lines(ours) + lines(theirs)[len(known) :]))
        rows.sort(key=_made_at)  # stable: rows without a time keep their place at the end
        return b"".join(row + b"\n" for row in rows)

    # -- 4. push -------------------------------------------------------------------------
    def push(self) -> list[str]:
        refs = [f"{self.main_ref}:{self.main_ref}"]
        pushed: list[str] = []
        remote_branches = self._remote_patch_branches()
        for patch in self.store.list("pending"):
            if f"refs/heads/{patch.branch}" not in remote_branches:
                refs.append(f"refs/heads/{patch.branch}:refs/heads/{patch.branch}")
                pushed.append(patch.id)
            record = self.store.records.read(patch.id)
            if record is not None:
                blob = self.repo.out("hash-object", "-w", "--stdin", input=record.model_dump_json().encode("utf-8"))
                self.repo.git("update-ref", f"{EVIDENCE_REFS}{patch.id}", blob)
                refs.append(f"+{EVIDENCE_REFS}{patch.id}:{EVIDENCE_REFS}{patch.id}")
        decided = {p.branch: p.id for p in self.store.list("all") if p.status != "pending"}
        for branch in sorted(remote_branches):
            patch_id = decided.get(branch.removeprefix("refs/heads/"))
            if patch_id is not None:
                refs += [f":{branch}", f":{EVIDENCE_REFS}{patch_id}"]
        try:
            self.repo.remote("push", "--porcelain", self.remote, *refs)
        except GitError as err:
            raise SyncError(
                f"cannot push to {self.remote}: {err.stderr}",
                fix="someone pushed meanwhile, or you cannot write there: sync again, or "
                f"check your access (git push {self.remote} {self.main})",
            ) from None
        return pushed

    def _remote_patch_branches(self) -> set[str]:
        prefix = f"refs/remotes/{self.remote}/"
        out = self.repo.out("for-each-ref", "--format=%(refname)", f"{prefix}{BRANCH_PREFIX}")
        return {"refs/heads/" + ref.removeprefix(prefix) for ref in out.splitlines() if ref}

    # -- 5. teammates' patches -------------------------------------------------------------
    def _take_evidence(self, patch_id: str) -> None:
        """The teammate's record of the patch (evidence after replay, who made it)."""
        from memento_tui.domain.patches.model import PatchRecord

        ref = f"refs/remotes/{self.remote}/{EVIDENCE_NAME}/{patch_id}"
        blob = self.repo.git("cat-file", "blob", ref, ok=(0, 128))
        if blob.returncode != 0:
            return  # the branch's trailers stand in
        try:
            record = PatchRecord.model_validate_json(blob.stdout)
        except ValueError:
            self.progress(f"  patch {patch_id}: its evidence could not be read; using the commit's trailers")
            return
        if record.id == patch_id:
            self.store.records.write(record)

    def take_patches(self) -> tuple[list[tuple[str, str]], list[str]]:
        known = {p.id: p for p in self.store.list("all")}
        new: list[tuple[str, str]] = []
        prefix = f"refs/remotes/{self.remote}/"
        out = self.repo.out("for-each-ref", "--format=%(refname) %(objectname)", f"{prefix}{BRANCH_PREFIX}")
        for line in out.splitlines():
            ref, _, head = line.partition(" ")
            branch = ref.removeprefix(prefix)
            patch_id = branch.rsplit("/", 1)[-1]
            if patch_id in known:
                continue
            self._take_evidence(patch_id)
            self.repo.git("update-ref", f"refs/heads/{branch}", head, "")
            made_by = self.store.get(patch_id).made_by
            new.append((patch_id, made_by))
        dropped = []
        for patch in self.store.list("all"):
            if patch.status in ("merged", "rejected", "reverted"):
                ref = f"refs/heads/{patch.branch}"
                head = self.repo.out("rev-parse", "--verify", "-q", ref, ok=(0, 1))
                if head:
                    self.repo.git("update-ref", "-d", ref, head)
                    dropped.append(patch.id)
        return new, dropped


def _made_at(row: bytes) -> str:
    try:
        value = json.loads(row).get("at")
    except (ValueError, AttributeError):
        return "~"
    return str(value) if value else "~"


def sync(
    services: Services, *, remote: str = "origin", push: bool = True, on_progress: Progress | None = None
) -> SyncResult:
    progress = on_progress or (lambda _line: None)
    job = _Sync(services, remote, progress)
    before = job.store.main_tip()
    with job.store.records.decision_lock():
        committed = job.commit_learned()
        progress(f"  fetching from {remote}…")
        job.fetch()
        how = job.integrate()
        progress(f"  {job.main}: {how}")
        if how in ("fast-forward", "merged"):
            # Teammates' outcomes may sit between ours now: what retrieval derives from
            # them is made again from the whole file.
            services.index().relearn()
        pushed = job.push() if push else []
        new, dropped = job.take_patches()
    for patch_id, made_by in new:
        progress(f"  new patch from {made_by or 'a teammate'}: {patch_id}")
    return SyncResult(remote, before, job.store.main_tip(), how, committed, pushed, new, dropped)


def sync_status(services: Services, remote: str = "origin") -> SyncStatus:
    """Ahead/behind the last fetched remote main, and teammates' patches in the queue
    (no network: what the last sync saw)."""
    store = services.patches()
    repo = store.repo
    if not repo.out("remote", "get-url", "--", remote, ok=(0, 2, 128)):
        return SyncStatus(None)
    main = store.main_branch()
    tracking = f"refs/remotes/{remote}/{main}"
    counts = repo.out("rev-list", "--left-right", "--count", f"{main}...{tracking}", ok=(0, 128))
    ahead, behind = (int(n) for n in counts.split()) if counts else (0, 0)
    me = "{} <{}>".format(*repo.person())
    others = sum(1 for p in store.list("pending") if p.made_by and p.made_by != me)
    return SyncStatus(remote, ahead, behind, others)


def as_json(result: SyncResult) -> dict[str, Any]:
    return json.loads(json.dumps(result.__dict__))


__all__ = ["SyncError", "SyncResult", "SyncStatus", "as_json", "decision_key", "sync", "sync_status"]

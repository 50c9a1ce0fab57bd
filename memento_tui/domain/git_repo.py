"""The one module that runs git. Every call is hardened the same way.

Hooks and fsmonitor are off, no system or global config leaks in (git sees a clean,
private HOME), there is no pager and no prompt, automatic gc never runs in the middle of
a command, and git errors become WorkspaceError (GitError).

Two ways in: ``run()`` goes through GitPython (the design's library) and returns text;
``git()`` calls the git binary directly with bytes in and out, for the plumbing that
patches need (stdin, private index files, exit codes that are not failures) and that
must stay fast. Both build the same command line and environment.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memento_tui.domain.errors import WorkspaceError

HARDENING = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    # A gc or maintenance run started by one of our commands would stall it for seconds.
    "gc.auto=0",
    "maintenance.auto=false",
)
FALLBACK_NAME = "Memento"
FALLBACK_EMAIL = "memento@localhost"
# Commits the program authors itself (patch branches) carry this identity, not the person's.
MEMENTO_IDENTITY = (FALLBACK_NAME, FALLBACK_EMAIL)
ZERO_OID = "0" * 40


class GitError(WorkspaceError):
    """A git command failed; ``returncode`` and ``stderr`` say how."""

    def __init__(self, message: str, *, returncode: int, stderr: str, file: Path | None) -> None:
        super().__init__(message, file=file, fix="see the git message above")
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        """stdout as text, without the final newline."""
        return self.stdout.decode("utf-8", "replace").rstrip("\n")


@functools.cache
def _clean_home() -> str:
    return tempfile.mkdtemp(prefix="memento-git-home-")


@functools.cache
def person_identity() -> tuple[str, str]:
    """The person's own name and email, read (only read) from their global git config."""
    values = []
    for key in ("user.name", "user.email"):
        try:
            out = subprocess.run(
                ["git", "-c", "core.hooksPath=/dev/null", "config", "--global", "--get", key],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        values.append(out)
    return values[0] or FALLBACK_NAME, values[1] or FALLBACK_EMAIL


def git_env(author: tuple[str, str] | None = None) -> dict[str, str]:
    """The environment every git call runs with (nothing else is inherited: no GIT_DIR,
    GIT_INDEX_FILE or GIT_CONFIG_* from the caller's shell)."""
    name, email = author or person_identity()
    home = _clean_home()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    return env


# What a fetch or push may take from the person's own git setup: how they reach remotes
# (credential helpers, an ssh command, proxies). Nothing else of their config is read.
_REMOTE_KEYS = ("credential.helper", "core.sshCommand", "http.proxy", "https.proxy", "http.sslCAInfo")
_REMOTE_ENV = (
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


@functools.cache
def person_remote_options() -> tuple[str, ...]:
    """``-c key=value`` pairs from the person's global git config for reaching remotes."""
    options: list[str] = []
    for key in _REMOTE_KEYS:
        try:
            out = subprocess.run(
                ["git", "-c", "core.hooksPath=/dev/null", "config", "--global", "--get-all", key],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for value in out.splitlines():
            if value:
                options += ["-c", f"{key}={value}"]
    return tuple(options)


def remote_env() -> dict[str, str]:
    """The person's agent and proxy variables, for fetch and push only."""
    return {k: v for k in _REMOTE_ENV if (v := os.environ.get(k))}


@dataclass(frozen=True)
class TreeMerge:
    tree: str  # written even when files conflict (with git's conflict markers in them)
    conflicts: list[str]  # the files that conflict; empty for a clean merge


class GitRepo:
    """A git repository, driven with hardened options (GitPython for ``run``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not _looks_like_repo(root):
            raise WorkspaceError(
                "not a git repository",
                file=root,
                fix="run 'git init' there, or 'memento init' to make a new workspace",
            )
        self._gitpython: Any = None
        self._person: tuple[str, str] | None = None

    @property
    def _repo(self) -> Any:
        # GitPython is imported and set up on first use so 'memento --help' stays fast.
        if self._gitpython is None:
            import git

            try:
                repo = git.Repo(self.root)
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                raise WorkspaceError(
                    "not a git repository",
                    file=self.root,
                    fix="run 'git init' there, or 'memento init' to make a new workspace",
                ) from None
            repo.git.update_environment(**git_env())
            repo.git.set_persistent_git_options(c=list(HARDENING))
            self._gitpython = repo
        return self._gitpython

    @classmethod
    def open_or_init(cls, root: Path) -> GitRepo:
        if not (root / ".git").exists():
            subprocess.run(
                ["git", *_c_options(), "init", "-q", "-b", "main", str(root)],
                env=git_env(),
                check=True,
                capture_output=True,
            )
        return cls(root)

    def run(self, *args: str, **kwargs: Any) -> str:
        """Run one git command; failures become WorkspaceError naming the command."""
        import git

        try:
            return str(self._repo.git.execute(["git", *_c_options(), *args], **kwargs))
        except git.GitCommandError as err:
            raise WorkspaceError(
                f"git {args[0]} failed: {str(err.stderr).strip() or err}",
                file=self.root,
                fix="see the git message above",
            ) from None

    def git(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,),
        cwd: Path | None = None,
        author: tuple[str, str] | None = None,
    ) -> GitResult:
        """Run one git command with bytes in and out.

        ``env`` adds variables (e.g. a private GIT_INDEX_FILE); ``ok`` lists the exit codes
        that are answers rather than failures (``merge-tree`` exits 1 on a conflict);
        ``author`` sets both author and committer (default: the person).
        """
        full_env = git_env(author or self.person())
        if env:
            full_env.update(env)
        try:
            proc = subprocess.run(
                ["git", *_c_options(), *args],
                input=input if input is not None else b"",
                capture_output=True,
                cwd=cwd or self.root,
                env=full_env,
                check=False,
            )
        except OSError as err:
            raise WorkspaceError(
                f"cannot run git: {err}",
                fix="install git 2.39 or later (e.g. 'apt-get install git')",
            ) from None
        if proc.returncode not in ok:
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(
                f"git {args[0]} failed: {stderr or f'exit {proc.returncode}'}",
                returncode=proc.returncode,
                stderr=stderr,
                file=self.root,
            )
        return GitResult(proc.returncode, proc.stdout, proc.stderr)

    def out(self, *args: str, **kwargs: Any) -> str:
        """``git()`` and return stdout as text without the final newline."""
        return self.git(*args, **kwargs).text

    def merge_trees(self, ours: str, theirs: str) -> TreeMerge:
        """A three-way merge in plumbing (``merge-tree --write-tree``, the merge base found by
        git): the merged tree and the files that conflict. No work tree or index changes."""
        result = self.git(
            "merge-tree",
            "--write-tree",
            "-z",
            "--name-only",
            "--no-messages",
            "--end-of-options",
            ours,
            theirs,
            ok=(0, 1),
        )
        tokens = result.stdout.split(b"\0")
        conflicts = sorted({t.decode("utf-8", "replace") for t in tokens[1:] if t}) if result.returncode else []
        return TreeMerge(tokens[0].decode().strip(), conflicts)

    def person(self) -> tuple[str, str]:
        """The person's identity for commits they make through memento (a merge they
        approved): this repository's own user.name/email first, then their global ones."""
        if self._person is None:
            found: list[str] = []
            for key in ("user.name", "user.email"):
                proc = subprocess.run(
                    ["git", *_c_options(), "config", "--get", key],
                    capture_output=True,
                    cwd=self.root,
                    env=git_env(MEMENTO_IDENTITY),
                    check=False,
                )
                found.append(proc.stdout.decode("utf-8", "replace").strip())
            fallback = person_identity()
            self._person = (found[0] or fallback[0], found[1] or fallback[1])
        return self._person

    def remote(self, *args: str, ok: Sequence[int] = (0,)) -> GitResult:
        """``git fetch``/``git push``/``git ls-remote``: hardened like every call, with the
        person's own way of reaching remotes (credential helpers, ssh agent); credentials
        stay git's, never Memento's."""
        return self.git(*person_remote_options(), *args, env=remote_env(), ok=ok)

    def differs_from(self, ref: str, path: str) -> list[str]:
        """Files under ``path`` whose content on disk is not what ``ref`` holds: changed,
        deleted, or new and not ignored. A patch made from ``ref`` would not see them."""
        # -z: names as they are (git would quote and escape unusual ones otherwise).
        changed = self.out("diff", "-z", "--name-only", "--no-renames", ref, "--", path)
        new = self.out("ls-files", "-z", "--others", "--exclude-standard", "--", path)
        return sorted({p for p in [*changed.split("\0"), *new.split("\0")] if p})

    def commit_paths(self, paths: list[str], message: str) -> str:
        """Stage and commit exactly these paths (the person's other changes stay as they are)."""
        self.run("add", "--", *paths)
        self.run("commit", "-q", "-m", message, "--", *paths)
        return self.run("rev-parse", "HEAD")


# merge-tree --write-tree (every merge and revert is made in plumbing) came with git 2.38.
MIN_GIT = (2, 38)


def git_version() -> tuple[str, tuple[int, ...]]:
    """(``git --version`` text, version numbers); WorkspaceError with the fix when git is
    missing or older than MIN_GIT."""
    import re
    import shutil

    path = shutil.which("git")
    if path is None:
        raise WorkspaceError("git is not installed", fix="sudo apt-get install git")
    text = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=False, env=git_env()
    ).stdout.strip()
    match = re.search(r"(\d+)\.(\d+)", text)
    version = tuple(int(g) for g in match.groups()) if match else ()
    if version < MIN_GIT:
        need = ".".join(map(str, MIN_GIT))
        raise WorkspaceError(f"{text or 'git'} is too old", fix=f"install git {need} or newer")
    return text, version


def _looks_like_repo(root: Path) -> bool:
    if (root / ".git").exists():
        return True
    # A bare repository: the folder itself is the git directory.
    return (root / "HEAD").is_file() and (root / "objects").is_dir()


def _c_options() -> list[str]:
    out: list[str] = []
    for option in HARDENING:
        out += ["-c", option]
    return out

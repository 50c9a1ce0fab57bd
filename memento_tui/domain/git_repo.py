"""The one module that runs git. Every call is hardened the same way.

Hooks and fsmonitor are off, no system or global config leaks in (git sees a clean,
private HOME), there is no pager and no prompt, and git errors become WorkspaceError.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from memento_tui.domain.errors import WorkspaceError

HARDENING = ("core.hooksPath=/dev/null", "core.fsmonitor=false", "core.pager=cat")
FALLBACK_NAME = "Memento"
FALLBACK_EMAIL = "memento@localhost"


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
    """The environment every git call runs with."""
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


class GitRepo:
    """A git repository, driven through GitPython with hardened options."""

    def __init__(self, root: Path) -> None:
        import git  # GitPython: imported here so 'memento --help' stays fast

        self.root = root
        try:
            self._repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise WorkspaceError(
                "not a git repository",
                file=root,
                fix="run 'git init' there, or 'memento init' to make a new workspace",
            ) from None
        self._repo.git.update_environment(**git_env())
        self._repo.git.set_persistent_git_options(c=list(HARDENING))

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

    def commit_paths(self, paths: list[str], message: str) -> str:
        """Stage and commit exactly these paths (the person's other changes stay as they are)."""
        self.run("add", "--", *paths)
        self.run("commit", "-q", "-m", message, "--", *paths)
        return self.run("rev-parse", "HEAD")


def _c_options() -> list[str]:
    out: list[str] = []
    for option in HARDENING:
        out += ["-c", option]
    return out

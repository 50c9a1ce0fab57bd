"""Which folders may be mounted in the sandbox, and a readable copy of a closed skill."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

from memento_tui.domain import tree
from memento_tui.domain.sandbox.errors import SandboxRefused

# Folders whose presence says "this is somebody's home", never to be mounted.
_HOME_MARKERS = (".ssh", ".aws", ".gnupg")


def _home_dirs() -> set[Path]:
    homes = set()
    for raw in (os.environ.get("HOME"), _passwd_home()):
        if raw:
            homes.add(Path(raw).resolve())
    return homes


def _passwd_home() -> str | None:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


def checked_dir(path: Path | str, role: str) -> Path:
    """A folder that may be mounted: it exists, holds no .git, and is not a home."""
    given = Path(path)
    if not given.is_dir():
        raise SandboxRefused(f"the {role} is not a folder", file=given, fix=f"create it, or pass an existing {role}")
    real = given.resolve()
    if real == Path("/"):
        raise SandboxRefused(f"the {role} is /", file=given, fix=f"use a dedicated {role}")
    for home in _home_dirs():
        if real == home or real in home.parents:
            raise SandboxRefused(
                f"the {role} is (or contains) the home folder {home}",
                file=given,
                fix=f"use a dedicated {role}; nothing of $HOME is ever mounted in the sandbox",
            )
    if os.path.lexists(real / ".git"):
        raise SandboxRefused(
            f"the {role} holds a .git entry; a script could rewrite history or plant hooks",
            file=real / ".git",
            fix=f"use a {role} that is not a git repository (never the workspace root)",
        )
    for marker in _HOME_MARKERS:
        if os.path.lexists(real / marker):
            raise SandboxRefused(
                f"the {role} holds {marker}, so it looks like a home folder",
                file=real / marker,
                fix=f"use a dedicated {role}",
            )
    return real


def readable_copy(skill_dir: Path) -> Path:
    """A copy of a skill the sandbox uid can read (files cloned with umask 077 are not)."""
    base = Path(tempfile.mkdtemp(prefix="memento-skill-"))
    base.chmod(0o755)
    target = base / skill_dir.name
    shutil.copytree(skill_dir, target, symlinks=True)
    for rel, st in tree.files_under(target):
        os.chmod(target / rel, 0o755 if st.st_mode & 0o100 else 0o644)

    def open_dirs(entry: tree.Entry) -> None:
        if entry.is_dir:
            os.chmod(entry.name, 0o755, dir_fd=entry.dir_fd)

    target.chmod(0o755)
    tree.walk(target, open_dirs)
    return target

"""Shared helpers for tests/sandbox and tests/security: real bwrap, real folders.

Folders the sandbox mounts live under a world-traversable temp dir (not pytest's
0700 tmp_path), so the same tests also work when the sandbox runs as an unprivileged uid.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memento_tui.domain.config import SandboxConfig
from memento_tui.domain.sandbox import Sandbox
from memento_tui.domain.sandbox.policy import in_folder

IS_ROOT = os.geteuid() == 0


def make_sandbox(reviewed: Path | None = None, **overrides: object) -> Sandbox:
    """A sandbox with some settings changed; ``reviewed``: the folder whose skills count as
    reviewed (only they may get network)."""
    values: dict[str, object] = {"wall_seconds": 20.0}
    values.update(overrides)
    return Sandbox(
        SandboxConfig(**values),  # type: ignore[arg-type]
        reviewed=in_folder(reviewed) if reviewed is not None else None,
    )


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The default profile (process guard "auto"), probed once for the session."""
    box = make_sandbox()
    box.check()
    return box


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A fresh folder every uid can traverse (0755), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="memento-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def work(open_dir: Path) -> Path:
    folder = open_dir / "work"
    folder.mkdir(mode=0o755)
    return folder


def make_skill(root: Path, name: str, files: dict[str, str] | None = None, *, frontmatter: str = "") -> Path:
    """skills/<name>/SKILL.md plus ``files`` (relative path -> text), world-readable."""
    folder = root / name
    folder.mkdir(parents=True, mode=0o755)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: Test skill {name}.\n" + textwrap.dedent(frontmatter) + "---\n# Body\n",
        encoding="utf-8",
    )
    for rel, text in (files or {}).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


@pytest.fixture
def skill_factory(open_dir: Path) -> Callable[..., Path]:
    root = open_dir / "skills"
    root.mkdir(mode=0o755)

    def build(name: str = "probe", files: dict[str, str] | None = None, frontmatter: str = "") -> Path:
        return make_skill(root, name, files, frontmatter=frontmatter)

    return build


def snapshot(*roots: Path) -> dict[str, tuple[int, int, int, int, bytes | str]]:
    """Everything under ``roots``: mode, owner, size, mtime and content (or link target)."""
    state: dict[str, tuple[int, int, int, int, bytes | str]] = {}
    for root in roots:
        paths = [root, *root.rglob("*")] if root.is_dir() else [root]
        for path in paths:
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                body: bytes | str = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                body = path.read_bytes()
            else:
                body = b""
            state[str(path)] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, body)
    return state


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (to prove nothing outlived a run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found

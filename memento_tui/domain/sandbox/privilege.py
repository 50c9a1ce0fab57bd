"""Never host root: under root, the sandbox runs as an unprivileged uid.

A sandbox started by root maps its uid 0 to host root, so a ``chmod 4755`` in /work makes
a setuid-root file on the host's disk. Under root, bwrap is started as ``sandbox_uid``
(65534, "nobody") through ``setpriv``; files the command writes belong to nobody, and the
work dir is handed to that uid for the run and given back afterwards (``handover``).

That uid must be able to reach the folders bwrap mounts, and a workspace under a 0700 or
0750 home (``/root``, Ubuntu's ``/home/you``) is closed to it. Then the folders are
*staged*: an outer bwrap, still root, makes a private mount namespace in which a fresh
tmpfs at ``STAGE`` holds bind mounts of the folders, and the unprivileged bwrap mounts
them from there. Nothing about the person's folders changes, and the host sees no mount.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from memento_tui.domain import tree

STAGE = "/tmp"  # in the outer mount namespace only: a fresh tmpfs over the host's /tmp


def _allowed(st: os.stat_result, uid: int, gid: int, bits: int) -> bool:
    """Linux permission check for ``bits`` given as "other" bits (owner bits win, then group)."""
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    mask = bits << shift
    return st.st_mode & mask == mask


def unreachable_part(path: Path, uid: int, gid: int) -> Path | None:
    """The first folder on the way to ``path`` (itself included) that ``uid`` may not enter."""
    path = path.resolve()
    for folder in [*reversed(path.parents), path]:
        try:
            if not _allowed(folder.stat(), uid, gid, stat.S_IXOTH):
                return folder
        except OSError:
            return folder
    return None


def unreadable_part(folder: Path, uid: int, gid: int) -> str | None:
    """Something in a skill folder that ``uid`` could not read (a file cloned with umask
    077), as a path relative to the folder, or None when all of it is readable."""
    found: list[str] = []

    def visit(entry: tree.Entry) -> bool:
        need = stat.S_IROTH | (stat.S_IXOTH if entry.is_dir else 0)
        if (entry.is_dir or entry.is_file) and not _allowed(entry.st, uid, gid, need):
            found.append(entry.rel)
            raise _Found
        return True

    try:
        if not _allowed(folder.stat(), uid, gid, stat.S_IROTH | stat.S_IXOTH):
            return "."
        tree.walk(folder, visit)
    except _Found:
        return found[0]
    except OSError:
        return "."
    return None


class _Found(Exception):
    pass


def setpriv_argv(setpriv: str, uid: int, gid: int) -> list[str]:
    """A prefix that drops to ``uid`` with no supplementary groups, then execs the rest."""
    return [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]


@dataclass(frozen=True)
class Staged:
    """A folder bwrap mounts: where the inner bwrap finds it, and the outer bind (if any)."""

    source: Path
    seen_as: str
    outer_bind: tuple[str, str, str] | None = None  # (flag, host path, staged path)


def stage(folders: dict[str, tuple[Path, bool]], uid: int, gid: int) -> dict[str, Staged]:
    """For each named folder (path, read-only?), where the inner bwrap should mount it
    from: the folder itself when ``uid`` can reach them all, else a path under STAGE for
    every one of them (the staging tmpfs hides the host's STAGE from the inner bwrap)."""
    if all(unreachable_part(path, uid, gid) is None for path, _ in folders.values()):
        return {name: Staged(path, str(path)) for name, (path, _) in folders.items()}
    staged: dict[str, Staged] = {}
    for name, (path, read_only) in folders.items():
        inside = f"{STAGE}/{name}"
        flag = "--ro-bind" if read_only else "--bind"
        staged[name] = Staged(path, inside, (flag, str(path), inside))
    return staged


def outer_argv(bwrap: str, staged: dict[str, Staged]) -> list[str]:
    """The outer bwrap (run as root, no user namespace) that stages closed folders, or []."""
    binds = [s.outer_bind for s in staged.values() if s.outer_bind is not None]
    if not binds:
        return []
    args = [bwrap, "--dev-bind", "/", "/", "--perms", "0755", "--tmpfs", STAGE]
    for flag, source, inside in binds:
        args += [flag, source, inside]
    return [*args, "--die-with-parent", "--"]


def count_user_processes(uid: int) -> int:
    """How many processes ``uid`` has now (the kernel counts them all against RLIMIT_NPROC)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count

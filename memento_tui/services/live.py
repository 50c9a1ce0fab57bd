"""Live updates for long-lived front ends (the TUI): what changed on disk, without restart.

``patch_stamp`` is a cheap fingerprint of the patch branches and review decisions (a few
``stat`` calls, no git process), polled to notice branches a headless ``memento run`` made
in another terminal. Skills are watched by ``domain/retrieval/watcher.py::SkillWatcher``.
"""

from __future__ import annotations

from pathlib import Path

from memento_tui.domain.git_files import refs_stamp
from memento_tui.domain.patches.model import BRANCH_PREFIX
from memento_tui.services.factory import Services


def _stat_key(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def patch_stamp(services: Services) -> tuple[object, ...]:
    """Changes when a patch branch appears, moves or goes, main moves, or a decision is
    recorded (here or, through a sync, by a teammate)."""
    paths = services.paths
    return (
        _stat_key(paths.patches),
        _stat_key(paths.reviews),
        _stat_key(paths.shared_decisions),
        refs_stamp(paths.root, BRANCH_PREFIX),
    )

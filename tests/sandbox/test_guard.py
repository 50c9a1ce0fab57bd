"""The process guard and the work dir handed to the sandbox uid (root only)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import SandboxUnavailable
from memento_tui.domain.sandbox.guard import (
    WorkDirLease,
    find_pids_cgroup,
    require_reachable,
    strip_setid_bits,
    unreachable_part,
)
from tests.sandboxing import IS_ROOT, make_sandbox

root_only = pytest.mark.skipif(not IS_ROOT, reason="chown and uid switching need root")


@root_only
def test_lease_hands_over_and_gives_back_without_following_links(open_dir: Path) -> None:
    work = open_dir / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "file").write_text("x")
    outside = open_dir / "outside"
    outside.write_text("host")
    os.symlink(outside, work / "link")
    os.link(outside, work / "hard")
    lease = WorkDirLease.take(work, 65534, 65534)
    assert (work / "sub" / "file").stat().st_uid == 65534
    assert work.stat().st_uid == 65534
    assert outside.stat().st_uid == 0  # neither the symlink nor the hardlink moved it
    (work / "new").write_text("n")
    os.chown(work / "new", 65534, 65534)
    lease.give_back((0, 0))
    assert all(p.lstat().st_uid == 0 for p in [work, *work.rglob("*")])


@root_only
def test_setid_bits_are_stripped(open_dir: Path) -> None:
    target = open_dir / "tool"
    target.write_text("#!/bin/sh\n")
    target.chmod(0o6755)
    strip_setid_bits(open_dir)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_unreachable_part_names_the_closed_folder(open_dir: Path) -> None:
    closed = open_dir / "closed"
    inner = closed / "inner"
    inner.mkdir(parents=True)
    closed.chmod(0o700)
    assert unreachable_part(inner, 65534, 65534, read=True) == closed
    closed.chmod(0o755)
    assert unreachable_part(inner, 65534, 65534, read=True) is None
    with pytest.raises(SandboxUnavailable, match="chmod o\\+x"):
        closed.chmod(0o700)
        require_reachable([(inner, False)], 65534, 65534)


@root_only
def test_auto_falls_back_to_the_cgroup_for_a_closed_folder(tmp_path: Path) -> None:
    """pytest's own tmp_path is 0700: the sandbox uid cannot reach it."""
    if find_pids_cgroup() is None:
        pytest.skip("no writable pids cgroup here")
    work = tmp_path / "work"
    work.mkdir()
    result = make_sandbox().run(["sh", "-c", "id -u; echo ok > f"], work_dir=work)
    assert result.stdout.split() == ["0"]  # root inside, i.e. not the uid guard
    assert (work / "f").read_text() == "ok\n"


@root_only
def test_uid_guard_refuses_a_folder_it_cannot_reach(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(SandboxUnavailable, match="cannot reach"):
        make_sandbox(process_guard="uid").run(["true"], work_dir=work)

"""Never host root, and the work dir handed over and settled (the uid switch needs root)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import handover
from memento_tui.domain.sandbox.cgroups import find_cgroups
from memento_tui.domain.sandbox.privilege import stage, unreachable_part, unreadable_part
from tests.sandboxing import IS_ROOT, make_sandbox

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

root_only = pytest.mark.skipif(not IS_ROOT, reason="chown and uid switching need root")


@root_only
def test_handover_gives_and_takes_back_without_following_links(open_dir: Path) -> None:
    work = open_dir / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "file").write_text("x")
    outside = open_dir / "outside"
    outside.write_text("host")
    os.symlink(outside, work / "link")
    os.link(outside, work / "hard")
    owners = handover.take(work, 65534, 65534)
    assert (work / "sub" / "file").stat().st_uid == 65534
    assert work.stat().st_uid == 65534
    assert outside.stat().st_uid == 0  # neither the symlink nor the hardlink moved it
    (work / "new").write_text("n")
    os.chown(work / "new", 65534, 65534)
    handover.settle(work, owners, sandbox_ids=(65534, 65534), owner=(0, 0))
    assert all(p.lstat().st_uid == 0 for p in [work, *work.rglob("*")])


def test_setid_bits_are_cleared_on_files_and_folders(open_dir: Path) -> None:
    tool = open_dir / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o6755)
    folder = open_dir / "shared"
    folder.mkdir()
    folder.chmod(0o2775)
    settled = handover.settle(open_dir)
    assert stat.S_IMODE(tool.stat().st_mode) == 0o755
    assert stat.S_IMODE(folder.stat().st_mode) == 0o775
    assert sorted(settled.setid_cleared) == ["shared", "tool"]


def test_git_dirs_are_quarantined_and_restored(open_dir: Path) -> None:
    work = open_dir / "work"
    for repo in (work / ".git", work / "deep" / "x" / ".git", work / "bare"):
        (repo / "objects").mkdir(parents=True)
        (repo / "refs").mkdir()
        (repo / "HEAD").write_text("ref: refs/heads/main\n")
        (repo / "config").write_text("[core]\n\tfsmonitor = touch /tmp/pwned\n")
    (work / "sub").mkdir()
    (work / "sub" / ".git").write_text("gitdir: /somewhere/else\n")  # a worktree pointer
    (work / "HEAD").write_text("not a repo: no objects beside it\n")
    settled = handover.settle(work)
    left = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.name in (".git", "HEAD"))
    assert left == ["HEAD"]  # the only HEAD with no repository around it
    assert (work / ".git.quarantined-by-memento" / "HEAD.quarantined-by-memento").is_file()
    assert (work / "bare" / "HEAD.quarantined-by-memento").is_file()
    handover.restore(work, settled.quarantined)
    for repo in (work / ".git", work / "deep" / "x" / ".git", work / "bare"):
        assert (repo / "HEAD").is_file()
    assert (work / "sub" / ".git").is_file()


def test_unreachable_part_names_the_closed_folder(open_dir: Path) -> None:
    closed = open_dir / "closed"
    inner = closed / "inner"
    inner.mkdir(parents=True)
    closed.chmod(0o700)
    assert unreachable_part(inner, 65534, 65534) == closed
    closed.chmod(0o755)
    assert unreachable_part(inner, 65534, 65534) is None


def test_one_closed_folder_stages_them_all(open_dir: Path) -> None:
    closed = open_dir / "closed"
    (closed / "work").mkdir(parents=True)
    (open_dir / "skill").mkdir()
    folders = {"work": (closed / "work", False), "skill": (open_dir / "skill", True)}
    staged = stage(folders, 65534, 65534)
    assert [s.outer_bind for s in staged.values()] == [None, None]
    closed.chmod(0o700)
    staged = stage(folders, 65534, 65534)
    assert staged["work"].outer_bind == ("--bind", str(closed / "work"), "/tmp/work")
    assert staged["skill"].outer_bind == ("--ro-bind", str(open_dir / "skill"), "/tmp/skill")


def test_unreadable_skill_files_are_found(open_dir: Path) -> None:
    skill = open_dir / "s"
    (skill / "scripts").mkdir(parents=True)
    (skill / "scripts" / "x.py").write_text("print(1)\n")
    assert unreadable_part(skill, 65534, 65534) is None
    (skill / "scripts" / "x.py").chmod(0o600)
    assert unreadable_part(skill, 65534, 65534) == "scripts/x.py"


@root_only
def test_a_workspace_under_a_0700_home_runs_as_the_unprivileged_uid(tmp_path: Path) -> None:
    """pytest's tmp_path is 0700, like /root or an Ubuntu home: the sandbox still runs as
    nobody (staged), and a skill cloned with umask 077 is still readable inside."""
    work = tmp_path / "work"
    work.mkdir()
    skill = tmp_path / "skills" / "private"
    (skill / "scripts").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: private\ndescription: d\n---\n")
    (skill / "scripts" / "x.py").write_text("print('from the skill')\n")
    for path in (skill / "SKILL.md", skill / "scripts" / "x.py"):
        path.chmod(0o600)
    result = make_sandbox().run(
        ["sh", "-c", "id -u; python3 /skill/scripts/x.py; echo ok > f"],
        work_dir=work,
        skill_dir=skill,
    )
    assert result.stdout.split("\n")[:2] == ["65534", "from the skill"], result.stderr
    assert (work / "f").read_text() == "ok\n"
    assert (work / "f").stat().st_uid == 0  # given back to the caller


def _host_uids_of(marker: str) -> set[int]:
    uids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
                if marker.encode() in cmdline and b"bwrap" not in cmdline:
                    status = Path(entry.path, "status").read_text()
                    uids.add(int(status.split("Uid:")[1].split()[1]))  # the effective uid
            except (OSError, IndexError, ValueError):
                continue
    return uids


@root_only
def test_no_guard_ever_runs_the_sandbox_as_host_root(open_dir: Path, tmp_path: Path) -> None:
    """Seen from the host's /proc while the command runs, under every guard, in an open
    folder and in a closed (staged) one."""
    guards = ("auto", "rlimit", "uid") + (("cgroup",) if find_cgroups().has("pids") else ())
    for work in (open_dir / "work", tmp_path / "work"):
        work.mkdir()
        for number, guard in enumerate(guards):
            marker = f"{os.getpid()}.{number}{len(str(work))}7"
            seen: list[set[int]] = []

            def watch(stream: str, text: str, marker: str = marker, seen: list = seen) -> None:
                for _ in range(200):  # sh prints "ready" just before it starts sleep
                    if "ready" in text and (uids := _host_uids_of(f"sleep {marker}")):
                        seen.append(uids)
                        return
                    time.sleep(0.005)

            make_sandbox(process_guard=guard).run(
                ["sh", "-c", f"echo ready; sleep {marker}"],
                work_dir=work,
                wall_seconds=1,
                on_output=watch,
            )
            assert seen and seen[0] == {65534}, (guard, work, seen)

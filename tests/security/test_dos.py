"""Denial of service: fork bomb, memory, CPU spin, sleep, output flood, disk fill, many
small files, and processes that try to outlive the run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import Sandbox
from tests.sandboxing import IS_ROOT, processes_with

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

REPO = Path(__file__).resolve().parents[2]

FORK_BOMB = r"""
import os, time
children = 0
for _ in range(5000):
    try:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        children += 1
    except OSError as err:
        print("FORK REFUSED after", children, err)
        raise SystemExit(3)
print("NO LIMIT", children)
"""


def test_fork_bomb_is_stopped(limited, work: Path, guard: str) -> None:
    """Under root RLIMIT_NPROC does not bind; the uid or cgroup guard must."""
    box = limited(max_processes=40)
    result = box.run(["python3", "-c", FORK_BOMB], work_dir=work)
    assert "NO LIMIT" not in result.stdout
    assert "FORK REFUSED" in result.stdout
    children = int(result.stdout.split("after")[1].split()[0])
    assert children <= 40
    assert result.limit == "processes"


def test_shell_fork_bomb_ends_and_leaves_nothing(limited, work: Path) -> None:
    marker = f"memento-bomb-{uuid.uuid4().hex[:8]}"
    box = limited(max_processes=30, wall_seconds=5)
    script = f"b() {{ b | b & }}; b; sleep 1; echo {marker}"
    result = box.run(["bash", "-c", script], work_dir=work)
    assert result.limit in ("processes", "wall_time", None)
    assert processes_with(marker) == []


@pytest.mark.skipif(not IS_ROOT, reason="needs root to become an unprivileged user")
def test_fork_bomb_is_stopped_for_a_non_root_caller(open_dir: Path) -> None:
    """Memento run by a normal user: RLIMIT_NPROC binds, raised by the user's own count."""
    work = open_dir / "work"
    work.mkdir()
    os.chown(work, 65534, 65534)
    # A copy of the package where that user can read it: the checkout may be under a 0700
    # home (and the project's venv too), as on Ubuntu.
    code_dir = open_dir / "code"
    shutil.copytree(
        REPO / "memento_tui", code_dir / "memento_tui", ignore=shutil.ignore_patterns("__pycache__", "_starter")
    )
    for path in [code_dir, *code_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    code = textwrap.dedent(f"""
        import types, pathlib
        from memento_tui.domain.sandbox import Sandbox
        config = types.SimpleNamespace(
            cpu_seconds=10, memory_mb=512, max_processes=30, file_size_mb=8, open_files=64,
            output_bytes=100000, wall_seconds=20, tmp_size_mb=8, disk_mb=64, max_files=1000,
            env={{}}, network=[], process_guard="auto", sandbox_uid=65534, seccomp=True)
        box = Sandbox(config)
        result = box.run(["python3", "-c", {FORK_BOMB!r}], work_dir=pathlib.Path({str(work)!r}))
        print(box.check().guard, result.limit, result.stdout.strip())
        """)
    # The system python, as the project's venv lives under /root where nobody can look.
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", code],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(code_dir), "HOME": str(open_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=work,
    )
    assert out.returncode == 0, out.stderr
    guard, limit, *_rest = out.stdout.split()
    assert guard == "rlimit"
    assert limit == "processes"
    assert "FORK REFUSED" in out.stdout and "NO LIMIT" not in out.stdout


def test_memory_is_capped(limited, work: Path) -> None:
    box = limited(memory_mb=256)
    result = box.run(["python3", "-c", "x = bytearray(1024 * 1024 * 1024); print('ALLOCATED')"], work_dir=work)
    assert "ALLOCATED" not in result.stdout
    assert result.limit == "memory"


def test_cpu_spin_is_stopped(limited, work: Path) -> None:
    box = limited(cpu_seconds=1, wall_seconds=15)
    result = box.run(["python3", "-c", "while True: pass"], work_dir=work)
    assert result.limit == "cpu"
    assert result.exit_code == 128 + 24  # SIGXCPU
    assert result.duration < 10


def test_sleep_is_stopped_by_the_wall_clock_and_leaves_nothing(limited, work: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 1000}.5"
    box = limited(wall_seconds=1)
    # A background process in a new session, a nohup'd one, and the main one all sleep.
    script = f"setsid sleep {marker} & nohup sleep {marker} >/dev/null 2>&1 & sleep {marker}"
    result = box.run(["sh", "-c", script], work_dir=work)
    assert result.limit == "wall_time"
    assert result.exit_code is None
    assert result.duration < 5
    assert processes_with(f"sleep {marker}") == []


def test_background_processes_die_with_the_run(sandbox: Sandbox, work: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 1000}.25"
    result = sandbox.run(["sh", "-c", f"setsid sleep {marker} & (sleep {marker} &) ; echo started"], work_dir=work)
    assert result.exit_code == 0
    assert processes_with(f"sleep {marker}") == []


def test_output_flood_is_cut_at_the_cap(limited, work: Path) -> None:
    box = limited(output_bytes=50_000)
    seen: list[str] = []
    result = box.run(
        ["sh", "-c", "yes AAAAAAAAAAAAAAAA & yes BBBBBBBB >&2"],
        work_dir=work,
        on_output=lambda stream, text: seen.append(text),
    )
    assert result.limit == "output"
    assert result.truncated
    assert len(result.stdout.encode()) + len(result.stderr.encode()) <= 50_000
    assert sum(len(t.encode()) for t in seen) <= 50_000


def test_one_huge_file_is_cut_at_the_file_size_limit(limited, work: Path) -> None:
    box = limited(file_size_mb=2)
    result = box.run(["sh", "-c", "head -c 50000000 /dev/zero > big; echo done"], work_dir=work)
    assert (work / "big").stat().st_size <= 2 * 1024 * 1024
    assert "File size limit exceeded" in result.stderr or result.limit == "file_size"


def test_disk_fill_is_stopped(limited, work: Path) -> None:
    box = limited(disk_mb=8, file_size_mb=4, wall_seconds=20)
    script = "i=0; while true; do head -c 3000000 /dev/urandom > f$i || true; i=$((i+1)); done"
    result = box.run(["sh", "-c", script], work_dir=work)
    assert result.limit == "disk"
    used = sum(p.stat().st_size for p in work.iterdir())
    assert used < 200 * 1024 * 1024  # stopped within one check interval of the cap


def test_many_small_files_are_stopped(limited, work: Path) -> None:
    box = limited(max_files=200, wall_seconds=20)
    result = box.run(["python3", "-c", "import os\nfor i in range(10**6): open(f'f{i}', 'w').close()"], work_dir=work)
    assert result.limit == "files"
    assert len(os.listdir(work)) < 100_000


def test_tmp_is_bounded(limited, work: Path) -> None:
    box = limited(tmp_size_mb=4)
    result = box.run(["sh", "-c", "head -c 100000000 /dev/zero > /tmp/fill; wc -c < /tmp/fill"], work_dir=work)
    assert int(result.stdout.split()[-1]) <= 4 * 1024 * 1024


def test_stdin_is_empty(sandbox: Sandbox, work: Path) -> None:
    """A script waiting for input gets end-of-file at once instead of hanging the agent."""
    result = sandbox.run(["sh", "-c", "cat; read x; echo done"], work_dir=work)
    assert result.exit_code == 0 and result.stdout == "done\n"
    assert result.duration < 5
    assert sys.stdin is not None  # the test process's own stdin was not touched


# -- limits that hold for the run as a whole, and are named when they stop it ---------------

MANY_CHILDREN = r"""
import os, sys
kids = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        block = bytearray(120 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        os._exit(0)
    kids.append(pid)
codes = [os.waitpid(pid, 0)[1] for pid in kids]
print("ALL ALLOCATED" if all(c == 0 for c in codes) else "SOME KILLED")
"""


def test_memory_is_a_total_for_the_whole_tree(limited, work: Path, guard: str) -> None:
    """RLIMIT_AS is per process: 8 children of 120 MB pass a 256 MB one. The run's cgroup
    counts them together."""
    if guard != "cgroup":
        pytest.skip("only a cgroup counts the tree as a whole (doctor says so otherwise)")
    result = limited(memory_mb=256, max_processes=32).run(["python3", "-c", MANY_CHILDREN], work_dir=work)
    assert "ALL ALLOCATED" not in result.stdout
    assert result.limit == "memory", (result.stdout, result.stderr)


def test_tmpfs_pages_count_as_memory(limited, work: Path, guard: str) -> None:
    if guard != "cgroup":
        pytest.skip("only a cgroup charges tmpfs pages to the run")
    box = limited(memory_mb=128, tmp_size_mb=1024)
    script = "for i in 1 2 3 4 5 6 7; do head -c 60000000 /dev/zero > /tmp/f$i || exit 1; done; echo WROTE"
    result = box.run(["sh", "-c", script], work_dir=work)
    assert "WROTE" not in result.stdout
    assert result.limit == "memory", (result.stdout, result.stderr)


def test_the_root_of_the_sandbox_is_read_only(sandbox: Sandbox, work: Path) -> None:
    """bwrap's / is a tmpfs in host memory with no size: 60 MB files there used to raise
    host shared memory by 480 MB."""
    result = sandbox.run(
        ["sh", "-c", "{ head -c 60000000 /dev/zero > /big; } 2>&1; mkdir /d 2>&1; ls /"],
        work_dir=work,
    )
    assert result.stdout.count("Read-only file system") == 2, result.stdout
    assert "big" not in result.stdout.split()


def test_a_deleted_file_held_open_counts_as_disk(limited, work: Path) -> None:
    """Written, unlinked and kept open, a file takes space no walk of the folder sees."""
    script = r"""
import os, time
f = open("hidden", "wb")
os.unlink("hidden")
chunk = b"x" * (1024 * 1024)
for _ in range(64):
    f.write(chunk)
    f.flush()
    os.fsync(f.fileno())
time.sleep(5)
print("KEPT 64 MB")
"""
    box = limited(disk_mb=16, file_size_mb=128, wall_seconds=15)
    result = box.run(["python3", "-c", script], work_dir=work)
    assert result.limit == "disk", (result.stdout, result.stderr)
    assert "KEPT" not in result.stdout


def test_sparse_files_and_hard_links_count_what_they_really_take(limited, work: Path) -> None:
    """A 10 GB sparse file holds nothing; ten links to one file are one file."""
    script = (
        "truncate -s 10G sparse && head -c 6000000 /dev/urandom > data && "
        "for i in 1 2 3 4 5 6 7 8 9; do ln data link$i; done && sleep 1 && echo FINE"
    )
    result = limited(disk_mb=8, file_size_mb=16 * 1024).run(["sh", "-c", script], work_dir=work)
    assert result.stdout.strip() == "FINE" and result.limit is None, (result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("limit", "settings", "script"),
    [
        ("cpu", {"cpu_seconds": 1}, "while :; do :; done"),
        ("file_size", {"file_size_mb": 1}, "head -c 5000000 /dev/zero > f"),
        ("open_files", {"open_files": 32}, "python3 -c \"fs=[open('/dev/null') for _ in range(100)]\""),
        ("tmp_space", {"tmp_size_mb": 1}, "head -c 5000000 /dev/zero > /tmp/f"),
        ("output", {"output_bytes": 4096}, "yes"),
        ("wall_time", {"wall_seconds": 1}, "sleep 30"),
        ("files", {"max_files": 50}, "i=0; while :; do : > f$i; i=$((i+1)); done"),
    ],
)
def test_every_limit_that_stops_a_run_is_named(
    limited, work: Path, limit: str, settings: dict[str, int], script: str
) -> None:
    result = limited(**settings).run(["sh", "-c", script], work_dir=work)
    assert result.limit == limit, (result.exit_code, result.stderr[-300:])

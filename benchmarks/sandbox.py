"""What the sandbox costs per command.

    .venv/bin/python benchmarks/sandbox.py [--runs 40]

Times, as medians over N runs after a warm-up:
- a plain ``subprocess.run(["true"])`` with captured output (the baseline);
- ``Sandbox.run(["true"])`` under each process guard available here, and the overhead
  over the baseline (target ≤ 8 ms);
- ``Sandbox.run(["python3", "-c", "pass"])`` end to end (target ≤ 25 ms);
- the same without the sandbox (``--no-sandbox``: prlimit and the clean env only).

``--heavy`` first imports textual and litellm, so the figures are those of a process the
size of the TUI (where a fork() instead of a vfork() would cost 10+ ms per command).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from memento_tui.domain.config import SandboxConfig  # noqa: E402
from memento_tui.domain.sandbox import Sandbox  # noqa: E402
from memento_tui.domain.sandbox.cgroups import find_cgroups  # noqa: E402


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--heavy", action="store_true", help="import textual and litellm first")
    args = parser.parse_args()
    if args.heavy:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm  # noqa: F401
        import textual.app  # noqa: F401

        rss = Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]
        print(f"heavy process: textual and litellm imported, RSS {int(rss) // 1024} MB")

    work = Path(tempfile.mkdtemp(prefix="memento-bench-"))
    work.chmod(0o755)
    try:
        plain, plain90 = median_ms(
            lambda: subprocess.run(["true"], capture_output=True, stdin=subprocess.DEVNULL),
            args.runs,
        )
        print(f"plain subprocess 'true'            median {plain:6.1f} ms  p90 {plain90:6.1f} ms")
        guards = ["rlimit"] + (["cgroup"] if find_cgroups().has("pids") else [])
        # Under root, a work dir under a 0700 folder (a home) is reached through staging.
        closed = Path(tempfile.mkdtemp(prefix="memento-bench-closed-"))
        (closed / "work").mkdir()
        places = [("open", work)] + ([("0700", closed / "work")] if os.geteuid() == 0 else [])
        rows = []
        for guard in guards:
            box = Sandbox(SandboxConfig(process_guard=guard))  # type: ignore[arg-type]
            box.check()
            for place, folder in places:
                label = f"{guard}, {place}"
                true_ms, true90 = median_ms(lambda b=box, f=folder: b.run(["true"], work_dir=f), args.runs)
                py_ms, py90 = median_ms(lambda b=box, f=folder: b.run(["python3", "-c", "pass"], work_dir=f), args.runs)
                rows.append((label, true_ms, true90, py_ms, py90))
                print(
                    f"sandboxed 'true'  [{label:12}]  median {true_ms:6.1f} ms  p90 "
                    f"{true90:6.1f} ms  overhead {true_ms - plain:5.1f} ms (target <= 8)"
                )
                print(
                    f"sandboxed python3 -c pass [{label:12}]  median {py_ms:6.1f} ms  p90 "
                    f"{py90:6.1f} ms  (target <= 25)"
                )
        shutil.rmtree(closed, ignore_errors=True)
        loose = Sandbox(SandboxConfig(), allow_unsandboxed=True)
        loose_ms, loose90 = median_ms(lambda: loose.run(["true"], work_dir=work), args.runs)
        print(f"--no-sandbox 'true' (prlimit only)  median {loose_ms:6.1f} ms  p90 {loose90:6.1f} ms")
        py_plain, _ = median_ms(
            lambda: subprocess.run(["/usr/bin/python3", "-c", "pass"], capture_output=True, stdin=subprocess.DEVNULL),
            args.runs,
        )
        print(f"plain python3 -c pass               median {py_plain:6.1f} ms")
        print(f"\n{Sandbox(SandboxConfig()).describe()}")
        print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

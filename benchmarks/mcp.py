"""memento mcp: from start to the first find_skills answer, and find_skills round trips.

    .venv/bin/python benchmarks/mcp.py                 10k skills
    .venv/bin/python benchmarks/mcp.py --skills 1000

The library is retrieval_speed.py's synthetic one (skills of 200-1,500 words from a
Zipf-distributed vocabulary). Its index is built, and its caches written, before anything is
timed: the figures are for a workspace in use, not a first start (which builds the index:
about 3.5 s at 10k skills). The server is the real ``memento mcp -C DIR`` in a child
process, spoken to through the SDK's own stdio client, as an MCP client would.

- Start: from spawning the server to the answer of its first ``find_skills``, the initialize
  handshake included; the median of five fresh processes (and the fastest). Wall time moves
  with the machine's load, so the CPU time the server process used (start, first answer,
  exit) is given too: on an idle machine the wall time comes close to it.
- Round trip: 1,000 ``find_skills`` calls (3-9 word queries, top 5) on one connection,
  timed at the client; p50 and p99 of the quietest of three passes. Beside it, the same
  calls timed inside the server (the ``ms`` of each line of the call log: from the request
  read to the answer made), which leaves out the pipes and the client.
- litellm: the modules the server had loaded when it exited.
- Baseline: the SDK alone, an ``MCPServer`` whose one tool returns five fixed hits, timed
  the same way: the floor under both figures (the SDK's own import takes most of a second).

Targets: start <= 1 s and round trip p99 <= 5 ms at 10k skills; litellm never imported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/git.py would shadow the GitPython package: take this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402
from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402

from benchmarks import retrieval_speed as speed  # noqa: E402

STARTS = 5
QUERIES = 1_000
PASSES = 3


def prepare(root: Path, count: int) -> None:
    """The library, its index built and warmed once, as a workspace in use has it."""
    speed.write_library(root, count)
    code = (
        "from pathlib import Path\n"
        "from memento_tui.services.factory import make_services\n"
        f"s = make_services(Path({str(root)!r}))\n"
        "s.index().search('warm up', 1)\n"
        "s.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


BASELINE = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("baseline")
HITS = {"skills": [{"name": f"skill-{i}", "description": "a skill", "score": 1.0, "why": ["name"]}
                   for i in range(5)]}

@server.tool()
def find_skills(task: str, k: int | None = None) -> dict:
    return HITS

server.run()
"""


def _params(root: Path | None, modules_out: Path | None = None) -> StdioServerParameters:
    if root is None:
        args = ["-c", BASELINE]
    elif modules_out is None:
        args = ["-m", "memento_tui", "mcp", "-C", str(root)]
    else:
        args = [
            "-c",
            (
                "import atexit, sys\n"
                f"atexit.register(lambda: open({str(modules_out)!r}, 'w').write('\\n'.join(sys.modules)))\n"
                "from memento_tui.cli.main import main\n"
                f"sys.exit(main(['mcp', '-C', {str(root)!r}]))\n"
            ),
        ]
    return StdioServerParameters(command=sys.executable, args=args, cwd=str(ROOT))


def first_answer_cpu(root: Path | None) -> tuple[float, float]:
    """(wall seconds to the first answer, CPU seconds of the whole server process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = anyio.run(first_answer, root)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


async def first_answer(root: Path | None, modules_out: Path | None = None) -> float:
    """Seconds from spawning the server to its first find_skills answer."""
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(_params(root, modules_out), errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool("find_skills", {"task": "convert csv files to json", "k": 5})
            took = time.perf_counter() - started
            assert not result.is_error, result.content
    return took


async def round_trips(root: Path | None) -> tuple[float, float]:
    """(p50, p99) in ms of find_skills round trips, the quietest of three passes."""
    qs = speed.queries(QUERIES)
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(_params(root), errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for q in qs[:50]:  # warm-up: first touches of the mmapped index
                await session.call_tool("find_skills", {"task": q, "k": 5})
            passes = []
            for _ in range(PASSES):
                times = []
                for q in qs:
                    t = time.perf_counter()
                    result = await session.call_tool("find_skills", {"task": q, "k": 5})
                    times.append((time.perf_counter() - t) * 1000)
                    assert not result.is_error
                passes.append(times)
    best = min(passes, key=lambda ts: speed.percentile(ts, 99))
    return speed.percentile(best, 50), speed.percentile(best, 99)


def server_side(root: Path) -> tuple[float, float]:
    """(p50, p99) in ms of find_skills inside the server, from the round trips' call log."""
    from memento_tui.domain.paths import WorkspacePaths
    from memento_tui.mcp.calllog import CallLog

    records = [r for r in CallLog(WorkspacePaths(root)).read() if r.tool == "find_skills"]
    last = records[-1].session
    times = [r.ms for r in records if r.session == last][50:]  # after the warm-up
    return speed.percentile(times, 50), speed.percentile(times, 99)


def _starts(seconds: Sequence[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms (fastest {min(seconds) * 1000:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skills", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="memento-mcp-bench-") as tmp:
        root = Path(tmp) / "lib"
        started = time.perf_counter()
        prepare(root, args.skills)
        print(f"{args.skills:,} skills written and indexed in {time.perf_counter() - started:.1f} s")
        modules = Path(tmp) / "modules.txt"
        anyio.run(first_answer, root, modules)  # also lists the modules it loaded
        starts, cpu = zip(*[first_answer_cpu(root) for _ in range(STARTS)], strict=True)
        loaded = set(modules.read_text().split("\n"))
        heavy = sorted(m for m in loaded if m.split(".")[0] in ("litellm", "openai", "textual"))
        p50, p99 = anyio.run(round_trips, root)
        inside = server_side(root)
        floor, floor_cpu = zip(*[first_answer_cpu(None) for _ in range(STARTS)], strict=True)
        floor_p50, floor_p99 = anyio.run(round_trips, None)
        load = os.getloadavg()[0]
    print()
    print("| server | start to first find_skills | its CPU | find_skills p50 | find_skills p99 | litellm imported |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| memento mcp, {args.skills:,} skills | {_starts(starts)} | {statistics.median(cpu):.2f} s "
        f"| {p50:.2f} ms | {p99:.2f} ms | {'yes: ' + ', '.join(heavy) if heavy else 'no'} |"
    )
    print(f"| memento mcp, inside the server | | | {inside[0]:.2f} ms | {inside[1]:.2f} ms | |")
    print(
        f"| the SDK alone (baseline) | {_starts(floor)} | {statistics.median(floor_cpu):.2f} s "
        f"| {floor_p50:.2f} ms | {floor_p99:.2f} ms | no |"
    )
    print(f"\nload average during the run: {load:.1f} (2 shared cores)")


if __name__ == "__main__":
    main()

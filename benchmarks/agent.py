"""The agent framework's own overhead per step, and `memento --help` wall time.

    .venv/bin/python benchmarks/agent.py [--steps 60]

A scripted OpenAI-compatible server on 127.0.0.1 answers instantly, so what is left is
Memento's own work per step: building the request, litellm's client path, parsing the
streamed reply, the trace write, the tool. Steps are file writes (no sandbox); a second
pass uses sandboxed commands and subtracts the sandbox's own time, taken from the trace.
Targets: <= 15 ms per step beyond the sandboxed command; `memento --help` <= 300 ms.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/git.py would shadow the GitPython package: take this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from memento_tui.domain.agent.loop import RunRequest  # noqa: E402
from memento_tui.domain.workspace import init_workspace  # noqa: E402
from memento_tui.services.factory import make_services  # noqa: E402
from memento_tui.testing.scripted_server import ScriptedServer, call  # noqa: E402


def _configure(ws, api_base: str, steps: int) -> None:  # type: ignore[no-untyped-def]
    cfg = ws.config
    cfg.model.name = "openai/scripted"
    cfg.model.api_base = api_base
    cfg.model.tool_calling = "native"
    cfg.model.retries = 0
    cfg.run.max_steps = steps + 5


def per_step(steps: int, sandboxed: bool, tasks: int = 1) -> tuple[float, float]:
    """Median ms per step of Memento's own work, and the sandbox's median ms per command,
    over ``tasks`` runs of ``steps`` steps each (the conversation, and so the request, grows
    with every step: a long task costs more per step than a short one)."""
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer() as server:
        ws = init_workspace(Path(tmp) / "ws")
        _configure(ws, server.api_base, steps)
        if sandboxed:
            script = [call("run", command=f"echo {i} > f{i}.txt") for i in range(steps)]
        else:
            script = [call("write_file", path=f"f{i}.txt", content=str(i)) for i in range(steps)]
        server.add(call("list_files"), *script, call("finish", answer="done", success=True))
        services = make_services(ws)
        services.index()  # built before timing: retrieval is not per step
        agent = services.agent()
        agent.run(RunRequest(task="warm up", learn=False))  # litellm import and first connection
        own: list[float] = []
        tool_all: list[float] = []
        for _ in range(tasks):
            server.add(*script, call("finish", answer="done", success=True))
            gaps, tool_time = _timed_run(agent)
            own += [g - (tool_time[i] if i < len(tool_time) else 0.0) for i, g in enumerate(gaps)]
            tool_all += tool_time
        sandbox_ms = statistics.median(tool_all) * 1000 if tool_all else 0.0
        return statistics.median(own) * 1000, sandbox_ms


def _timed_run(agent) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Seconds between consecutive model turns, and each sandboxed command's own seconds."""
    from memento_tui.domain.agent.loop import RunCallbacks

    stamps: list[float] = []
    tool_time: list[float] = []

    def on_event(event) -> None:  # type: ignore[no-untyped-def]
        if event.type == "model_turn":
            stamps.append(time.perf_counter())
        elif event.type == "tool_result" and event.name == "run":
            tool_time.append(event.duration)

    agent.run(RunRequest(task="bench", learn=False), RunCallbacks(on_event=on_event))
    return [b - a for a, b in itertools.pairwise(stamps)], tool_time


def help_time(runs: int = 15) -> float:
    exe = Path(sys.executable).parent / "memento"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="steps per task (default 10)")
    parser.add_argument("--tasks", type=int, default=6, help="tasks to time (default 6)")
    args = parser.parse_args()
    plain, _ = per_step(args.steps, sandboxed=False, tasks=args.tasks)
    own, sandbox = per_step(args.steps, sandboxed=True, tasks=args.tasks)
    long_plain, _ = per_step(50, sandboxed=False, tasks=1)
    help_ms = help_time()
    print(f"agent overhead per step, {args.steps}-step tasks (file tool):      {plain:6.1f} ms   (target <= 15)")
    print(f"agent overhead per step beyond the sandbox ({args.steps}-step):    {own:6.1f} ms   (target <= 15)")
    print(f"  sandboxed command itself (median):                  {sandbox:6.1f} ms")
    print(f"agent overhead per step, one 50-step task:            {long_plain:6.1f} ms   (grows with the conversation)")
    print(f"memento --help wall time (median of 15):      {help_ms:6.1f} ms   (target <= 300)")


if __name__ == "__main__":
    main()

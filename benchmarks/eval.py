"""Wall time of an eval at --jobs 1 and --jobs N, against a model that takes its time.

    .venv/bin/python benchmarks/eval.py [--rounds 3] [--delay 1.0] [--jobs 8]

A scripted OpenAI-compatible server on 127.0.0.1 answers every call after ``--delay``
seconds, as a real model does: the agent finishes each task in one turn (the task's
check, run in the sandbox, gives the verdict), and a reflection on a failure says there is
nothing to fix. What is measured is how much of the model's waiting the eval overlaps.
The starter suite (benchmarks/suites/starter.yaml), ``--rounds`` rounds, in a fresh
workspace. Target: at least 5x faster at 8 jobs than at 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/git.py would shadow the GitPython package: take this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from memento_tui.domain.workspace import init_workspace  # noqa: E402
from memento_tui.services.evaluation import EvalOptions, run_eval  # noqa: E402
from memento_tui.services.factory import make_services  # noqa: E402
from memento_tui.testing.scripted_server import ScriptedServer, Step, call, say  # noqa: E402

SUITE = ROOT / "benchmarks" / "suites" / "starter.yaml"


class SlowModel:
    """Finishes every task at once; a reflection finds nothing to fix. Every answer waits."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0

    def __call__(self, body: dict[str, Any]) -> Step:
        self.calls += 1
        system = body["messages"][0]["content"] if body["messages"][0]["role"] == "system" else ""
        if system.startswith("You are reviewing a failed run"):
            step = say(
                json.dumps(
                    {
                        "category": "model_error",
                        "weak_skill": None,
                        "decision_step": 1,
                        "missing_or_assumed": "nothing in a skill",
                        "fix_kind": "none",
                        "summary": "the model gave up",
                    }
                )
            )
        else:
            step = call("finish", answer="done", success=True)
        step.delay = self.delay
        return step


def timed_eval(rounds: int, jobs: int, delay: float) -> tuple[float, int, list[int]]:
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer() as server:
        model = SlowModel(delay)
        server.add(model)
        server.repeat_last = True
        ws = init_workspace(Path(tmp) / "ws")
        cfg = ws.config
        cfg.model.name = "openai/scripted"
        cfg.model.api_base = server.api_base
        cfg.model.tool_calling = "native"
        cfg.model.retries = 0
        services = make_services(ws)
        started = time.perf_counter()
        outcome = run_eval(services, SUITE, EvalOptions(rounds=rounds, jobs=jobs, new=True))
        took = time.perf_counter() - started
        services.close()
        passed = [r.passed for r in outcome.state.rounds]
        return took, model.calls, passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per model call")
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args()
    one, calls, passed_one = timed_eval(args.rounds, 1, args.delay)
    print(f"--jobs 1: {one:7.1f} s  ({calls} model calls of {args.delay:.1f} s; passed per round {passed_one})")
    many, calls_many, passed_many = timed_eval(args.rounds, args.jobs, args.delay)
    print(f"--jobs {args.jobs}: {many:7.1f} s  ({calls_many} model calls; passed per round {passed_many})")
    print(f"speed-up {one / many:.1f}x (target >= 5x); same results: {passed_one == passed_many}")


if __name__ == "__main__":
    main()

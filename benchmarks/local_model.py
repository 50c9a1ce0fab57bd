"""The bundled local model (SmolLM2-135M through llama.cpp's server): how long the server
takes to start, how fast it reads and writes tokens, and what a step of the agent costs.

    .venv/bin/python benchmarks/local_model.py [--starts 3] [--runs 3]

Needs the [local] extra. Token rates are taken straight from the server over HTTP (no
litellm), with the server's own token counts; prompts start with a fresh nonce so
llama.cpp's prefix cache does not help. Agent steps run the real agent in-process on a
trivial task, once in a workspace with no skills (the shortest prompt) and once with the
starter skills (five skill descriptions in the prompt).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/git.py would shadow the GitPython package: take this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from memento_tui.domain.agent.loop import RunRequest  # noqa: E402
from memento_tui.domain.agent.tools import TOOLS  # noqa: E402
from memento_tui.domain.llm.client import _lazy_litellm  # noqa: E402
from memento_tui.domain.llm.json_protocol import action_schema  # noqa: E402
from memento_tui.domain.llm.local import LocalServer, bundled_gguf, extra_status  # noqa: E402
from memento_tui.domain.workspace import init_workspace  # noqa: E402
from memento_tui.services.factory import make_services  # noqa: E402

TASK = "Run the shell command `wc -l notes.txt`."
FILLER = (ROOT / "README.md").read_text(encoding="utf-8")


def _post(server: LocalServer, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    assert server.info is not None
    request = urllib.request.Request(
        f"{server.info.url}/chat/completions",
        data=json.dumps({"model": "local", "temperature": 0, **body}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.api_key}"},
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=600) as reply:
        data = json.loads(reply.read())
    return data, time.monotonic() - started


def server_starts(n: int) -> list[float]:
    times = []
    for _ in range(n):
        server = LocalServer(bundled_gguf(), api_key="bench")
        times.append(server.ensure_started().started_in)
        server.close()
    return times


def token_rates(server: LocalServer) -> dict[str, float]:
    rates: dict[str, float] = {}
    # Reading: a ~700-token prompt, one token out.
    prompt = f"{uuid.uuid4()}\n{FILLER[:2800]}\nSummarise the text above."
    data, took = _post(server, {"messages": [{"role": "user", "content": prompt}], "max_tokens": 1})
    rates["prompt tokens"] = data["usage"]["prompt_tokens"]
    rates["prompt tokens/s"] = data["usage"]["prompt_tokens"] / took
    # Writing, free text. The prompt is tiny, so the time is nearly all generation.
    story = [{"role": "user", "content": f"{uuid.uuid4()} Write a long story about a lighthouse."}]
    data, took = _post(server, {"messages": story, "max_tokens": 128})
    rates["generated tokens/s (free text)"] = data["usage"]["completion_tokens"] / took
    # Writing under the JSON action grammar, as the agent does.
    action = [{"role": "user", "content": f"{uuid.uuid4()} {TASK} Answer with a JSON action."}]
    body = {
        "messages": action,
        "max_tokens": 128,
        "response_format": {"type": "json_object", "schema": action_schema(TOOLS)},
    }
    data, took = _post(server, body)
    rates["generated tokens/s (JSON action grammar)"] = data["usage"]["completion_tokens"] / took
    return rates


def agent_steps(runs: int, starter_skills: bool) -> dict[str, float]:
    """Each run as ``memento run --model local`` does it: a fresh server, a cold prompt.
    litellm is imported once beforehand (the CLI pays about 2-3 s more for that)."""
    _lazy_litellm()
    starts: list[float] = []
    first: list[float] = []
    later: list[float] = []
    later_tokens: list[int] = []
    per_step: list[float] = []
    prompt: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws", starter_skills=starter_skills)
        notes = Path(tmp) / "notes.txt"
        notes.write_text("alpha\nbeta\ngamma\n", encoding="utf-8")
        ws.config.model.name = "local"
        ws.config.run.max_steps = 4
        for _ in range(runs):
            services = make_services(ws)
            services.index()
            try:
                client = services.model()
                started = time.monotonic()
                record = services.agent().run(RunRequest(task=TASK, inputs=[notes], learn=False))
                wall = time.monotonic() - started
                info = client.server.info  # type: ignore[attr-defined]
                start = info.started_in if info is not None else 0.0
            finally:
                services.close()
            # (RunStore.trace's annotation names its own `list` method, which mypy trips on)
            events: list[Any] = services.runs().trace(record.id)[0]
            turns = [e for e in events if e.type == "model_turn"]
            starts.append(start)
            first.append(turns[0].duration)
            prompt.append(turns[0].prompt_tokens)
            later += [t.duration for t in turns[1:]]
            later_tokens += [t.completion_tokens for t in turns[1:]]
            per_step.append((wall - start) / max(record.steps, 1))
    med = statistics.median
    return {
        "steps per run": med([1 + len(later) / runs]),
        "server start s": med(starts),
        "first-step prompt tokens": med(prompt),
        "first step s": med(first),
        "later steps s": med(later) if later else 0.0,
        "later-step tokens out": med(later_tokens) if later_tokens else 0.0,
        "per step s": med(per_step),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="agent runs per workspace")
    args = parser.parse_args()
    usable, why = extra_status()
    if not usable:
        sys.exit(f"benchmarks/local_model.py needs the [local] extra: {why}")
    print(f"model: {bundled_gguf().name}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")

    starts = server_starts(args.starts)
    print(
        f"server start (spawn to first answer): median {statistics.median(starts):.2f} s, "
        f"min {min(starts):.2f} s over {len(starts)}"
    )

    server = LocalServer(bundled_gguf(), api_key="bench")
    server.ensure_started()
    try:
        _post(server, {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})
        for name, value in token_rates(server).items():
            print(f"{name}: {value:.0f}")
    finally:
        server.close()

    for label, starter in (("no skills", False), ("starter skills", True)):
        figures = ", ".join(f"{k} {float(v):.2f}" for k, v in agent_steps(args.runs, starter).items())
        print(f"agent, {label}: {figures}")
    print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

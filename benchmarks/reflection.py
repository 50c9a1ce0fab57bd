"""Reflection with the bundled local model over the starter suite's failures: how often
does its reflection parse, and name a category and a skill that exists?

    .venv/bin/python benchmarks/reflection.py [--workspace DIR] [--tasks N] [--code DIR]

The failures are made without any model. For each task of benchmarks/suites/starter.yaml
a scripted model does what the task's ``naive`` entry says (load the starter skill, run
its obvious command, report success) through the real agent, retrieval and sandbox, and
the task's check fails the run: a real failed trace, the same every time. Then the real
reflection step (``reflect()``, as ``memento reflect`` calls it) runs on each failed trace
with ``model = "local"`` (SmolLM2-135M behind llama.cpp's server).

The failed runs are kept in ``--workspace`` (made on the first call), so that the code
before a change can reflect on exactly the same traces: check out the older commit with
``git worktree add /tmp/before COMMIT`` and pass ``--code /tmp/before``.

A reflection counts as a success when it parses into the Reflection schema (so its
category is one of the eight) and, when it blames a skill (ambiguous goal, wrong format
assumption, wrong skill chosen, bug in skill, or a patch as its fix), names a skill that
exists. How many name an existing skill at all is printed too. Needs the [local] extra.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SUITE = HERE / "suites" / "starter.yaml"
# Failure categories that blame a skill (as memento_tui.domain.learning.models has them;
# written out here so that older checkouts, which lack the list, measure the same way).
BLAMING = {"ambiguous_goal", "wrong_data_format_assumption", "wrong_skill_chosen", "bug_in_skill"}


def _use_code(folder: Path) -> None:
    # benchmarks/git.py would shadow the GitPython package: take this folder off the path.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(folder))


def make_failures(workspace: Path, limit: int | None) -> None:
    """A workspace whose runs are the starter suite's naive attempts, each failed by its check."""
    from memento_tui.domain.agent.loop import RunRequest
    from memento_tui.domain.evaluation.suite import load_suite
    from memento_tui.domain.workspace import init_workspace
    from memento_tui.services.factory import make_services
    from memento_tui.testing.scripted_server import ScriptedServer, call

    suite = load_suite(SUITE)
    ws = init_workspace(workspace)
    with ScriptedServer() as server:
        ws.config.model.name = "openai/scripted"
        ws.config.model.api_base = server.api_base
        ws.config.model.tool_calling = "native"
        services = make_services(ws)
        try:
            for task in suite.tasks[:limit]:
                naive = task.naive
                assert naive is not None, task.id
                if naive.skill:
                    server.add(call("load_skill", name=naive.skill))
                server.add(
                    call(
                        "run",
                        command=naive.command,
                        **({"skill": naive.skill} if naive.skill else {}),
                    ),
                    call("finish", answer="done", success=True),
                )
                request = RunRequest(task=task.prompt, check=task.check, inputs=suite.input_paths(task), learn=False)
                record = services.agent().run(request)
                print(f"  {task.id}: {record.status}", flush=True)
        finally:
            services.close()


def reflect_all(workspace: Path) -> list[dict[str, Any]]:
    from memento_tui.domain.learning.reflect import reflect
    from memento_tui.domain.workspace import Workspace
    from memento_tui.services.factory import make_services

    ws = Workspace.at(workspace)
    ws.config.model.name = "local"
    ws.config.model.api_base = ""
    services = make_services(ws)
    rows: list[dict[str, Any]] = []
    try:
        runs = services.runs()
        library = services.library()
        model = services.model()
        failed = sorted(r.id for r in runs.list() if r.status == "failed")
        for run_id in failed:
            record = runs.load(run_id)
            events, _ = runs.trace(run_id)
            names = list(dict.fromkeys([*record.skills_used, *record.skills_retrieved[:2]]))
            involved = [library.skills[n] for n in names if n in library.skills]
            started = time.monotonic()
            # As services/learning.py calls it.
            answer = reflect(
                model,
                events=events,
                skills=involved,
                rejected=[],
                note="",
                max_tokens=min(4000, ws.config.learning.reflect_max_tokens),
            )
            took = time.monotonic() - started
            value = answer.value
            # Blaming a skill (a skill category, or a patch) means naming one that exists.
            blames = value is not None and (value.category in BLAMING or value.fix_kind == "patch_skill")
            named = value is not None and (value.weak_skill or "") in library.skills
            success = value is not None and (named or not blames)
            rows.append(
                {
                    "run": run_id,
                    "parsed": value is not None,
                    "names_skill": named,
                    "success": success,
                    "attempts": len(answer.raw),
                    "seconds": round(took, 1),
                    "tokens": answer.usage.total_tokens,
                    "category": value.category if value else None,
                    "weak_skill": value.weak_skill if value else None,
                    "fix_kind": value.fix_kind if value else None,
                    "error": answer.error[:160],
                }
            )
            row = rows[-1]
            print(
                f"  {record.task[:50]!r}: parsed {row['parsed']}, success {row['success']}, "
                f"{row['category']}/{row['weak_skill']}/{row['fix_kind']}, "
                f"{row['attempts']} attempt(s), {took:.1f} s {row['error'][:80]}",
                flush=True,
            )
    finally:
        services.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workspace",
        type=Path,
        default=Path("/tmp/memento-reflection-bench"),
        help="where the failed runs are kept (made on the first call)",
    )
    parser.add_argument("--tasks", type=int, default=None, help="only the first N suite tasks")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="the checkout whose memento_tui reflects (default: this one)",
    )
    parser.add_argument("--json", type=Path, help="write every reflection's row here")
    args = parser.parse_args()
    _use_code(args.code.resolve())
    from memento_tui.domain.llm.local import extra_status

    usable, why = extra_status()
    if not usable:
        sys.exit(f"benchmarks/reflection.py needs the [local] extra: {why}")
    if not (args.workspace / ".memento").is_dir():
        print(f"making the failed runs in {args.workspace} (scripted model, real sandbox)")
        make_failures(args.workspace, args.tasks)
    print(
        f"reflecting with the local model, code from {args.code}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows = reflect_all(args.workspace)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    n = len(rows)
    parsed = sum(r["parsed"] for r in rows)
    named = sum(r["names_skill"] for r in rows)
    success = sum(r["success"] for r in rows)
    print(
        f"failed runs: {n}; reflections that parse: {parsed}/{n}; name an existing skill: "
        f"{named}/{n}; successes (parse, and name the skill they blame): {success}/{n} "
        f"({success / max(n, 1):.0%}); median {statistics.median(r['seconds'] for r in rows):.1f} s, "
        f"{statistics.median(r['tokens'] for r in rows):.0f} tokens per reflection; "
        f"load at the end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

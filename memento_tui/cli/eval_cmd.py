"""``memento eval SUITE --rounds N``: the learning curve of a task suite.

Runs in a throw-away clone under .memento/eval/; validated patches are merged there
automatically between rounds, never into the workspace's own main.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from memento_tui.cli.common import print_json, print_table, safe, services_from
from memento_tui.cli.main import EXIT_OK

if TYPE_CHECKING:
    from memento_tui.services.evaluation import EvalOutcome


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="run a task suite round after round, learning in between (in a throw-away clone)",
        description="Run a task suite round after round. Between rounds, failed tasks are "
        "reflected on, fixes are validated by replay, and validated patches are merged into "
        "a throw-away clone of this workspace (.memento/eval/<suite>-<id>/); your own main "
        "is never touched. An interrupted eval resumes where it stopped.",
    )
    p.add_argument("suite", nargs="?", help="suite file (YAML), e.g. benchmarks/suites/starter.yaml")
    p.add_argument("--rounds", type=int, metavar="N", help="rounds to run (default 3)")
    p.add_argument("--resume", metavar="ID", help="resume this eval (id, prefix or folder name)")
    p.add_argument(
        "--new",
        action="store_true",
        help="start afresh even if an unfinished eval of this suite exists",
    )
    p.add_argument("--no-learn", action="store_true", help="only run the rounds; no reflection or merges")
    p.add_argument("--task", action="append", default=[], metavar="ID", help="only this task (repeatable)")
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="only tasks with this tag (repeatable)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="tasks of a round run at once (default: one per core); a round's results are the same whatever N",
    )
    p.add_argument("--model", help="litellm model string (overrides the config)")
    p.add_argument("--api-base", help="server URL (overrides the config)")
    p.add_argument("--list", action="store_true", help="list the evals in this workspace")
    p.add_argument("--json", action="store_true", help="print the report as JSON at the end")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from memento_tui.domain.errors import MementoError
    from memento_tui.domain.evaluation.report import report_data
    from memento_tui.domain.evaluation.state import list_evals
    from memento_tui.services.evaluation import EvalOptions, run_eval

    services = services_from(args)
    if args.list:
        return _list(list_evals(services.paths.eval), args.json)
    if args.rounds is not None and args.rounds < 1:
        raise MementoError("--rounds must be 1 or more", field="--rounds", fix="e.g. --rounds 3")
    model_cfg = services.workspace.config.model
    # The person's flags: they need no confirmation before a key is sent (llm/trust.py).
    if args.model:
        model_cfg.set_by_person(name=args.model)
    if args.api_base:
        model_cfg.set_by_person(api_base=args.api_base)
    quiet = args.quiet or args.json

    printing = threading.Lock()

    def progress(line: str) -> None:
        if not quiet:
            with printing:  # several tasks report at once
                print(safe(line), flush=True)  # tasks and verdicts come from the suite and model

    if args.jobs is not None and args.jobs < 1:
        raise MementoError("--jobs must be 1 or more", field="--jobs", fix="e.g. --jobs 4")
    options = EvalOptions(
        rounds=args.rounds,
        resume=args.resume,
        new=args.new,
        learn=not args.no_learn,
        task_ids=args.task,
        tags=args.tag,
        jobs=args.jobs or 0,
    )
    try:
        outcome = run_eval(services, Path(args.suite) if args.suite else None, options, progress)
    except KeyboardInterrupt:
        print("memento: eval interrupted; run the same command again (or --resume ID) to go on")
        raise
    finally:
        services.close()
    if args.json:
        print_json({**report_data(outcome.state), "report_md": str(outcome.report_md)})
    else:
        _print_summary(outcome)
    return EXIT_OK


def _print_summary(outcome: EvalOutcome) -> None:
    """The learning curve, a row per round, which tasks passed after learning, the reports."""
    from memento_tui.domain.evaluation.report import curve_chart, report_data

    print()
    for line in curve_chart(outcome.state):
        print(line)
    data = report_data(outcome.state)
    print_table(
        ("round", "success", "skills", "proposed", "validated", "merged", "tokens", "cost"),
        [
            (
                r["round"],
                f"{r['passed']}/{r['tasks']}",
                r["skills"],
                r["patches_proposed"],
                r["patches_validated"],
                r["patches_merged"],
                r["tokens"],
                f"${r['cost_usd']:.4f}",
            )
            for r in data["rounds"]
        ],
    )
    learned = [t for t in data["tasks"] if t["first_passed_round"] and t["first_passed_round"] > 1]
    never = [t["id"] for t in data["tasks"] if t["first_passed_round"] is None]
    if learned:
        print(
            "passed after learning: " + safe(", ".join(f"{t['id']} (round {t['first_passed_round']})" for t in learned))
        )
    if never:
        print("never passed: " + safe(", ".join(never)))
    print(f"report: {outcome.report_md}")
    print(f"        {outcome.report_json}")


def _list(evals: list, as_json: bool) -> int:
    if as_json:
        print_json(
            [
                {
                    "id": s.id,
                    "suite": s.suite_name,
                    "status": s.status,
                    "rounds": len(s.rounds),
                    "rounds_target": s.rounds_target,
                    "clone": s.clone,
                }
                for s in evals
            ]
        )
        return EXIT_OK
    rows = [
        (
            s.id,
            s.suite_name,
            s.status,
            f"{len(s.rounds)}/{s.rounds_target}",
            " ".join(f"{(r.success_rate or 0) * 100:.0f}%" for r in s.rounds),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created)),
        )
        for s in evals
    ]
    print_table(("eval", "suite", "status", "rounds", "success by round", "started"), rows)
    return EXIT_OK

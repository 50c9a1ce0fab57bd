"""``memento runs list|show|mark``: history and traces."""

from __future__ import annotations

import argparse
import time

from memento_tui.cli.common import (
    add_json_flag,
    one_line,
    print_json,
    print_table,
    safe,
    services_from,
)
from memento_tui.domain.agent.render import describe


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("runs", help="past runs: list, show a trace, mark pass or fail")
    runs_sub = parser.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    p = runs_sub.add_parser("list", help="recent runs, newest first")
    p.add_argument("--failed", action="store_true", help="only failed, errored or interrupted runs")
    p.add_argument("--limit", type=int, default=30)
    p.add_argument("--replays", action="store_true", help="include replays made while validating patches")
    add_json_flag(p)
    p.set_defaults(handler=cmd_list)
    p = runs_sub.add_parser("show", help="one run and its trace, readable")
    p.add_argument("id")
    add_json_flag(p)
    p.set_defaults(handler=cmd_show)
    p = runs_sub.add_parser("mark", help="your verdict on a run (beats every other source)")
    p.add_argument("id")
    p.add_argument("verdict", choices=("pass", "fail"))
    p.add_argument("--note", default="", help="why; reflection reads it")
    p.set_defaults(handler=cmd_mark)


def cmd_list(args: argparse.Namespace) -> int:
    store = services_from(args).runs()
    records = store.list(limit=args.limit, failed_only=args.failed, include_replays=args.replays)
    if args.json:
        print_json([r.model_dump() for r in records])
        return 0
    rows = [
        (
            r.id,
            r.status,
            r.verdict_source or "-",
            ",".join(r.skills_used) or "-",
            r.prompt_tokens + r.completion_tokens,
            f"${r.cost_usd:.4f}",
            one_line(r.task, 60),
        )
        for r in records
    ]
    print_table(("run", "status", "verdict by", "skills", "tokens", "cost", "task"), rows)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = services_from(args).runs()
    run_id = store.resolve(args.id)
    record = store.load(run_id)
    events, problems = store.trace(run_id)
    if args.json:
        print_json(
            {
                "run": record.model_dump(),
                "trace": [e.model_dump() for e in events],
                "problems": problems,
            }
        )
        return 0
    print(f"run {record.id}  {record.status}  ({time.strftime('%Y-%m-%d %H:%M', time.localtime(record.started))})")
    # The task and check are a person's or a suite's words, the trace is model text and
    # command output: all of it is shown, never obeyed.
    print(f"task: {safe(record.task)}")
    if record.check:
        print(f"check: {safe(record.check)}")
    print(f"folder: {safe(store.dir(run_id), single_line=True)}")
    print()
    for event in events:
        for line in describe(event):
            print(line)
    for problem in problems:
        print(f"warning: {safe(problem)}")
    if record.status == "interrupted":
        print("\nthe run was interrupted: the trace above is everything it recorded")
    return 0


def cmd_mark(args: argparse.Namespace) -> int:
    services = services_from(args)
    record = services.mark_run(args.id, passed=args.verdict == "pass", note=args.note)
    print(f"marked {safe(record.id, single_line=True)} {record.status}")
    if record.status == "failed":
        print(f"next: 'memento reflect {safe(record.id, single_line=True)}' to learn from it")
    return 0

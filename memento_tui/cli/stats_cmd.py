"""``memento stats``: where failures concentrate, and what the patches changed.

memento stats [--bucket day|week] [--since DAYS] [--threshold J] [--json]
memento stats critical RUN_ID [--note TEXT] [--unmark]
memento stats critical --pattern TEXT|PATTERN_ID [--note TEXT] [--unmark]
memento stats critical --list
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from memento_tui.cli.common import one_line, print_json, print_table, safe, services_from
from memento_tui.cli.main import EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats",
        help="failure analytics: categories, recurring task patterns, Pareto, per-skill success",
    )
    _view_options(p)
    p.set_defaults(handler=cmd_stats)
    stats_sub = p.add_subparsers(dest="stats_command", metavar="ACTION")
    c = stats_sub.add_parser(
        "critical",
        help="mark a failed run or a task pattern as critical: it ranks first in stats and the patch queue",
    )
    c.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the run to mark")
    c.add_argument(
        "--pattern", metavar="TEXT", help="a task text, or a pattern id shown by 'memento stats'"
    )
    c.add_argument("--note", default="", help="why it matters")
    c.add_argument("--unmark", action="store_true", help="take the mark away")
    c.add_argument("--list", action="store_true", help="list the marks in force")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(handler=cmd_critical)


def _view_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", choices=("day", "week"), default="week", help="trend buckets (UTC)")
    p.add_argument("--since", type=float, metavar="DAYS", help="only runs of the last DAYS days")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        metavar="J",
        help="how alike two task texts must be to share a pattern (word Jaccard, 0..1; default 0.5)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")


def cmd_stats(args: argparse.Namespace) -> int:
    from memento_tui.domain.errors import MementoError
    from memento_tui.services.insights import load_insights

    if not 0.0 < args.threshold <= 1.0:
        raise MementoError(
            "--threshold must be above 0 and at most 1",
            field="--threshold",
            fix="e.g. --threshold 0.5",
        )
    services = services_from(args)
    since = time.time() - args.since * 86400 if args.since is not None else None
    insights = load_insights(services, bucket=args.bucket, threshold=args.threshold, since=since)
    if args.json:
        print_json(insights.to_dict())
        return EXIT_OK
    from memento_tui.cli.stats_view import show

    show(insights)
    return EXIT_OK


def cmd_critical(args: argparse.Namespace) -> int:
    from memento_tui.domain.errors import MementoError
    from memento_tui.services.insights import critical_set, mark_critical

    services = services_from(args)
    if args.list:
        marks = critical_set(services)
        rows: list[Any] = [("run", run_id, m.note, _when(m.at)) for run_id, m in marks.runs.items()]
        rows += [("pattern", m.pattern, m.note, _when(m.at)) for m in marks.patterns]
        if args.json:
            print_json([{"kind": k, "ref": r, "note": n, "at": a} for k, r, n, a in rows])
        elif rows:
            print_table(("kind", "run or pattern", "note", "marked"), rows)
        else:
            print(
                "no critical marks; mark one with 'memento stats critical RUN_ID' or --pattern TEXT"
            )
        return EXIT_OK
    if (args.run_id is None) == (args.pattern is None):
        raise MementoError(
            "give either a RUN_ID or --pattern TEXT",
            field="critical",
            fix="memento stats critical 20261123-101500-ab12, or memento stats critical --pattern 'UK invoice dates'",
        )
    mark = mark_critical(
        services, run_id=args.run_id, pattern=args.pattern, note=args.note, unmark=args.unmark
    )
    if args.json:
        print_json(mark.model_dump())
        return EXIT_OK
    what = (
        f"run {mark.run_id}"
        if mark.kind == "run"
        else f"pattern {safe(repr(one_line(mark.pattern or '', 70)))}"
    )
    print(f"{what}: {'no longer critical' if args.unmark else 'marked critical'}")
    return EXIT_OK


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))

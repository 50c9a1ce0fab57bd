"""``memento stats``: where failures concentrate, and what the patches changed.

memento stats [--bucket day|week] [--since DAYS] [--threshold J] [--json]
memento stats critical RUN_ID [--note TEXT] [--unmark]
memento stats critical --pattern TEXT|PATTERN_ID [--note TEXT] [--unmark]
memento stats critical --list
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from memento_tui.cli.common import one_line, print_json, print_table, safe, services_from
from memento_tui.cli.main import EXIT_OK

if TYPE_CHECKING:  # analytics costs ~160 ms to import: only when stats runs
    from memento_tui.domain.analytics import Insights


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
    c.add_argument("--pattern", metavar="TEXT", help="a task text, or a pattern id shown by 'memento stats'")
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
            print("no critical marks; mark one with 'memento stats critical RUN_ID' or --pattern TEXT")
        return EXIT_OK
    if (args.run_id is None) == (args.pattern is None):
        raise MementoError(
            "give either a RUN_ID or --pattern TEXT",
            field="critical",
            fix="memento stats critical 20261123-101500-ab12, or memento stats critical --pattern 'UK invoice dates'",
        )
    mark = mark_critical(services, run_id=args.run_id, pattern=args.pattern, note=args.note, unmark=args.unmark)
    if args.json:
        print_json(mark.model_dump())
        return EXIT_OK
    what = f"run {mark.run_id}" if mark.kind == "run" else f"pattern {safe(repr(one_line(mark.pattern or '', 70)))}"
    print(f"{what}: {'no longer critical' if args.unmark else 'marked critical'}")
    return EXIT_OK


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


# -- the insights as text -------------------------------------------------------------

BAR = 24


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def show(ins: Insights) -> None:
    from memento_tui.domain.textcharts import percent

    t = ins.totals
    print(
        f"runs: {t.runs}  passed {t.passed} · failed {t.failed} · errors {t.errors}"
        + (f" · unfinished {t.unfinished}" if t.unfinished else "")
        + (f" · cancelled {t.cancelled}" if t.cancelled else "")
        + f"  success {percent(t.success_rate)}"
        + (f"  ({t.replays_excluded} replays not counted)" if t.replays_excluded else "")
    )
    if t.runs == 0:
        print("no runs yet: 'memento run \"TASK\" --check CMD' makes one")
        return
    for problem in ins.problems:
        print(f"note: {safe(problem)}")

    for part in (_show_critical, _show_categories, _show_patterns, _show_skills, _show_patch_effects):
        part(ins)
    _show_causes_and_listing(ins)


def _show_critical(ins: Insights) -> None:
    if not ins.critical:
        return
    print("\nCRITICAL (marked by you; ranks first everywhere)")
    for item in ins.critical:
        ref = safe(item.ref) if item.kind == "run" else f"pattern {safe(repr(one_line(item.ref, 50)))}"
        task = one_line(item.task, 60) if item.task else ""
        note = f"  — {safe(item.note, single_line=True)}" if item.note else ""
        print(f"  ! {ref}  {item.status}  {task}{note}")


def _show_categories(ins: Insights) -> None:
    from memento_tui.domain.textcharts import bar_chart, percent

    if not ins.categories:
        return
    print("\nFailures by category")
    rows = [
        (
            ("! " if c.critical else "  ") + c.label,
            c.share,
            f"{c.failures:>3}  {percent(c.share):>4}",
        )
        for c in ins.categories
    ]
    for line in bar_chart(rows, BAR):
        print("  " + line)


def _show_patterns(ins: Insights) -> None:
    from memento_tui.domain.analytics.failures import category_label
    from memento_tui.domain.textcharts import bar, percent

    if not ins.patterns:
        return
    p = ins.pareto
    print(
        f"\nRecurring failing tasks: {p.patterns} pattern(s). Pareto: the top {p.top_count} "
        f"({percent(p.top_count / p.patterns if p.patterns else None)} of patterns) cause "
        f"{p.top_failures} of {p.total_failures} failures ({percent(p.share)})."
    )
    for row in ins.patterns[:15]:
        share = row.failures / p.total_failures if p.total_failures else 0
        print(
            f"  {'!' if row.critical else ' '} {row.id}  {bar(share, 10)}  "
            f"{row.failures} of {row.runs} run(s) failed  {one_line(row.label, 48)}"
        )
        cats = ", ".join(f"{category_label(c)} {n}" for c, n in row.categories.items())
        print(f"               skills: {safe(', '.join(row.skills)) or '-'} · {safe(cats)}")
    if len(ins.patterns) > 15:
        print(f"  … and {len(ins.patterns) - 15} more (--json shows all)")


def _show_skills(ins: Insights) -> None:
    from memento_tui.domain.textcharts import bar, percent, sparkline

    if not ins.skills:
        return
    trends = {tr.skill: tr for tr in ins.trends}
    print(f"\nPer-skill success (trend by {ins.bucket}, oldest → newest)")
    print_table(
        ("", "skill", "runs", "passed", "failed", "success", "", "trend"),
        [
            (
                "!" if s.critical_failures else "",
                s.skill,
                s.runs,
                s.passed,
                s.failures,
                percent(s.success_rate),
                bar(s.success_rate, 12),
                sparkline([pt.rate for pt in trends[s.skill].points]) if s.skill in trends else "",
            )
            for s in ins.skills
        ],
    )


def _show_patch_effects(ins: Insights) -> None:
    from memento_tui.domain.textcharts import percent

    if not ins.patch_effects:
        return
    print("\nMerged patches: success of the skill before → after the merge")
    for e in ins.patch_effects:
        undone = " (undone)" if e.undone_at else ""
        print(f"  {safe(e.patch_id)}  {safe(e.skill)}  merged {_date(e.merged_at)}{undone}")
        change = "" if e.change is None else f"  {e.change * 100:+.0f} pts"
        line = (
            f"      {percent(e.before.rate)} ({e.before.runs} runs) → "
            f"{percent(e.after.rate)} ({e.after.runs} runs){change}"
        )
        if e.similar_after is not None and e.similar_before is not None:
            line += f"; tasks like its own: {percent(e.similar_before.rate)} → {percent(e.similar_after.rate)}"
        print(line)


def _show_causes_and_listing(ins: Insights) -> None:
    from memento_tui.domain.analytics.causes import CAUSE_FIXES, CAUSE_LABELS
    from memento_tui.services.insights import causes_table, listing_line

    if ins.causes:
        title, headers, rows = causes_table(ins)
        print()
        print_table(headers, rows, title=title)
        worst = ins.causes[0]
        label = CAUSE_LABELS[worst.main_cause]
        print(f"  most failures: {safe(worst.skill)}, mostly {label}: fix {CAUSE_FIXES[worst.main_cause]}")
    if ins.listing is not None:
        print()
        print(listing_line(ins.listing))

"""Terminal rendering of Insights for ``memento stats``: tables and block-character charts."""

from __future__ import annotations

import time

from memento_tui.cli.common import one_line, print_table, safe
from memento_tui.domain.analytics import Insights
from memento_tui.domain.analytics.failures import category_label
from memento_tui.domain.textcharts import bar, bar_chart, percent, sparkline

BAR = 24


def _date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def show(ins: Insights) -> None:
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

    if ins.critical:
        print("\nCRITICAL (marked by you; ranks first everywhere)")
        for item in ins.critical:
            ref = safe(item.ref) if item.kind == "run" else f"pattern {safe(repr(one_line(item.ref, 50)))}"
            task = one_line(item.task, 60) if item.task else ""
            note = f"  — {safe(item.note, single_line=True)}" if item.note else ""
            print(f"  ! {ref}  {item.status}  {task}{note}")

    if ins.categories:
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

    if ins.patterns:
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

    if ins.skills:
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
                    sparkline([pt.rate for pt in trends[s.skill].points])
                    if s.skill in trends
                    else "",
                )
                for s in ins.skills
            ],
        )

    if ins.patch_effects:
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
                line += (
                    f"; tasks like its own: {percent(e.similar_before.rate)} → "
                    f"{percent(e.similar_after.rate)}"
                )
            print(line)
    _show_causes_and_listing(ins)


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

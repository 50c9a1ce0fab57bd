"""How long `memento stats` takes on a large run history.

    .venv/bin/python benchmarks/insights.py [--runs 1000 5000]

Writes N synthetic runs (run.json files, 40% failed, task texts drawn from a few dozen
task shapes with varying file names, as a person repeating their chores would make),
plus a merged patch and two critical marks, into a temp workspace; then times
``load_insights`` end to end (reading every run.json, grouping the failed tasks into
patterns, the Pareto view, trends and patch effects) and the pattern grouping alone.
Target: under 2 s for 5,000 runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from memento_tui.domain.agent.runs import RunRecord, RunStore  # noqa: E402
from memento_tui.domain.analytics.patterns import cluster_texts  # noqa: E402
from memento_tui.domain.patches.model import ReviewRecord  # noqa: E402
from memento_tui.domain.workspace import init_workspace  # noqa: E402
from memento_tui.services.factory import make_services  # noqa: E402
from memento_tui.services.insights import load_insights, mark_critical  # noqa: E402

VERBS = [
    "Normalise the dates in",
    "Convert",
    "Summarise",
    "Count the words in",
    "Extract the table from",
    "Rename the files in",
    "Add a litres column to",
    "Total the amounts in",
]
OBJECTS = [
    "invoices",
    "orders",
    "contacts",
    "report",
    "sales",
    "events",
    "log",
    "prices",
    "brewlog",
    "sizes",
    "customers",
    "payments",
]
PLACES = ["UK", "German", "French", "US", "Vienna", "Lyon", "Berlin", "London", ""]
EXTS = ["csv", "json", "md", "log", "txt", "xml"]
SKILLS = [
    "csv-json",
    "date-normalize",
    "json-query",
    "text-stats",
    "markdown-table",
    "unit-convert",
    "rename-files",
    "log-summary",
]
CATEGORIES = [
    "wrong_data_format_assumption",
    "ambiguous_goal",
    "missing_skill",
    "missing_permission",
    "bug_in_skill",
    None,
]
DAY = 86400.0


def populate(root: Path, n: int, rng: random.Random) -> None:
    ws = init_workspace(root)
    store = RunStore(ws.paths)
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    for i in range(n):
        task = (
            f"{rng.choice(VERBS)} the {rng.choice(PLACES)} {rng.choice(OBJECTS)} file "
            f"{rng.choice(OBJECTS)}_{i % 50}.{rng.choice(EXTS)} and save the result"
        )
        failed = rng.random() < 0.4
        record = RunRecord(
            id=f"2026{i:08d}-0000",
            task=task,
            status="failed" if failed else "passed",
            skills_used=[rng.choice(SKILLS)],
            failure_category=rng.choice(CATEGORIES) if failed else None,
            started=start + i * (90 * DAY / n),
            pid=-1,
            prompt_tokens=500,
            completion_tokens=80,
        )
        store.dir(record.id).mkdir(parents=True)
        store.save(record)
    review = ReviewRecord(
        action="merge",
        id="20260201-000000-abcd",
        skill="date-normalize",
        branch="memento/patch/date-normalize/20260201-000000-abcd",
        at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    ws.paths.reviews.write_text(review.model_dump_json() + "\n", encoding="utf-8")
    services = make_services(ws)
    mark_critical(services, run_id=store.ids()[0])
    mark_critical(services, pattern="Convert the UK invoices file")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"{'runs':>6} {'failed':>6} {'patterns':>8} {'load_insights':>14} {'grouping only':>14}")
    for n in args.runs:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            populate(root, n, rng)
            services = make_services(root)
            t0 = time.perf_counter()
            ins = load_insights(services)
            total = time.perf_counter() - t0
            failed = [r.task for r in sorted(services.runs().list(), key=lambda r: r.started) if r.status == "failed"]
            t0 = time.perf_counter()
            cluster_texts(failed)
            grouping = time.perf_counter() - t0
            print(f"{n:>6} {ins.totals.failures:>6} {len(ins.patterns):>8} {total:>12.2f} s {grouping:>12.2f} s")


if __name__ == "__main__":
    main()

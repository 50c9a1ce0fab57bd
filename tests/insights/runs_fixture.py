"""A workspace with runs, a merge and marks written by hand; the expected figures are
worked out by hand in the tests that use it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from memento_tui.domain.agent.runs import RunRecord, RunStore
from memento_tui.domain.patches.model import ReviewRecord
from memento_tui.domain.workspace import Workspace

WEEK45 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()  # a Monday, ISO week 45
WEEK46 = datetime(2026, 11, 9, 10, 0, tzinfo=UTC).timestamp()  # the next Monday
HOUR = 3600.0
MERGED_AT = WEEK45 + 3 * 24 * HOUR  # Thursday of week 45
PATCH_ID = "20261105-100000-abcd"

UK_INVOICES = "Normalise the dates in the UK invoices file invoices.csv to ISO"
UK_ORDERS = "Normalise the dates in the UK orders file orders.csv to ISO"
US_ORDERS = "Normalise the dates in the US orders file orders.csv to ISO"
PRICES = "Convert the semicolon CSV prices.csv to JSON with numbers"
PRICES_OK = "Convert the semicolon CSV prices.csv to JSON"
RATES = "Download the exchange rates from the ECB and save rates.json"
YAML = "Convert config.yaml to JSON"
WORDS = "Count the words in essay.txt"

# id, task, status, skills used, failure category, started, replay of
RUNS = [
    (
        "r01",
        UK_INVOICES,
        "failed",
        ["date-normalize"],
        "wrong_data_format_assumption",
        WEEK45,
        None,
    ),
    (
        "r02",
        UK_ORDERS,
        "failed",
        ["date-normalize"],
        "wrong_data_format_assumption",
        WEEK45 + HOUR,
        None,
    ),
    ("r03", UK_INVOICES, "failed", ["date-normalize"], None, WEEK45 + 2 * HOUR, None),
    (
        "r04",
        PRICES,
        "failed",
        ["csv-json"],
        "wrong_data_format_assumption",
        WEEK45 + 3 * HOUR,
        None,
    ),
    ("r05", RATES, "failed", [], "missing_permission", WEEK45 + 4 * HOUR, None),
    ("r06", YAML, "error", [], None, WEEK45 + 5 * HOUR, None),
    ("r07", WORDS, "passed", ["text-stats"], None, WEEK46, None),
    ("r08", US_ORDERS, "passed", ["date-normalize"], None, WEEK46 + HOUR, None),
    ("r09", UK_INVOICES, "passed", ["date-normalize"], None, WEEK45 + 6 * HOUR, "r01"),
    ("r10", PRICES_OK, "passed", ["csv-json"], None, WEEK46 + 2 * HOUR, None),
    ("r11", WORDS, "running", [], None, WEEK46 + 3 * HOUR, None),
]


def write_runs(workspace: Workspace) -> RunStore:
    store = RunStore(workspace.paths)
    for run_id, task, status, skills, category, started, replay_of in RUNS:
        record = RunRecord(
            id=run_id,
            task=task,
            status=status,  # type: ignore[arg-type]
            skills_used=skills,
            skills_retrieved=skills,
            failure_category=category,
            started=started,
            replay_of=replay_of,
            prompt_tokens=100,
            completion_tokens=20,
            pid=2**22 + 12345,  # no such process: a 'running' run reads as interrupted
        )
        store.dir(run_id).mkdir(parents=True)
        store.save(record)
    return store


def write_merge(workspace: Workspace) -> None:
    """date-normalize's patch (made for r01) merged on Thursday of week 45."""
    review = ReviewRecord(
        action="merge",
        id=PATCH_ID,
        skill="date-normalize",
        branch=f"memento/patch/date-normalize/{PATCH_ID}",
        at=datetime.fromtimestamp(MERGED_AT, UTC),
        summary="wrong_data_format_assumption: say when to pass --dayfirst",
    )
    workspace.paths.reviews.write_text(review.model_dump_json() + "\n", encoding="utf-8")
    patches = workspace.paths.patches
    patches.mkdir(parents=True, exist_ok=True)
    (patches / f"{PATCH_ID}.json").write_text(
        json.dumps({"id": PATCH_ID, "evidence": {"run_id": "r01", "task": UK_INVOICES}}),
        encoding="utf-8",
    )


def state_dir(workspace: Workspace) -> Path:
    return workspace.paths.state

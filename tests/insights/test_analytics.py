"""Failure analytics on runs written by hand; every expected figure is worked out below.

The runs (tests/insights/runs_fixture.py), replay r09 left out:

    r01 UK invoices dates   failed  date-normalize  wrong_data_format_assumption  wk45
    r02 UK orders dates     failed  date-normalize  wrong_data_format_assumption  wk45
    r03 UK invoices dates   failed  date-normalize  (not reflected)               wk45
    r04 semicolon prices    failed  csv-json        wrong_data_format_assumption  wk45
    r05 ECB rates download  failed  -               missing_permission            wk45
    r06 yaml to json        error   -               (run error)                   wk45
    r07 word count          passed  text-stats                                    wk46
    r08 US orders dates     passed  date-normalize                                wk46
    r10 semicolon prices    passed  csv-json                                      wk46
    r11 word count          running (dead pid: interrupted, in no rate)           wk46

Word sets (stopwords out, plural s cut): r01 {normalise date uk invoice file csv iso},
r02 {normalise date uk order file csv iso}: Jaccard 6/8 = 0.75, one pattern with r03.
r08 {… us order …} vs r02: 6/8, so it counts as a run of that pattern. r04 {convert
semicolon csv price json number} vs r10 {convert semicolon csv price json}: 5/6. r05 and
r06 share only 'json' with anything: patterns of their own.
"""

from __future__ import annotations

import pytest

from memento_tui.domain.analytics import CriticalMark, CriticalSet, build_insights, critical_first
from memento_tui.domain.analytics.patterns import cluster_texts, jaccard, tokens
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.insights import load_insights, mark_critical, patch_queue
from tests.insights.runs_fixture import (
    MERGED_AT,
    PATCH_ID,
    PRICES,
    RATES,
    UK_INVOICES,
    UK_ORDERS,
    US_ORDERS,
    YAML,
    write_merge,
    write_runs,
)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    write_runs(workspace)
    write_merge(workspace)
    return workspace


def test_word_sets_and_similarity_are_what_the_hand_figures_assume() -> None:
    assert tokens(UK_INVOICES) == {"normalise", "date", "uk", "invoice", "file", "csv", "iso"}
    assert jaccard(tokens(UK_INVOICES), tokens(UK_ORDERS)) == 6 / 8
    assert jaccard(tokens(US_ORDERS), tokens(UK_ORDERS)) == 6 / 8
    assert jaccard(tokens(PRICES), tokens(YAML)) == 2 / 8
    # Deterministic: the same texts in the same order give the same groups.
    texts = [UK_INVOICES, UK_ORDERS, PRICES, RATES, YAML, UK_INVOICES]
    assert cluster_texts(texts) == [[0, 1, 5], [2], [3], [4]]
    assert cluster_texts(texts) == cluster_texts(list(texts))


def test_totals_categories_skills_and_patterns(ws: Workspace) -> None:
    ins = load_insights(make_services(ws))
    t = ins.totals
    assert (t.runs, t.passed, t.failed, t.errors, t.unfinished) == (10, 3, 5, 1, 1)
    assert t.replays_excluded == 1
    assert t.finished == 9 and t.success_rate == pytest.approx(3 / 9)

    cats = [(c.category, c.failures, c.share) for c in ins.categories]
    assert cats == [
        ("wrong_data_format_assumption", 3, 0.5),
        ("missing_permission", 1, pytest.approx(1 / 6)),
        ("run_error", 1, pytest.approx(1 / 6)),
        ("unreflected", 1, pytest.approx(1 / 6)),
    ]
    assert sorted(ins.categories[0].run_ids) == ["r01", "r02", "r04"]

    skills = {s.skill: (s.runs, s.passed, s.failures) for s in ins.skills}
    assert skills == {
        "date-normalize": (4, 1, 3),
        "(none)": (1, 0, 1),  # r06, a run error, says nothing of any skill
        "csv-json": (2, 1, 1),
        "text-stats": (1, 1, 0),
    }
    assert [s.skill for s in ins.skills] == ["date-normalize", "csv-json", "(none)", "text-stats"]

    rows = [(p.label, p.failures, p.runs, sorted(p.run_ids)) for p in ins.patterns]
    assert rows[0] == (UK_INVOICES, 3, 4, ["r01", "r02", "r03"])  # r08 is its 4th run
    assert rows[1] == (PRICES, 1, 2, ["r04"])  # r10 passed the same task
    assert rows[2:] == [(RATES, 1, 1, ["r05"]), (YAML, 1, 1, ["r06"])]
    assert ins.patterns[0].categories == {"wrong_data_format_assumption": 2, "unreflected": 1}


def test_pareto_share_of_the_top_fifth_of_patterns(ws: Workspace) -> None:
    pareto = load_insights(make_services(ws)).pareto
    # 4 patterns: the top ceil(0.2 * 4) = 1 causes 3 of the 6 failures.
    assert (pareto.patterns, pareto.top_count, pareto.top_failures, pareto.total_failures) == (
        4,
        1,
        3,
        6,
    )
    assert pareto.share == 0.5


def test_pareto_with_ten_patterns_takes_the_top_two() -> None:
    class Run:
        def __init__(self, i: int, task: str) -> None:
            self.id, self.task, self.status = f"x{i:02d}", task, "failed"
            self.skills_used: list[str] = []
            self.failure_category, self.started, self.replay_of = None, float(i), None

    texts = [f"alpha{n} beta{n} gamma{n}" for n in range(10)]
    # Pattern 0 fails 6 times, pattern 1 four times, the other eight once each: 18 failures.
    runs = [Run(i, texts[0]) for i in range(6)] + [Run(10 + i, texts[1]) for i in range(4)]
    runs += [Run(20 + n, texts[n]) for n in range(2, 10)]
    pareto = build_insights(runs).pareto
    assert (pareto.patterns, pareto.top_count, pareto.top_failures, pareto.total_failures) == (
        10,
        2,
        10,
        18,
    )
    assert pareto.share == pytest.approx(10 / 18)


def test_success_over_time_by_week_and_day(ws: Workspace) -> None:
    ins = load_insights(make_services(ws), bucket="week")
    trends = {t.skill: [(p.bucket, p.runs, p.passed) for p in t.points] for t in ins.trends}
    assert trends["(all)"] == [("2026-W45", 6, 0), ("2026-W46", 3, 3)]
    assert trends["date-normalize"] == [("2026-W45", 3, 0), ("2026-W46", 1, 1)]
    assert trends["csv-json"] == [("2026-W45", 1, 0), ("2026-W46", 1, 1)]
    daily = load_insights(make_services(ws), bucket="day")
    assert [p.bucket for p in daily.trends[0].points] == ["2026-11-02", "2026-11-09"]


def test_a_merged_patch_is_judged_on_its_skill_before_and_after(ws: Workspace) -> None:
    (effect,) = load_insights(make_services(ws)).patch_effects
    assert effect.patch_id == PATCH_ID and effect.skill == "date-normalize"
    assert effect.merged_at == MERGED_AT
    # Before: r01, r02, r03 all failed; after: r08 passed. The replay r09 is not counted.
    assert (effect.before.runs, effect.before.passed) == (3, 0)
    assert (effect.after.runs, effect.after.passed) == (1, 1)
    assert effect.change == 1.0
    # Tasks like r01's: r01-r03 before; r08 after (Jaccard 5/9 with r01's words).
    assert effect.similar_before is not None and effect.similar_after is not None
    assert (effect.similar_before.runs, effect.similar_after.runs, effect.similar_after.passed) == (
        3,
        1,
        1,
    )


def test_an_undone_merge_stops_counting_at_the_undo(ws: Workspace) -> None:
    from datetime import UTC, datetime

    from memento_tui.domain.patches.model import ReviewRecord
    from tests.insights.runs_fixture import WEEK46

    undo = ReviewRecord(
        action="undo",
        id=PATCH_ID,
        skill="date-normalize",
        branch="b",
        at=datetime.fromtimestamp(WEEK46 - 60, UTC),
    )
    with ws.paths.reviews.open("a", encoding="utf-8") as handle:
        handle.write(undo.model_dump_json() + "\n")
    (effect,) = load_insights(make_services(ws)).patch_effects
    assert effect.undone_at == WEEK46 - 60
    assert effect.after.runs == 0 and effect.change is None


def test_critical_marks_rank_first_and_survive_a_bad_line(ws: Workspace) -> None:
    services = make_services(ws)
    mark_critical(services, run_id="r05", note="payroll needs the live rates")
    mark_critical(services, pattern="convert a yaml config to json")
    with (ws.paths.state / "critical.jsonl").open("a") as handle:
        handle.write('{"kind": "run", "half a line')  # a crash mid-write
    ins = load_insights(services)
    assert ins.problems and "critical.jsonl" in ins.problems[0]
    # Patterns: the two critical ones first (most failures, then oldest), then the rest.
    assert [p.label for p in ins.patterns] == [RATES, YAML, UK_INVOICES, PRICES]
    assert [p.critical for p in ins.patterns] == [True, True, False, False]
    assert [c.category for c in ins.categories][:2] == ["missing_permission", "run_error"]
    assert ins.skills[0].skill == "(none)" and ins.skills[0].critical_failures == 1  # the error run is no skill's
    assert ins.totals.critical_runs == 2
    kinds = [(c.kind, c.ref) for c in ins.critical]
    assert kinds == [("run", "r05"), ("pattern", "convert a yaml config to json")]
    assert ins.critical[0].note == "payroll needs the live rates"
    assert services.runs().load("r05").critical is True

    # Unmarking wins over the earlier mark (the last line decides).
    mark_critical(services, run_id="r05", unmark=True)
    again = load_insights(services)
    assert [c.ref for c in again.critical] == ["convert a yaml config to json"]
    assert services.runs().load("r05").critical is False


def test_critical_first_sorts_the_patch_queue(ws: Workspace) -> None:
    services = make_services(ws)
    patches = [
        {"id": "p1", "created_at": "2026-11-01T10:00", "evidence": {"run_id": "r01", "task": UK_INVOICES}},
        {"id": "p2", "created_at": "2026-11-02T10:00", "evidence": {"run_id": "r04", "task": PRICES}},
        {"id": "p3", "created_at": "2026-11-03T10:00", "evidence": {"run_id": "r06", "task": YAML}},
        {"id": "p4", "created_at": "2026-11-04T10:00", "evidence": {"run_id": "r02", "task": UK_ORDERS}},
    ]
    # Newest first, whatever order they come in (the CLI and the app agree).
    assert [p["id"] for p in patch_queue(services, patches)] == ["p4", "p3", "p2", "p1"]
    assert [p["id"] for p in patch_queue(services, patches[::-1])] == ["p4", "p3", "p2", "p1"]
    mark_critical(services, run_id="r04")
    mark_critical(services, pattern="Convert config.yaml to JSON")
    assert [p["id"] for p in patch_queue(services, patches)] == ["p3", "p2", "p4", "p1"]

    # The same function sorts anything given a key, e.g. runs.
    marks = CriticalSet.from_marks([CriticalMark(kind="pattern", pattern=UK_ORDERS)])
    runs = services.runs().list(include_replays=False)
    ordered = critical_first(runs, marks, keys=lambda r: (r.id, r.task))
    assert {r.id for r in ordered[:4]} == {"r01", "r02", "r03", "r08"}


def test_stats_cli_json_and_tables(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from memento_tui.cli.main import main

    assert main(["-C", str(ws.root), "stats", "critical", "r05", "--note", "live rates"]) == 0
    capsys.readouterr()
    assert main(["-C", str(ws.root), "stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["runs"] == 10 and data["totals"]["success_rate"] == round(3 / 9, 4)
    assert data["pareto"]["share"] == 0.5 and data["pareto"]["top_count"] == 1
    assert data["critical"][0]["ref"] == "r05"
    assert data["patterns"][0]["label"] == RATES and data["patterns"][0]["critical"] is True
    assert data["patch_effects"][0]["before"] == {"runs": 3, "passed": 0, "rate": 0.0}
    assert data["patch_effects"][0]["after"] == {"runs": 1, "passed": 1, "rate": 1.0}

    assert main(["-C", str(ws.root), "stats", "--bucket", "day"]) == 0
    out = capsys.readouterr().out
    assert "Failures by category" in out and "█" in out
    assert "Pareto: the top 1" in out and "3 of 6 failures (50%)" in out
    assert "! r05" in out

    assert main(["-C", str(ws.root), "stats", "critical", "--list"]) == 0
    assert "r05" in capsys.readouterr().out
    assert main(["-C", str(ws.root), "stats", "critical"]) == 2
    assert "RUN_ID or --pattern" in capsys.readouterr().err


def test_stats_on_an_empty_workspace(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    from memento_tui.cli.main import main

    assert main(["-C", str(workspace.root), "stats"]) == 0
    assert "no runs yet" in capsys.readouterr().out
    ins = load_insights(make_services(workspace))
    assert ins.pareto.share is None and ins.patterns == [] and ins.totals.success_rate is None


def test_the_similarity_index_finds_exactly_what_comparing_every_pair_finds() -> None:
    import random
    from collections import Counter

    from memento_tui.domain.analytics.patterns import SimilarityIndex

    rng = random.Random(3)
    words = [f"w{i}" for i in range(14)]
    sets = [frozenset(rng.sample(words, rng.randint(1, 6))) for _ in range(300)]
    for threshold in (0.3, 0.5, 0.8):
        index = SimilarityIndex(threshold, Counter(w for s in sets[:150] for w in s))
        for label, stored in enumerate(sets[:150]):
            index.add(stored, label)
        for query in sets[150:]:
            scores = [(jaccard(query, s), label) for label, s in enumerate(sets[:150])]
            good = [(score, label) for score, label in scores if score >= threshold]
            want = (min(good, key=lambda p: (-p[0], p[1]))[1], max(good)[0]) if good else (-1, 0.0)
            assert index.best(query) == want, (threshold, sorted(query))

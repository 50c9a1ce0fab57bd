"""The classifier over learned outcomes: what it learns, its cache, and its place in search."""

from __future__ import annotations

import json
from pathlib import Path

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.retrieval import SkillIndex
from memento_tui.domain.retrieval.classifier import CACHE_FILE, SkillClassifier, features
from memento_tui.domain.retrieval.learned import LearnedRow, make_row
from memento_tui.domain.workspace import Workspace

ROWS = [
    ("success", "convert the sales spreadsheet export to records", "csv-json"),
    ("success", "how many warnings did the server log show", "log-summary"),
    ("success", "turn this spreadsheet into json lines", "csv-json"),
    ("success", "what time zone is this timestamp in", "date-normalize"),
    ("success", "shrink the holiday photos for the web", "image-resize"),
    ("failure", "shrink the holiday photos for the web", "text-stats"),
]


def rows_and_ends() -> tuple[list[LearnedRow], list[int]]:
    rows = [make_row(kind, task, skill) for kind, task, skill in ROWS]  # type: ignore[arg-type]
    return rows, [100 * (i + 1) for i in range(len(rows))]


def test_features_are_stemmed_words_and_bigrams() -> None:
    feats = features("Please convert the CSV files to JSON")
    assert "csv" in feats and "json" in feats and "file" in feats
    assert "convert csv" in feats
    assert "please" not in feats and "the" not in feats  # stopwords point nowhere
    assert len(feats) == len(set(feats))


def test_it_learns_which_skill_a_text_wants_and_failures_push_down() -> None:
    rows, ends = rows_and_ends()
    model = SkillClassifier()
    assert model.learn_all(rows[:5], ends[:5]) == 5
    probs = model.probabilities(features("convert my spreadsheet"), 5)
    assert max(probs, key=probs.__getitem__) == "csv-json"
    assert 0.0 < sum(probs.values()) < 1.0  # the skills no feature touches share the rest
    photos = features("shrink the holiday photos for the web")
    before = model.probabilities(photos, 5).get("text-stats", 0.0)
    model.learn(rows[5], ends[5])
    assert model.probabilities(photos, 5).get("text-stats", 0.0) <= before
    assert model.probabilities(photos, 5)["image-resize"] > 0.5
    assert model.size == ends[5]
    # Rows already learned (by their end offset) are not learned twice.
    assert model.learn_all(rows, ends) == 0


def test_learning_row_by_row_through_the_cache_equals_learning_at_once(tmp_path: Path) -> None:
    rows, ends = rows_and_ends()
    at_once = SkillClassifier()
    at_once.learn_all(rows, ends)
    model = SkillClassifier()
    for row, end in zip(rows, ends, strict=True):
        model.learn(row, end)
        model.save(tmp_path)
        model = SkillClassifier.load(tmp_path, outcomes_size=ends[-1])
    assert model.size == at_once.size
    assert model.skills == at_once.skills
    assert model.weights == at_once.weights


def test_a_cache_that_cannot_be_used_gives_an_empty_model(tmp_path: Path) -> None:
    rows, ends = rows_and_ends()
    model = SkillClassifier()
    model.learn_all(rows, ends)
    model.save(tmp_path)
    assert SkillClassifier.load(tmp_path, outcomes_size=ends[-1]).weights
    # The outcomes file is shorter than what the cache learned: it was cut or replaced.
    assert SkillClassifier.load(tmp_path, outcomes_size=ends[-1] - 1).size == 0
    (tmp_path / CACHE_FILE).write_text("{not json", encoding="utf-8")
    assert SkillClassifier.load(tmp_path, outcomes_size=ends[-1]).weights == {}
    (tmp_path / CACHE_FILE).write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert SkillClassifier.load(tmp_path, outcomes_size=ends[-1]).size == 0
    assert SkillClassifier.load(tmp_path / "missing", outcomes_size=10).size == 0


def test_search_uses_it_and_a_lost_cache_is_trained_again(library_workspace: Workspace) -> None:
    paths = library_workspace.paths
    query = "convert the quarterly spreadsheet"
    with SkillIndex.open(paths) as index:
        for kind, task, skill in ROWS:
            if kind == "success":
                index.record_success(task, skill)
            else:
                index.record_failure(task, skill)
        hits = index.search(query)
        assert hits[0].name == "csv-json"
        assert any(why.startswith("learned: ") for why in hits[0].why)
    cache = paths.index / "classifier.json"
    assert cache.is_file()  # saved on close
    saved = json.loads(cache.read_text(encoding="utf-8"))
    assert saved["size"] == (paths.learned / "outcomes.jsonl").stat().st_size
    cache.unlink()
    with SkillIndex.open(paths) as index:
        again = index.search(query)
    assert [(h.name, round(h.score, 6)) for h in again] == [(h.name, round(h.score, 6)) for h in hits]
    assert json.loads(cache.read_text(encoding="utf-8"))["weights"] == saved["weights"]


def test_weight_zero_switches_it_off(library_workspace: Workspace) -> None:
    with SkillIndex.open(library_workspace.paths, RetrievalConfig(classifier_weight=0)) as index:
        index.record_success("convert the sales spreadsheet export to records", "csv-json")
        hits = index.search("convert the quarterly spreadsheet")
        assert hits and not any(why.startswith("learned: ") for hit in hits for why in hit.why)
    assert not (library_workspace.paths.index / "classifier.json").exists()

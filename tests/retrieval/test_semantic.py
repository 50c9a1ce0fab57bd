"""Meaning beside words: the word vectors find what shares no word with the task, learn from
past successes, are cached by SKILL.md stamp, and leave-one-out leaves them out too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from memento_tui.domain.config import RetrievalConfig
from memento_tui.domain.retrieval import SkillIndex
from memento_tui.domain.retrieval.semantic import CACHE, word_vectors
from memento_tui.domain.workspace import Workspace, init_workspace
from tests.conftest import write_skill

SKILLS = {
    "link-tool": "Make a compact link from a long web address.",
    "weather-report": "Current forecast for a city: temperature, rain and wind.",
    "translate-text": "Translate text between languages.",
    "csv-json": "Convert CSV files to JSON records.",
}


def _workspace(root: Path) -> Workspace:
    ws = init_workspace(root, starter_skills=False)
    for name, description in SKILLS.items():
        write_skill(ws.paths.skills, name, f"name: {name}\ndescription: {json.dumps(description)}\n", f"# {name}\n")
    return ws


@pytest.fixture
def meaning_workspace(tmp_path: Path) -> Workspace:
    return _workspace(tmp_path / "ws")


def _describe_weather_as_links(skills: Path) -> None:
    """An edit that gives weather-report link-tool's description."""
    description = json.dumps(SKILLS["link-tool"])
    write_skill(skills, "weather-report", f"name: weather-report\ndescription: {description}\n", "# x\n")


def _top(index: SkillIndex, query: str) -> list[tuple[str, list[str]]]:
    return [(hit.name, hit.why) for hit in index.search(query)]


def test_vectors_of_related_texts_are_closer_than_unrelated_ones() -> None:
    vectors = word_vectors()
    q = vectors.embed("will it snow in Oslo tomorrow")
    weather, links = vectors.embed_many([SKILLS["weather-report"], SKILLS["link-tool"]])
    assert float(q @ weather) > float(q @ links) + 0.1
    assert abs(float(weather @ weather) - 1.0) < 1e-5  # unit length
    assert not vectors.embed("the of and").any()  # stopwords weigh nothing


@pytest.mark.parametrize(
    ("query", "skill"),
    [
        ("shorten this URL", "link-tool"),
        ("will it snow in Oslo tomorrow", "weather-report"),
        ("put this sentence into French", "translate-text"),
    ],
)
def test_a_task_sharing_no_word_with_its_skill_finds_it_by_meaning(
    meaning_workspace: Workspace, query: str, skill: str
) -> None:
    with SkillIndex.open(meaning_workspace.paths) as index:
        assert _top(index, query)[0] == (skill, ["similar meaning"])
    with SkillIndex.open(meaning_workspace.paths, RetrievalConfig(semantic_weight=0)) as index:
        assert index.search(query) == []  # words alone find nothing


def test_a_task_like_no_skill_finds_nothing(meaning_workspace: Workspace) -> None:
    with SkillIndex.open(meaning_workspace.paths) as index:
        assert index.search("bake a chocolate cake") == []


def test_a_past_success_votes_for_its_skill_on_a_task_alike_in_meaning(meaning_workspace: Workspace) -> None:
    with SkillIndex.open(meaning_workspace.paths) as index:
        query = "could you make this hyperlink shorter"
        assert "csv-json" not in [name for name, _ in _top(index, query)]
        # Taught to a skill whose words have nothing to do with it, so only meaning links them.
        index.record_success("shorten this URL for twitter", "csv-json")
        found = dict(_top(index, query))
        assert found["csv-json"] == ["similar task: shorten this URL for twitter"]


def test_vectors_are_cached_on_close_with_the_outcomes_taken_in(meaning_workspace: Workspace) -> None:
    paths = meaning_workspace.paths
    with SkillIndex.open(paths) as index:
        first = [(h.name, round(h.score, 6)) for h in index.search("shorten this URL")]
        index.record_success("abbreviate a web address", "link-tool")  # after the last search
    with np.load(paths.index / CACHE) as data:
        assert sorted(str(n) for n in data["skill_names"]) == sorted(SKILLS)
        assert [str(t) for t in data["tasks"]] == ["abbreviate a web address"]
    with SkillIndex.open(paths) as index:
        assert next(h.name for h in index.search("shorten this URL")) == first[0][0]


def test_an_edited_skill_gets_a_new_vector(meaning_workspace: Workspace) -> None:
    paths = meaning_workspace.paths
    with SkillIndex.open(paths) as index:
        assert [h.name for h in index.search("shorten this URL")] == ["link-tool"]
    _describe_weather_as_links(paths.skills)
    with SkillIndex.open(paths) as index:  # the cache holds the old vector, by the old stamp
        assert "weather-report" in [h.name for h in index.search("shorten this URL")]


def test_noise_finds_nothing_by_meaning(meaning_workspace: Workspace) -> None:
    with SkillIndex.open(meaning_workspace.paths) as index:
        assert index.search("qqqq zzzz") == []
        assert index.search("xkcd") == []


def test_a_corrupt_cache_is_ignored_and_gives_the_same_ranking(meaning_workspace: Workspace) -> None:
    paths = meaning_workspace.paths
    with SkillIndex.open(paths) as index:
        index.record_success("abbreviate a web address", "link-tool")
        before = [(h.name, round(h.score, 6)) for h in index.search("make a long address short")]
    whole = (paths.index / CACHE).read_bytes()
    for broken in (b"not a numpy archive", whole[: len(whole) // 2]):
        (paths.index / CACHE).write_bytes(broken)
        with SkillIndex.open(paths) as index:
            assert [(h.name, round(h.score, 6)) for h in index.search("make a long address short")] == before


def test_leaving_one_success_out_scores_as_if_it_was_never_recorded(tmp_path: Path) -> None:
    rows = [
        ("shorten this URL for twitter", "link-tool"),
        ("abbreviate a web address", "link-tool"),
        ("is it going to rain in Paris", "weather-report"),
        ("say hello in Spanish", "translate-text"),
    ]
    query, left_out = "make this web address shorter", rows[1]
    full = _workspace(tmp_path / "full")
    without = _workspace(tmp_path / "without")
    with SkillIndex.open(full.paths) as index:
        for task, skill in rows:
            index.record_success(task, skill)
        leaving_out = [(h.name, round(h.score, 5)) for h in index.search_leaving_out(query, 5, *left_out)]
        kept = [(h.name, round(h.score, 5)) for h in index.search(query)]
    with SkillIndex.open(without.paths) as index:
        for task, skill in rows:
            if (task, skill) != left_out:
                index.record_success(task, skill)
        expected = [(h.name, round(h.score, 5)) for h in index.search(query)]
    assert leaving_out == expected
    assert kept != expected  # the row did count in the ordinary search


def test_the_vectors_load_only_with_the_first_search_that_uses_them(meaning_workspace: Workspace) -> None:
    code = (
        "import sys\n"
        "from memento_tui.domain.config import RetrievalConfig\n"
        "from pathlib import Path\n"
        "from memento_tui.domain.paths import WorkspacePaths\n"
        "from memento_tui.domain.retrieval import SkillIndex\n"
        f"paths = WorkspacePaths(Path({str(meaning_workspace.root)!r}))\n"
        "with SkillIndex.open(paths, RetrievalConfig(semantic_weight=0)) as index:\n"
        "    index.search('convert csv')\n"
        "print('numpy' in sys.modules)\n"
        "with SkillIndex.open(paths) as index:\n"
        "    index.search('convert csv')\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_an_edit_or_a_removal_while_open_moves_the_vectors(meaning_workspace: Workspace) -> None:
    paths = meaning_workspace.paths
    with SkillIndex.open(paths) as index:
        assert [h.name for h in index.search("shorten this URL")] == ["link-tool"]
        _describe_weather_as_links(paths.skills)
        index.update_skill("weather-report")  # what the watcher calls
        assert "weather-report" in [h.name for h in index.search("shorten this URL")]
        index.remove_skill("link-tool")
        assert "link-tool" not in [h.name for h in index.search("shorten this URL")]


@pytest.fixture
def no_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A broken install: the vectors folder is empty."""
    from memento_tui.domain.retrieval import semantic

    empty = tmp_path / "vectors"
    empty.mkdir()
    monkeypatch.setattr(semantic, "VECTORS", empty)
    word_vectors.cache_clear()
    yield empty
    word_vectors.cache_clear()


def test_without_its_vectors_search_falls_back_to_words_and_says_so(
    meaning_workspace: Workspace, no_vectors: Path
) -> None:
    with SkillIndex.open(meaning_workspace.paths) as index:
        assert [h.name for h in index.search("convert csv records")] == ["csv-json"]
        assert index.search("shorten this URL") == []  # meaning is what found this one
        assert any("word vectors cannot be read" in note for note in index.notes)


def test_doctor_checks_the_vectors_and_names_the_fix(meaning_workspace: Workspace, no_vectors: Path) -> None:
    from memento_tui.domain.retrieval.doctor import check_word_vectors

    result = check_word_vectors(meaning_workspace)
    assert result.status == "fail" and str(no_vectors) in result.detail
    assert "semantic_weight = 0" in result.fix


def test_doctor_passes_with_the_shipped_vectors(meaning_workspace: Workspace) -> None:
    from memento_tui.domain.retrieval.doctor import check_word_vectors

    result = check_word_vectors(meaning_workspace)
    assert result.status == "ok" and "x 128" in result.detail

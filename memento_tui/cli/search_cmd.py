"""``memento search "QUERY"``: which skills would the agent read for this task, and why.

``memento search -`` reads one query per line from stdin and writes one JSON line per query,
for scripts and evaluations. ``--agent`` ranks as the agent does before a run: the first
stage reranked by the sentence model (domain/retrieval/agent_rank.py), a few milliseconds
more per query and a model to load. ``--eval`` reports both stages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from memento_tui.cli.common import json_text, one_line, print_json, safe, services_from

if TYPE_CHECKING:
    from memento_tui.domain.retrieval import SearchHit
    from memento_tui.domain.retrieval.evaluate import RetrievalQuality
    from memento_tui.services.factory import Services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="find the skills for a task (BM25 plus what was learned)",
        description="Search the skills as the agent does. QUERY '-' reads one query per line "
        "from stdin and prints one JSON line per query.",
    )
    p.add_argument("query", metavar="QUERY", nargs="?", help="the task text, or '-' for stdin")
    p.add_argument(
        "--top", "-k", type=int, default=None, metavar="K", help="how many skills (default: retrieval.top_k)"
    )
    p.add_argument("--json", action="store_true", help="print JSON: name, score, why")
    p.add_argument(
        "--agent",
        action="store_true",
        help="rank as the agent does: reranked by the sentence model (slower; loads it first)",
    )
    p.add_argument(
        "--eval",
        action="store_true",
        help="measure retrieval on this workspace's past runs (leave-one-out Recall@1/@5, MRR, per skill)",
    )
    p.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    if args.top is not None and args.top < 1:
        from memento_tui.domain.errors import MementoError

        raise MementoError("--top must be 1 or more", field="--top", fix="e.g. --top 5")
    if not args.eval and args.query is None:
        from memento_tui.domain.errors import MementoError

        raise MementoError(
            "give a QUERY, '-' for stdin, or --eval", field="QUERY", fix='memento search "convert csv to json"'
        )
    services = services_from(args)
    try:
        index = services.index()
        for note in index.notes:
            print(f"memento: {safe(note)}", file=sys.stderr)
        if args.eval:
            return _run_eval(services, as_json=args.json)
        search = index.agent_search if args.agent else index.search
        if args.query == "-":
            return _search_stdin(search, args.top)
        hits = search(args.query, args.top)
        if args.agent and index.agent.problem:
            print(f"memento: {safe(index.agent.problem)}: the first stage's ranking", file=sys.stderr)
        if args.json:
            print_json([hit.to_dict() for hit in hits])
            return 0
        if not hits:
            print("no skill matches; the agent would work without one")
            return 0
        names = [safe(hit.name, single_line=True) for hit in hits]
        width = max(len(name) for name in names)
        for hit, name in zip(hits, names, strict=True):
            print(f"{hit.score:7.2f}  {name.ljust(width)}  {one_line(hit.description, 80)}")
            for reason in hit.why:
                print(f"{'':9}{'':{width}}  · {one_line(reason, 90)}")
        return 0
    finally:
        services.close()


def _search_stdin(search: Callable[[str, int | None], list[SearchHit]], top: int | None) -> int:
    for line in sys.stdin:
        query = line.strip()
        if not query:
            continue
        hits = search(query, top)
        record = {"query": query, "hits": [hit.to_dict() for hit in hits]}
        sys.stdout.write(json_text(record, indent=None) + "\n")
        sys.stdout.flush()
    return 0


def _run_eval(services: Services, *, as_json: bool) -> int:
    """Both stages on the same past runs: the first stage's full report, then the agent's."""
    from memento_tui.services.retrieval_eval import evaluate_retrieval, quality_lines

    quality = evaluate_retrieval(services)
    agent = _evaluate_agent(services)
    if as_json:
        print_json({**quality.to_dict(), "agent": agent.to_dict()})
        return 0
    print("\n".join(quality_lines(quality)))
    if quality.ranks:
        problem = services.index().agent.problem
        print(
            f"\nthe agent's ranking (second stage, the sentence model), same tasks:  "
            f"Recall@1 {agent.recall(1):.2f}  Recall@5 {agent.recall(5):.2f}  MRR {agent.mrr:.2f}"
            + (f"  ({safe(problem)}: the first stage alone)" if problem else "")
        )
    return 0


def _evaluate_agent(services: Services) -> RetrievalQuality:
    """The agent's ranking, leave-one-out on the same labelled runs as the first stage."""
    from memento_tui.domain.retrieval.evaluate import DEPTH, Labelled, evaluate, labelled_runs
    from memento_tui.domain.retrieval.tokenize import tokenize

    index = services.index()
    library = services.library()

    def skill_terms(name: str) -> set[str]:
        skill = library.skills.get(name)
        return set(tokenize(f"{skill.name} {skill.description} {skill.body}" if skill else name))

    def search(item: Labelled) -> list[Any]:
        return index.agent_search_leaving_out(item.task, DEPTH, item.task, item.skill)

    return evaluate(labelled_runs(services.runs().list()), search, tokenize, skill_terms)

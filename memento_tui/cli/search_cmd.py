"""``memento search "QUERY"``: which skills would the agent read for this task, and why.

``memento search -`` reads one query per line from stdin and writes one JSON line per query,
for scripts and evaluations.
"""

from __future__ import annotations

import argparse
import sys

from memento_tui.cli.common import json_text, one_line, print_json, safe, services_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="find the skills for a task (BM25 plus what was learned)",
        description="Search the skills as the agent does. QUERY '-' reads one query per line "
        "from stdin and prints one JSON line per query.",
    )
    p.add_argument("query", metavar="QUERY", nargs="?", help="the task text, or '-' for stdin")
    p.add_argument("--top", "-k", type=int, default=None, metavar="K", help="how many skills (default: retrieval.top_k)")
    p.add_argument("--json", action="store_true", help="print JSON: name, score, why")
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

        raise MementoError("give a QUERY, '-' for stdin, or --eval", field="QUERY", fix='memento search "convert csv to json"')
    services = services_from(args)
    try:
        index = services.index()
        for note in index.notes:
            print(f"memento: {safe(note)}", file=sys.stderr)
        if args.eval:
            return _run_eval(services, as_json=args.json)
        if args.query == "-":
            return _search_stdin(index, args.top)
        hits = index.search(args.query, args.top)
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


def _search_stdin(index: object, top: int | None) -> int:
    for line in sys.stdin:
        query = line.strip()
        if not query:
            continue
        hits = index.search(query, top)  # type: ignore[attr-defined]
        record = {"query": query, "hits": [hit.to_dict() for hit in hits]}
        sys.stdout.write(json_text(record, indent=None) + "\n")
        sys.stdout.flush()
    return 0


def _run_eval(services: object, *, as_json: bool) -> int:
    from memento_tui.services.retrieval_eval import evaluate_retrieval, quality_lines

    quality = evaluate_retrieval(services)  # type: ignore[arg-type]
    if as_json:
        print_json(quality.to_dict())
    else:
        print("\n".join(quality_lines(quality)))
    return 0

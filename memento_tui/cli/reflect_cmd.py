"""``memento reflect RUN_ID``: learn from an existing failed run."""

from __future__ import annotations

import argparse

from memento_tui.cli.common import print_json, safe, services_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reflect", help="reflect on a failed run and propose a patch for review")
    p.add_argument("id", help="run id (a unique prefix is enough)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reflect)


def cmd_reflect(args: argparse.Namespace) -> int:
    from memento_tui.services.learning import learn_from_run

    services = services_from(args)
    try:
        # Progress quotes the model's reflection and the skill's words.
        result = learn_from_run(services, args.id, on_progress=None if args.json else _say)
    finally:
        services.close()
    if args.json:
        print_json(result.as_json())
    return 0 if result.status != "reflection_failed" else 1


def _say(line: str) -> None:
    print(safe(line), flush=True)

"""``memento doctor``: is everything Memento needs here and working?"""

from __future__ import annotations

import argparse

from memento_tui.cli.common import add_json_flag, print_json, safe, workspace_from
from memento_tui.domain.errors import MementoError

_MARKS = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check Python, git, bwrap, the sandbox, the model, the workspace")
    add_json_flag(p)
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from memento_tui.domain.doctor import run_checks

    try:
        workspace = workspace_from(args)
    except MementoError:
        workspace = None
    results = run_checks(workspace)
    failed = any(r.status == "fail" for r in results)
    if args.json:
        print_json({"ok": not failed, "checks": [r.__dict__ for r in results]})
    else:
        width = max(len(r.name) for r in results)
        for r in results:
            # A detail may quote a tool's own output (bwrap, git, the model server).
            print(f"{_MARKS[r.status]} {r.name.ljust(width)}  {safe(r.detail)}")
            if r.fix and r.status != "ok":
                print(f"  {' ' * width}  fix: {safe(r.fix)}")
        print("\nall checks passed" if not failed else "\nsome checks failed")
    return 1 if failed else 0

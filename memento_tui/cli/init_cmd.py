"""``memento init [DIR]``: make a workspace."""

from __future__ import annotations

import argparse
from pathlib import Path

from memento_tui.domain.workspace import init_workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="make a workspace: git repo, config, starter skills")
    p.add_argument("dir", nargs="?", default=".", help="folder to make it in (default: here)")
    p.add_argument("--empty", action="store_true", help="no starter skills")
    p.set_defaults(handler=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    ws = init_workspace(Path(args.dir), starter_skills=not args.empty)
    count = len(ws.library())
    print(f"made a Memento workspace in {ws.root} with {count} skills")
    print(f"next: set a model in {ws.paths.config}, then run 'memento doctor'")
    return 0

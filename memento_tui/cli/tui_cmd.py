"""``memento`` with no command: the full-screen app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from memento_tui.domain.errors import MementoError
from memento_tui.services.factory import make_services

HEADLESS = "memento run, search, skills, patches, runs, stats (memento --help lists them all)"


def run_tui(args: argparse.Namespace) -> int:
    # Without a terminal the app would draw frames into a file or a pipe forever.
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise MementoError(
            "the app needs a terminal: stdin or stdout is not one (a pipe, a file, /dev/null)",
            fix=f"run 'memento' in a terminal; for scripts use the headless commands: {HEADLESS}",
        )
    from memento_tui.ui.app import make_app

    root = Path(args.workspace) if args.workspace else None
    services = make_services(root)
    try:
        # A broken config is reported here, in plain words, before the screen takes over.
        services.workspace.config  # noqa: B018
        make_app(services).run()
    finally:
        # Stops what the parts started: the index's commit thread, a local model server.
        services.close()
    return 0

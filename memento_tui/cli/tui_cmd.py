"""``memento`` with no command: the full-screen app."""

from __future__ import annotations

import argparse
from pathlib import Path

from memento_tui.services.factory import make_services


def run_tui(args: argparse.Namespace) -> int:
    from memento_tui.ui.app import make_app

    root = Path(args.workspace) if args.workspace else None
    services = make_services(root)
    try:
        make_app(services).run()
    finally:
        # Stops what the parts started: the index's commit thread, a local model server.
        services.close()
    return 0

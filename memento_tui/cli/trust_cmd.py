"""``memento trust``: confirm the model server and key a workspace's committed config names.

Until the person confirms, no model call sends their key to an ``api_base`` (or reads a
key variable) that the repository chose; see domain/llm/trust.py.
"""

from __future__ import annotations

import argparse
import sys

from memento_tui.cli.common import workspace_from
from memento_tui.cli.main import EXIT_FAIL, EXIT_OK
from memento_tui.domain.skills.hidden_text import terminal_safe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "trust",
        help="confirm the model server and key variable this workspace's config names",
    )
    p.add_argument("--yes", action="store_true", help="confirm without asking")
    p.add_argument("--forget", action="store_true", help="withdraw every confirmation for this workspace")
    p.set_defaults(handler=cmd_trust)


def cmd_trust(args: argparse.Namespace) -> int:
    from memento_tui.domain.llm.trust import TrustStore, destination_to_confirm

    workspace = workspace_from(args)
    store = TrustStore()
    if args.forget:
        count = store.forget(str(workspace.root))
        print(f"withdrew {count} confirmation{'s' if count != 1 else ''} for {workspace.root}")
        return EXIT_OK
    cfg = workspace.config.model
    wanted = destination_to_confirm(cfg)
    if wanted is None:
        print("nothing to confirm: the model server and key are yours, or no key is sent")
        return EXIT_OK
    safe = terminal_safe  # every value here was written by whoever wrote the repository
    print(f"{safe(wanted.config_file)} (committed in the repository) asks memento to send")
    if wanted.api_key_env:
        print(f"  the key in   ${safe(wanted.api_key_env)}")
    else:
        print("  your prompts and files (no key)")
    print(f"  to           {safe(wanted.server_text(cfg.name))}")
    print(f"  for model    {safe(cfg.name) or '(none)'}")
    if store.is_confirmed(wanted):
        print("already confirmed")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            print("not confirmed: run 'memento trust --yes' to confirm", file=sys.stderr)
            return EXIT_FAIL
        answer = input("Send it there? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("not confirmed; nothing is sent until you do")
            return EXIT_FAIL
    store.confirm(wanted)
    print(f"confirmed for {safe(wanted.workspace)}; saved in {store.path}")
    print("a change to api_base or api_key_env in the config asks again")
    return EXIT_OK

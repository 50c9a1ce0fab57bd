"""``memento sync``: share skills, what retrieval learned, review decisions and pending
patches with a team, through the workspace's git remote."""

from __future__ import annotations

import argparse

from memento_tui.cli.common import print_json, safe, services_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sync",
        help="share skills, what was learned, decisions and patches through the git remote",
        description="Commit what this workspace learned and decided, fetch the remote, bring "
        "main up to date (a fast-forward, or a merge Memento makes; your uncommitted files are "
        "never touched), push main and your pending patches, and bring teammates' patches into "
        "the review queue. Credentials are git's own (credential helpers, ssh agent).",
    )
    p.add_argument("--remote", default="origin", help="the remote to sync with (default origin)")
    p.add_argument("--no-push", action="store_true", help="take what the remote has; send nothing")
    p.add_argument(
        "--status", action="store_true", help="ahead/behind and teammates' patches, as of the last sync (no network)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from memento_tui.services.sync import as_json, sync, sync_status

    services = services_from(args)
    try:
        if args.status:
            status = sync_status(services, args.remote)
            if args.json:
                print_json(status.__dict__)
            elif status.remote is None:
                print(f"no remote {args.remote!r}: add one with 'git remote add origin URL'")
            else:
                print(
                    f"{status.remote}: {status.ahead} ahead, {status.behind} behind; "
                    f"{status.others_pending} pending patch(es) from teammates"
                )
            return 0
        result = sync(
            services,
            remote=args.remote,
            push=not args.no_push,
            on_progress=None if args.json else lambda line: print(safe(line)),
        )
    finally:
        services.close()
    if args.json:
        print_json(as_json(result))
        return 0
    moved = (
        "" if result.main_before == result.main_after else f" ({result.main_before[:10]} -> {result.main_after[:10]})"
    )
    print(
        f"synced with {result.remote}: main {result.how}{moved}; "
        f"{len(result.pushed_patches)} patch(es) sent, {len(result.new_patches)} received"
    )
    return 0

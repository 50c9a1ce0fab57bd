"""``memento sandbox run``: one command, exactly as a skill script would run."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from memento_tui.cli.common import add_json_flag, print_json, services_from
from memento_tui.domain.errors import MementoError
from memento_tui.domain.skills.hidden_text import terminal_safe
from memento_tui.domain.tree import remove_tree_quietly

# Exit codes of our own, in the range timeout(1) uses, when a limit stopped the command.
EXIT_LIMIT = 124


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sandbox", help="run one command in the sandbox, as a skill script would")
    actions = parser.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    p = actions.add_parser(
        "run",
        help="run CMD in the sandbox: skill at /skill (read-only), work dir at /work",
        description="Run one command exactly as a skill script would run: the skill folder "
        "read-only at /skill, a work dir read-write at /work (a fresh temp dir, removed "
        "afterwards, unless --work is given), no network, a clean environment, the limits "
        "from .memento/config.toml. Exits with the command's exit code (124 when a limit "
        "stopped it).",
    )
    p.add_argument("--skill", metavar="NAME", help="mount this skill at /skill")
    p.add_argument("--work", metavar="DIR", help="use DIR as /work instead of a fresh temp dir")
    p.add_argument(
        "--net",
        action="store_true",
        help="network through the filtering proxy, to the hosts the skill declares; "
        "only for a skill that declares them AND is granted in [sandbox] network",
    )
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="wall-clock limit for this run")
    p.add_argument(
        "--no-sandbox", action="store_true", help="run WITHOUT the sandbox (your decision; warned on every run)"
    )
    add_json_flag(p)
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS...")
    p.set_defaults(handler=cmd_run)


def _write(stream: str, text: str) -> None:
    out = sys.stdout if stream == "stdout" else sys.stderr
    # Skill output is untrusted: show escape sequences instead of obeying them, piped too
    # (a pager such as 'less -R' or a later 'cat' would replay them).
    out.write(terminal_safe(text))
    out.flush()


def cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise MementoError("no command given", fix="memento sandbox run [--skill NAME] -- CMD ARGS...")
    services = services_from(args)
    skill = services.library().get(args.skill) if args.skill else None
    if args.net and skill is None:
        raise MementoError(
            "--net needs --skill: network is granted per skill", fix="memento sandbox run --skill NAME --net -- CMD"
        )
    # With --net, the sandbox itself checks the declaration, the grant and that the folder
    # is the reviewed one, and says which is missing (SandboxRefused names the fix).
    sandbox = services.sandbox()
    temp = None
    if args.work:
        work = Path(args.work)
    else:
        temp = work = Path(tempfile.mkdtemp(prefix="memento-sandbox-"))
        work.chmod(0o755)
    try:
        result = sandbox.run(
            command,
            work_dir=work,
            skill_dir=skill.dir if skill else None,
            network=bool(args.net),
            wall_seconds=args.timeout,
            on_output=None if args.json else _write,
        )
    finally:
        if temp is not None:
            # Written by the command: may be deep, hold links and mode-000 folders.
            remove_tree_quietly(temp)
    if args.json:
        print_json(result.to_dict())
    elif result.limit or not result.sandboxed:
        print(f"memento: {terminal_safe(result.summary())}", file=sys.stderr)
    if result.limit is not None:
        return EXIT_LIMIT
    return result.exit_code if result.exit_code is not None else EXIT_LIMIT

"""Entry point: ``memento`` (the TUI) and its subcommands.

Each subcommand lives in ``memento_tui/cli/<name>.py`` with a ``register(subparsers)``
function. Only argparse is imported up front, so ``memento --help`` stays fast: no
litellm, textual or GitPython until a command needs them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from memento_tui import __version__

# Order is the order of 'memento --help'.
COMMANDS = (
    "run",
    "search",
    "skills",
    "patches",
    "runs",
    "reflect",
    "verify",
    "sandbox",
    "stats",
    "eval",
    "sync",
    "init",
    "doctor",
    "trust",
    "model",
    "mcp",
)

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memento",
        description="An agent that learns from its failures: skills in git, reviewed patches.",
        epilog="Run 'memento' with no command for the full-screen app.",
    )
    parser.add_argument("--version", action="version", version=f"memento {__version__}")
    parser.add_argument(
        "-C",
        "--workspace",
        metavar="DIR",
        help="use the workspace at DIR instead of searching up from the current folder",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        # A missing module is a broken install, and an error: never a command quietly gone.
        importlib.import_module(f"memento_tui.cli.{name}_cmd").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from memento_tui.cli.safe_output import safe_output

    # Everything a command prints (argparse's messages too) passes through the sink's net.
    with safe_output():
        args = build_parser().parse_args(argv)
        if args.command is not None:
            return _run(args)
    return _run(args)  # the full-screen app: Textual owns the terminal


def _run(args: argparse.Namespace) -> int:
    from memento_tui.domain.errors import MementoError
    from memento_tui.domain.skills.hidden_text import terminal_safe

    try:
        if args.command is None:
            from memento_tui.cli.tui_cmd import run_tui

            return run_tui(args)
        return int(args.handler(args) or 0)
    except MementoError as err:
        # Errors name files and skills, whose names may hold escapes.
        print(f"memento: {terminal_safe(str(err))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("memento: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (memento ... | head): stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())

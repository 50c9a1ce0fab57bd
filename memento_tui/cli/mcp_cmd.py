"""``memento mcp``: serve this workspace's skills, sandbox and review queue to an agent that
speaks the Model Context Protocol over stdio (docs/mcp.md).

    claude mcp add memento -- memento mcp -C /path/to/workspace
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mcp",
        help="serve the skills to an MCP client over stdio (Claude Code, Codex, ...)",
        description="A Model Context Protocol server over stdio for the workspace it is "
        "started in (or -C DIR): find_skills, load_skill, read_skill_file, run_skill_command "
        "(in the sandbox), report_outcome, propose_patch (to the review queue), and every skill "
        "as a skill://NAME resource. Every call is logged in .memento/mcp/calls.jsonl.",
        epilog="Add it to Claude Code with: claude mcp add memento -- memento mcp -C DIR",
    )
    # Also after the command name (memento mcp -C DIR), as MCP clients' settings tend to
    # write it; SUPPRESS keeps a -C given before the command.
    p.add_argument("-C", "--workspace", metavar="DIR", default=argparse.SUPPRESS, help="serve the workspace at DIR")
    p.set_defaults(handler=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    from memento_tui.cli.common import services_from
    from memento_tui.mcp.serve import serve

    services = services_from(argparse.Namespace(workspace=getattr(args, "workspace", None)))
    print(f"memento mcp: serving {services.paths.root} over stdio", file=sys.stderr)
    try:
        with _protocol_stdout():
            serve(services)
    finally:
        services.close()
    return 0


@contextlib.contextmanager
def _protocol_stdout() -> Iterator[None]:
    """stdout carries the protocol, not text for a terminal: the SDK needs the real stream
    (it moves fd 1 aside, so stray prints land on stderr instead of in the protocol)."""
    marked = sys.stdout
    sys.stdout = sys.__stdout__
    try:
        yield
    finally:
        sys.stdout = marked

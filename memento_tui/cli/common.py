"""Helpers shared by the subcommands: finding the workspace, printing tables and JSON.

Tables, JSON and ``one_line`` mark hidden and control characters themselves (names,
descriptions and tasks come from skills and models); ``safe`` is the same for any other
field a command prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from memento_tui.domain.skills.hidden_text import escape_json, terminal_safe
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import Services, make_services


def workspace_from(args: argparse.Namespace) -> Workspace:
    if getattr(args, "workspace", None):
        return Workspace.at(Path(args.workspace))
    return Workspace.find()


def services_from(args: argparse.Namespace) -> Services:
    """The one way a command gets its parts. ``--no-sandbox`` is a person's flag only."""
    return make_services(workspace_from(args), allow_unsandboxed=bool(getattr(args, "no_sandbox", False)))


def safe(text: object, *, single_line: bool = False) -> str:
    """A field from outside, as text safe to print (see ``terminal_safe``)."""
    return terminal_safe(str(text), single_line=single_line)


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """JSON that keeps é readable but writes escapes, bidi, tag and zero-width characters
    as \\u escapes, so ``jq`` or ``cat`` never replays them on a terminal."""
    return escape_json(json.dumps(data, indent=indent, ensure_ascii=False, default=str))


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(safe(title)) if title else None, box=None, pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Cells hold text from skills and tasks: never let it be read as rich markup, and
        # show its control characters instead of sending them.
        table.add_row(*(escape(safe(cell, single_line=True)) for cell in row))
    # Piped output is not cut to 80 columns: it goes to files and other programs.
    width = None if sys.stdout.isatty() else 200
    # No colour system: rich writes no escape sequence of its own, so the output sink can
    # mark every one it sees.
    Console(soft_wrap=False, width=width, color_system=None).print(table)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def one_line(text: str, width: int) -> str:
    """Mark hidden characters, flatten whitespace and cut to ``width`` with an ellipsis."""
    flat = " ".join(terminal_safe(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"

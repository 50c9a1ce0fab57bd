"""Helpers shared by the subcommands: finding the workspace, printing tables and JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import Services, make_services


def workspace_from(args: argparse.Namespace) -> Workspace:
    if getattr(args, "workspace", None):
        return Workspace.at(Path(args.workspace))
    return Workspace.find()


def services_from(args: argparse.Namespace) -> Services:
    """The one way a command gets its parts. ``--no-sandbox`` is a person's flag only."""
    return make_services(
        workspace_from(args), allow_unsandboxed=bool(getattr(args, "no_sandbox", False))
    )


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title) if title else None, header_style="bold", box=None, pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Cells hold text from skills and tasks: never let it be read as rich markup.
        table.add_row(*(escape(str(cell)) for cell in row))
    # Piped output is not cut to 80 columns: it goes to files and other programs.
    width = None if sys.stdout.isatty() else 200
    Console(soft_wrap=False, width=width).print(table)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def one_line(text: str, width: int) -> str:
    """Flatten whitespace and cut to ``width`` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"

"""Table cells made from outside text (tasks, skill names, run and patch ids)."""

from __future__ import annotations

from rich.markup import escape

from memento_tui.domain.hidden_text import terminal_safe


def cell(value: object) -> str:
    """One line with its hidden characters marked and its brackets escaped: a DataTable
    reads a str cell as markup, so ``[/]`` in a task would break the row or restyle it."""
    return escape(terminal_safe(str(value), single_line=True))

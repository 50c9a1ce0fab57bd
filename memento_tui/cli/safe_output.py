"""The CLI's output sink: every write to stdout and stderr passes through ``terminal_safe``.

Commands mark each field from a skill, a model or a command themselves; this is the net
under them, so a new command (or a field someone forgot) cannot put an escape sequence on
the person's terminal. The CLI writes no escape sequences of its own (tables are printed
without colour), so nothing it means to say is lost. The TUI does not run under it:
Textual owns the terminal there, and the app has its own net (``ui/hidden_filter.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, cast

from memento_tui.domain.skills.hidden_text import terminal_safe


class SafeStream:
    """A text stream that marks hidden and control characters, then writes to ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_safe(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:
        return getattr(self.stream, "errors", None)


@contextmanager
def safe_output() -> Iterator[None]:
    """stdout and stderr go through ``SafeStream`` until the block ends."""
    out, err = sys.stdout, sys.stderr
    if out is not None:
        sys.stdout = cast(TextIO, SafeStream(out))
    if err is not None:
        sys.stderr = cast(TextIO, SafeStream(err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err

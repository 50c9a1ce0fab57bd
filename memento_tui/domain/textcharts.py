"""Charts as plain text (block characters), for terminals, Markdown and logs alike."""

from __future__ import annotations

from collections.abc import Sequence

_EIGHTHS = " ▏▎▍▌▋▊▉"
_SPARKS = "▁▂▃▄▅▆▇█"


def bar(fraction: float | None, width: int = 20, *, empty: str = "░") -> str:
    """A horizontal bar ``width`` cells wide, filled to ``fraction`` (0..1) in eighths."""
    if fraction is None:
        return " " * width
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text + empty * (width - len(text))


def sparkline(values: Sequence[float | None]) -> str:
    """One character per value in 0..1; a gap (space) where there is no value."""
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        else:
            out.append(_SPARKS[min(int(min(max(value, 0.0), 1.0) * len(_SPARKS)), len(_SPARKS) - 1)])
    return "".join(out)


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def bar_chart(rows: Sequence[tuple[str, float | None, str]], width: int = 30) -> list[str]:
    """Lines ``label  ████░░░  note`` with the labels padded to one width."""
    pad = max((len(label) for label, _, _ in rows), default=0)
    return [f"{label.ljust(pad)}  {bar(value, width)}  {note}".rstrip() for label, value, note in rows]

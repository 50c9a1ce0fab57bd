"""The TUI's net for hidden text: a line filter over everything the app paints.

Rich and Textual pass ESC, C1 controls, bidi, zero-width and tag characters straight to the
terminal. Screens mark text from skills, models and commands as they show it
(``terminal_safe``); this filter runs on every painted line of every widget (Textual
applies the app's line filters to each strip), so a widget that forgets still shows
``⟨U+XXXX⟩`` and never the character itself. The line keeps its width: the marker is wider
than the zero-width character it replaces, so the end of that line is cut instead of
pushing into the next widget.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from memento_tui.domain.skills.hidden_text import terminal_safe, unsafe_spots


class HiddenTextFilter(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        line = "".join(text for text, _, control in segments if not control)
        if not unsafe_spots(line, single_line=True):
            return segments  # the usual case: one scan of the whole line
        out: list[Segment] = []
        changed = False
        for segment in segments:
            text, style, control = segment
            safe = text if control else terminal_safe(text, single_line=True)
            if safe is text:
                out.append(segment)
            else:
                changed = True
                out.append(Segment(safe, style, control))
        if not changed:
            return segments
        width = Segment.get_line_length(segments)
        return list(Segment.adjust_line_length(out, width))

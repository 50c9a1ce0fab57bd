"""Characters that change what text means without being seen ("Trojan source").

Used by ``memento verify`` on skills and by the diff viewer, which shows every one of
them as a visible marker such as ``⟨U+202E⟩``. Kinds:

- ``bidi``: directional overrides and isolates that reorder what is displayed;
- ``zero-width``: invisible joiners/spaces that split or glue words (a BOM at the very
  start of a file and a joiner inside an emoji sequence are fine);
- ``tag``: Unicode tag characters, invisible ASCII copies used to smuggle instructions;
- ``invisible``: other blank-rendering characters (invisible operators, fillers,
  variation selectors from the supplement);
- ``escape``: ESC and C1 controls, which drive a terminal (colours, titles, clipboard);
- ``control``: other C0 controls, except tab, newline, form feed and a CR ending a line.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C}
_ZERO_WIDTH = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E}
_INVISIBLE = {0x00AD, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F, *range(0x2061, 0x2065),
              *range(0xFFF9, 0xFFFC)}
_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0C}

_NAMES = {
    0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x1B: "ESCAPE", 0x7F: "DELETE",
    0x0B: "LINE TABULATION", 0x0D: "CARRIAGE RETURN",
}


class Hidden(NamedTuple):
    """One hidden character: 1-based line and column, the code point and its name."""

    line: int
    col: int
    codepoint: int
    name: str

    @property
    def kind(self) -> str:
        return kind_of(self.codepoint) or "invisible"

    @property
    def marker(self) -> str:
        return marker(self.codepoint)


def kind_of(cp: int) -> str | None:
    """The kind of a hidden code point, or None for an ordinary one."""
    if cp < 0x20 or cp == 0x7F:
        if cp in _ALLOWED_CONTROLS:
            return None
        return "escape" if cp == 0x1B else "control"
    if 0x80 <= cp <= 0x9F:
        return "escape"  # C1 controls: 0x9B is a one-byte CSI on some terminals
    if cp in _BIDI:
        return "bidi"
    if cp in _ZERO_WIDTH:
        return "zero-width"
    if 0xE0000 <= cp <= 0xE007F:
        return "tag"
    if cp in _INVISIBLE or 0xE0100 <= cp <= 0xE01EF:
        return "invisible"
    return None


def char_name(cp: int) -> str:
    if cp in _NAMES:
        return _NAMES[cp]
    name = unicodedata.name(chr(cp), "")
    if name:
        return name
    if cp < 0x20 or 0x80 <= cp <= 0x9F:
        return f"CONTROL {cp:#04x}"
    return f"U+{cp:04X}"


def marker(cp: int) -> str:
    return f"⟨U+{cp:04X}⟩"


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def _benign(text: str, index: int, cp: int) -> bool:
    if cp == 0x0D:
        # CR ending a line is fine; a lone CR can make a terminal overwrite what came before.
        return index + 1 < len(text) and text[index + 1] == "\n"
    if cp == 0xFEFF and index == 0:
        return True  # a byte-order mark that starts the file
    if cp == 0x200D and 0 < index < len(text) - 1:
        # ZERO WIDTH JOINER inside an emoji sequence (👩‍💻); the previous char may be VS16.
        before = text[index - 1]
        if before == "\ufe0f" and index > 1:
            before = text[index - 2]
        return _is_emoji(before) and _is_emoji(text[index + 1])
    return False


def _class(codepoints: set[int]) -> str:
    return "".join(re.escape(chr(cp)) for cp in sorted(codepoints))


# One regex finds the candidates, so plain text costs a single C-speed scan.
_CANDIDATES = re.compile(
    "[\x00-\x08\x0b\x0d-\x1f\x7f-\x9f"
    + _class(_BIDI | _ZERO_WIDTH | _INVISIBLE)
    + "\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)


def _spots(text: str) -> list[int]:
    return [
        m.start() for m in _CANDIDATES.finditer(text) if not _benign(text, m.start(), ord(m.group()))
    ]


def find_hidden(text: str) -> list[Hidden]:
    """Every hidden character in ``text``, in order."""
    found: list[Hidden] = []
    line, line_start, scanned = 1, 0, 0
    for index in _spots(text):
        newlines = text.count("\n", scanned, index)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", scanned, index) + 1
        scanned = index
        cp = ord(text[index])
        found.append(Hidden(line, index - line_start + 1, cp, char_name(cp)))
    return found


def has_hidden(text: str) -> bool:
    return bool(_spots(text))


def make_visible(text: str) -> str:
    """The same text with every hidden character replaced by a visible ``⟨U+XXXX⟩``."""
    spots = _spots(text)
    if not spots:
        return text
    out: list[str] = []
    last = 0
    for index in spots:
        out.append(text[last:index])
        out.append(marker(ord(text[index])))
        last = index + 1
    out.append(text[last:])
    return "".join(out)

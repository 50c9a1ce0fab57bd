"""Characters that change what text means without being seen ("Trojan source").

Used by ``memento verify`` on skills and by the diff viewer, which shows every one of
them as a visible marker such as ``⟨U+202E⟩``; ``terminal_safe`` (at the end) marks them in
every text from outside that the CLI or the TUI shows. Kinds:

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
_INVISIBLE = {0x00AD, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x034F, *range(0x2061, 0x2065), *range(0xFFF9, 0xFFFC)}
_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0C}

_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x0B: "LINE TABULATION",
    0x0D: "CARRIAGE RETURN",
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
    return [m.start() for m in _CANDIDATES.finditer(text) if not _benign(text, m.start(), ord(m.group()))]


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


# -- text from outside, shown on a terminal ---------------------------------------------
#
# Names, descriptions and bodies from skills, text from a model, output of commands: a
# terminal obeys ESC and C1 sequences (OSC 52 writes the clipboard, OSC 0 the title) and
# hides bidi, zero-width and tag characters. Everything the CLI and the TUI show from
# outside goes through ``terminal_safe``. Lone surrogates are marked too: a file name that
# is not UTF-8 decodes to them, and written out they are its raw bytes again (0x9B among them).

_TERMINAL_UNSAFE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    + _class(_BIDI | _ZERO_WIDTH | _INVISIBLE)
    + "\ud800-\udfff\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
_UNSAFE = re.compile(f"[{_TERMINAL_UNSAFE}]")
_UNSAFE_IN_LINE = re.compile(f"[\n{_TERMINAL_UNSAFE}]")


def _keep(text: str, index: int) -> bool:
    # The one exception: a joiner inside an emoji sequence (👩‍💻) hides nothing.
    return text[index] == "\u200d" and _benign(text, index, 0x200D)


def unsafe_spots(text: str, *, single_line: bool = False) -> list[int]:
    """Indexes of the characters ``terminal_safe`` marks (CR of a CRLF included)."""
    pattern = _UNSAFE_IN_LINE if single_line else _UNSAFE
    return [m.start() for m in pattern.finditer(text) if not _keep(text, m.start())]


def terminal_safe(text: str, *, single_line: bool = False) -> str:
    """Text from a skill, a model or a command, safe to show on a terminal.

    Every control character but tab and newline (ESC, BEL, CR, form feed…), DEL, C1
    controls, bidi controls, zero-width, tag and other invisible characters become a
    visible ``⟨U+XXXX⟩``. ``single_line``: a newline is marked too (a name, a table cell).
    A CRLF line end of multi-line text is read as a newline. Marked text passes unchanged.
    """
    if not single_line and "\r\n" in text:
        text = text.replace("\r\n", "\n")
    spots = unsafe_spots(text, single_line=single_line)
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


def _json_escape(match: re.Match[str]) -> str:
    cp = ord(match.group())
    if cp > 0xFFFF:  # JSON writes a character past the BMP as a surrogate pair
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"
    return f"\\u{cp:04x}"


def escape_json(document: str) -> str:
    """A JSON document with every character ``terminal_safe`` would mark written as a
    ``\\uXXXX`` escape: still the same JSON, readable non-ASCII (é, 中) stays as it is.

    Such characters can only be inside strings (JSON's own syntax is ASCII), where an
    escape means the same character; ``json.dumps`` already escapes C0 but not DEL, C1,
    bidi or tag characters.
    """
    return _UNSAFE.sub(_json_escape, document)

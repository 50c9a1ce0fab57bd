"""terminal_safe and escape_json: text from outside, made safe to show or to print as JSON."""

from __future__ import annotations

import json

import pytest

from memento_tui.domain.skills.hidden_text import escape_json, terminal_safe, unsafe_spots

HOSTILE = [
    "\x1b",
    "\x07",
    "\x00",
    "\x08",
    "\x0b",
    "\x0c",
    "\r",
    "\x7f",
    "\x85",
    "\x9b",
    "\x9d",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\U000e0041",
    "\U000e007f",
    "\udc9b",
]


@pytest.mark.parametrize("char", HOSTILE)
def test_each_character_a_terminal_obeys_or_hides_becomes_a_marker(char: str) -> None:
    shown = terminal_safe(f"a{char}b")
    assert char not in shown
    assert shown == f"a⟨U+{ord(char):04X}⟩b"


def test_osc_sequences_lose_their_escape_and_bell() -> None:
    shown = terminal_safe("x\x1b]52;c;aGk=\x07y\x1b]0;pwned\x07")
    assert shown == "x⟨U+001B⟩]52;c;aGk=⟨U+0007⟩y⟨U+001B⟩]0;pwned⟨U+0007⟩"


def test_newlines_and_tabs_stay_in_text_and_a_crlf_reads_as_a_newline() -> None:
    assert terminal_safe("a\tb\r\nc\nd") == "a\tb\nc\nd"


def test_a_single_line_field_marks_the_newline_too() -> None:
    assert terminal_safe("name\nfake line\r\n", single_line=True) == ("name⟨U+000A⟩fake line⟨U+000D⟩⟨U+000A⟩")
    assert terminal_safe("a\tb", single_line=True) == "a\tb"


def test_ordinary_text_is_returned_as_it_is_and_marking_twice_changes_nothing() -> None:
    text = "Plain ünïcødé, 中文, emoji 👩\u200d💻, quotes “x”\n"
    assert terminal_safe(text) is text
    once = terminal_safe("a\x1bb\u202e")
    assert terminal_safe(once) == once and unsafe_spots(once) == []


def test_json_escapes_what_a_terminal_would_obey_and_keeps_readable_non_ascii() -> None:
    value = "é 中 \x1b]0;t\x07 \x9b \x7f \u202e \u200b \U000e0041"
    document = escape_json(json.dumps({"v": value}, ensure_ascii=False))
    assert json.loads(document) == {"v": value}
    assert "é 中" in document
    for char in ("\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u200b", "\U000e0041"):
        assert char not in document
    assert "\\u009b" in document and "\\u202e" in document and "\\udb40\\udc41" in document

"""hidden_text: find and show the characters that change meaning unseen."""

from __future__ import annotations

import pytest

from memento_tui.domain.skills.hidden_text import find_hidden, has_hidden, make_visible


@pytest.mark.parametrize(
    ("char", "kind"),
    [
        ("\u202e", "bidi"),
        ("\u2066", "bidi"),
        ("\u200b", "zero-width"),
        ("\u2060", "zero-width"),
        ("\U000e0041", "tag"),
        ("\x1b", "escape"),
        ("\x9b", "escape"),
        ("\x07", "control"),
        ("\u2062", "invisible"),
        ("\U000e0100", "invisible"),
    ],
)
def test_each_kind_is_found_with_line_column_and_name(char: str, kind: str) -> None:
    [hit] = find_hidden(f"first line\nab{char}cd")
    assert (hit.line, hit.col, hit.codepoint) == (2, 3, ord(char))
    assert hit.kind == kind and hit.name
    assert tuple(hit) == (2, 3, ord(char), hit.name)  # unpacks as (line, col, codepoint, name)


def test_ordinary_text_has_nothing_hidden() -> None:
    text = "Plain text, tabs\tand CRLF\r\nünïcødé, 中文, emoji 👩\u200d💻 and a form feed\f\n"
    assert find_hidden("\ufeff" + text) == []
    assert not has_hidden(text)
    assert make_visible(text) is text


def test_a_bom_in_the_middle_and_a_lone_cr_are_hidden() -> None:
    hits = find_hidden("a\ufeffb\rc\n")
    assert [h.codepoint for h in hits] == [0xFEFF, 0x0D]


def test_make_visible_replaces_each_with_a_marker() -> None:
    text = 'if role != "user\u202e \u2066# admin\u2069 \u2066":\x1b[2J'
    shown = make_visible(text)
    assert shown == 'if role != "user⟨U+202E⟩ ⟨U+2066⟩# admin⟨U+2069⟩ ⟨U+2066⟩":⟨U+001B⟩[2J'
    assert not has_hidden(shown)


def test_columns_count_from_the_start_of_each_line() -> None:
    hits = find_hidden("\u200bx\nyy\u200b\n\nzzz\u202e")
    assert [(h.line, h.col) for h in hits] == [(1, 1), (2, 3), (4, 4)]

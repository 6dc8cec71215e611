"""engine.text: what the CLI prints of outside text (visible_text, json_for_terminal)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from engine.text import json_for_terminal, terminal_text, visible_text

HOSTILE = "a\x1b]0;pwned\x07b\x1b[2Jc\rd\x9b31me\u202ef\x7fg\x00h"


def _is_unsafe(ch: str) -> bool:
    code = ord(ch)
    return (code < 0x20 and ch not in "\t\n") or 0x7F <= code <= 0x9F


def test_visible_text_shows_controls_instead_of_sending_them() -> None:
    assert visible_text(HOSTILE) == "a␛]0;pwned␇b␛[2Jc␍d\\u009b31me\\u202ef␡g␀h"
    assert visible_text("one\r\ntwo\tthree") == "one\ntwo\tthree"
    assert visible_text("one\r\ntwo\tthree", one_line=True) == "one two three"
    assert visible_text(None) == ""
    assert visible_text(42) == "42"
    assert visible_text("[bold]x[/bold] Zürich 東京") == "[bold]x[/bold] Zürich 東京"


@given(st.text())
def test_visible_text_never_lets_a_control_through(text: str) -> None:
    out = visible_text(text)
    assert not any(_is_unsafe(ch) for ch in out)
    assert "\n" not in visible_text(text, one_line=True)


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\u202e\u2028\x9b\r")))
def test_visible_text_loses_no_printable_character(text: str) -> None:
    # Only what it replaces changes: printable text survives in order.
    kept = [ch for ch in text if visible_text(ch) == ch]
    out = visible_text(text)
    position = 0
    for ch in kept:
        position = out.index(ch, position) + 1


@given(st.recursive(st.none() | st.text() | st.integers(), lambda kids: st.lists(kids)))
def test_json_for_terminal_is_the_same_json_and_inert(value: object) -> None:
    text = json_for_terminal(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert not any(_is_unsafe(ch) for ch in text)
    assert "\u202e" not in text


def test_terminal_text_still_removes_for_the_tui() -> None:
    assert terminal_text(HOSTILE) == "a]0;pwnedb[2Jc d31mefgh"

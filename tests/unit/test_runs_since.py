"""`jobfleet runs --since`: the duration parser, and how the table shortens errors."""

from __future__ import annotations

import pytest

from engine.cli.runs import MAX_SINCE_S, parse_duration, shorten
from engine.errors import UserError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("30m", 1800), ("24h", 86400), ("7d", 7 * 86400), ("36500d", MAX_SINCE_S)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "24", "h", "1w", "1H", "1.5h", "-3d", "+3d", " 3d", "3d ", "1 h", "1h30m", "0s",
     "36501d", "9999999d", "\u0663h", "\uff13h", "3d\n"],
)  # fmt: skip
def test_anything_else_is_one_sentence(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert message.startswith("--since must be") and "\n" not in message


def test_shorten() -> None:
    assert shorten(None) == "" and shorten("") == "" and shorten("  \n") == ""
    assert shorten("HTTP 429") == "HTTP 429"
    assert shorten("first\nsecond") == "first…"
    cut = shorten("y" * 100, width=20)
    assert cut == "y" * 19 + "…" and len(cut) == 20

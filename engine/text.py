"""Making untrusted text safe: one function for the database, one for terminals.

Everything scraped, typed or logged reaches Postgres through :func:`pg_text` and a terminal
(CLI output, the TUI, the headless supervisor's stderr) through :func:`terminal_text`.
"""

from __future__ import annotations

import re

# Postgres text and jsonb reject NUL; UTF-8 cannot carry lone surrogates (pandas/pyarrow can
# hand us some from broken board data).
_NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")
# C0 and C1 control characters except tab/newline, plus DEL. ESC (\x1b) is among them, so an
# ANSI sequence loses its introducer and shows as harmless printable text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Zero-width and bidirectional-override characters that can reorder or hide text on screen.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def pg_text(value: str) -> str:
    """``value`` without the characters a Postgres text column or UTF-8 cannot hold."""
    if "\x00" in value or not value.isascii():
        return _NOT_STORABLE.sub("", value)
    return value


def terminal_text(value: object, *, max_len: int | None = None, one_line: bool = True) -> str:
    """``value`` as printable text: control and invisible characters removed, optionally on one
    line, optionally cut to ``max_len`` characters (with an ellipsis)."""
    if value is None:
        return ""
    text = str(value)
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = _INVISIBLE.sub("", _CONTROL.sub("", text))
    if max_len is not None and len(text) > max_len:
        text = text[: max(0, max_len - 1)] + "…"
    return text

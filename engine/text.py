"""Making untrusted text safe: one function for the database, two for terminals.

Everything scraped, typed or logged reaches Postgres through :func:`pg_text`. On its way to a
terminal it goes through :func:`terminal_text` in the TUI, which removes control characters (a
widget has no room for them), and through :func:`visible_text` in the CLI, which shows them (the
operator of a command line wants to see that a posting holds an escape sequence, and a pipe into
``grep`` should find it). JSON output keeps its escapes, but ``json.dumps(ensure_ascii=False)``
leaves C1 and bidi characters raw, so it goes through :func:`json_for_terminal`.
"""

from __future__ import annotations

import re

# Postgres text and jsonb reject NUL; UTF-8 cannot carry lone surrogates (pandas/pyarrow can
# hand us some from broken board data).
_NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")
# C0 and C1 control characters except tab/newline, plus DEL. ESC (\x1b) is among them, so an
# ANSI sequence loses its introducer and shows as harmless printable text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Zero-width, bidirectional-override and line-separator characters that can reorder or hide text
# on screen.
_INVISIBLE_CHARS = "\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# What visible_text replaces: every C0 control but tab and newline, DEL, every C1 control, and
# the invisible characters above.
_UNSAFE_IN_CLI = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE_CHARS}]")
# What json_for_terminal escapes: json.dumps already escapes C0; the rest passes it raw.
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE_CHARS}]")


def pg_text(value: str) -> str:
    """``value`` without the characters a Postgres text column or UTF-8 cannot hold."""
    if "\x00" in value or not value.isascii():
        return _NOT_STORABLE.sub("", value)
    return value


def terminal_text(value: object, *, max_len: int | None = None, one_line: bool = True) -> str:
    """``value`` as printable text: control and invisible characters removed, optionally on one
    line, optionally cut to ``max_len`` characters (with an ellipsis). For the TUI."""
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


def _show(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ESC shows as ␛, CR as ␍
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\u{code:04x}"  # C1 controls and invisible characters, as Python writes them


def visible_text(value: object, *, one_line: bool = False) -> str:
    """``value`` as text a terminal prints literally, for the CLI: control characters shown as
    Unicode control pictures (ESC as ␛, BEL as ␇, a lone CR as ␍), DEL as ␡, C1 controls and
    invisible or bidi characters as ``\\u009b``-style escapes. Tab and newline stay (a Windows
    line end becomes a newline); with ``one_line`` they become spaces."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n")
    if one_line:
        text = text.replace("\n", " ").replace("\t", " ")
    return _UNSAFE_IN_CLI.sub(_show, text)


def json_for_terminal(text: str) -> str:
    """JSON text (from ``json.dumps``) with the characters it leaves raw (DEL, C1, invisible and
    bidi characters) written as ``\\u`` escapes: still the same JSON, and inert on a terminal.
    They can only occur inside JSON strings, where a ``\\u`` escape means the same character."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

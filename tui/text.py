"""Turning untrusted text and raw numbers into something safe and short to show.

Everything that comes from the outside world (job titles, descriptions, log messages, error
strings, even node names typed by a person) goes through :func:`literal` or :func:`clean` before
it reaches a widget: Rich markup in it stays literal because it is wrapped in ``Text`` (never
parsed), and control characters (ANSI escapes, carriage returns, NULs) are removed so they cannot
move the cursor or restyle the terminal.
"""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text

from engine.errors import UserError
from engine.redact import mask_text
from engine.text import terminal_text

# The one terminal-safe text function lives in the engine (the CLI needs it too).
clean = terminal_text


def literal(value: object, style: str | Style = "", *, max_len: int | None = None) -> Text:
    """A Rich ``Text`` that shows ``value`` exactly (markup is never interpreted)."""
    return Text(clean(value, max_len=max_len), style=style)


def fmt_int(value: object) -> str:
    if value is None:
        return "—"
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "—"


def fmt_bytes(value: object) -> str:
    if value is None:
        return "—"
    try:
        size = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit == "GiB" else f"{size:.0f} {unit}"
        size /= 1024
    return "—"  # pragma: no cover - loop always returns


def fmt_duration(seconds: float | None) -> str:
    """Compact age: 45s, 3m07s, 2h05m, 3d04h."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def seconds_between(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int] | None, width: int) -> str:
    """A one-line bar chart of the last ``width`` values (empty buckets show as the lowest bar)."""
    if width <= 0:
        return ""
    data = list(values or [])[-width:]
    if not data:
        return ""
    top = max(data)
    if top <= 0:
        return _BLOCKS[0] * len(data)
    last = len(_BLOCKS) - 1
    return "".join(_BLOCKS[min(last, round(v / top * last))] for v in data)


def describe_error(exc: BaseException) -> str:
    """One line for a notification: the user's own errors as they are, others with their type."""
    text = clean(mask_text(str(exc)), max_len=300)
    if isinstance(exc, UserError):
        return text
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def count_ticks(top: int, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 to at least ``top`` for a chart's count axis (plotext would
    label a count of 1 with 0.17, 0.33, …): at most ``most`` + 1 of them, evenly spaced."""
    top = max(1, top)
    step = max(1, -(-top // most))
    return list(range(0, top + step, step))

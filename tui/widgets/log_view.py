"""A bounded, filterable, level-coloured log built on Textual's ``Log`` (fast plain-text appends).

Lines are plain strings, so nothing in a log message is ever read as markup, and ``Log`` itself
replaces control characters when it draws. Entries are kept in a bounded deque (the newest
``max_entries``) so that changing the filter redraws from memory without a database round trip.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.widgets import Log

from tui.text import clean

LEVELS = ("debug", "info", "warning", "error")
# Where the level word sits in a formatted line: after "HH:MM:SS ".
LEVEL_COLUMN = 9
LEVEL_WIDTH = 7
LINE_STYLE = {
    "error": Style(color="red", bold=True),
    "warning": Style(color="yellow"),
    "debug": Style(dim=True),
}
LEVEL_STYLE = {
    "debug": Style(dim=True),
    "info": Style(color="green"),
    "warning": Style(color="yellow", bold=True),
    "error": Style(color="white", bgcolor="red", bold=True),
}


class LevelHighlighter(Highlighter):
    """Colours a formatted line by the level word at its fixed column (styles, not markup)."""

    def highlight(self, text: Text) -> None:
        level = text.plain[LEVEL_COLUMN : LEVEL_COLUMN + LEVEL_WIDTH].strip().lower()
        if level in LINE_STYLE:
            text.stylize(LINE_STYLE[level], LEVEL_COLUMN + LEVEL_WIDTH)
        if level in LEVEL_STYLE:
            text.stylize(LEVEL_STYLE[level], LEVEL_COLUMN, LEVEL_COLUMN + len(level))
        text.stylize(Style(dim=True), 0, LEVEL_COLUMN - 1)


@dataclass(frozen=True)
class LogEntry:
    id: int
    level: int
    line: str


def format_row(row: dict[str, Any], names: dict[int, str]) -> LogEntry:
    """One node_logs row as one line; every part is cleaned (no newlines, no control chars)."""
    ts = row.get("ts")
    stamp = ts.astimezone().strftime("%H:%M:%S") if isinstance(ts, datetime) else "--:--:--"
    level = str(row.get("level") or "info")
    node_id = row.get("node_id")
    who = "supervisor" if node_id is None else names.get(int(node_id)) or f"node {node_id}"
    fields = row.get("fields") or {}
    extra = ""
    if isinstance(fields, dict) and fields:
        extra = " " + " ".join(f"{clean(k)}={clean(v, max_len=200)}" for k, v in fields.items())
    message = clean(row.get("message"), max_len=2000)
    line = (
        f"{stamp} {level.upper():<{LEVEL_WIDTH}} {clean(who, max_len=30)} "
        f"{clean(row.get('event'), max_len=60)}: {message}{extra}"
    )
    rank = LEVELS.index(level) if level in LEVELS else 1
    return LogEntry(id=int(row.get("id") or 0), level=rank, line=line)


class LogView(Log):
    """Shows the entries that pass the level and text filters; keeps the newest ``max_entries``."""

    DEFAULT_CSS = """
    LogView {
        height: 1fr;
    }
    """

    def __init__(self, *, max_entries: int = 5000, id: str | None = None) -> None:
        super().__init__(highlight=True, max_lines=max_entries, auto_scroll=True, id=id)
        self.highlighter = LevelHighlighter()
        self.entries: deque[LogEntry] = deque(maxlen=max_entries)
        self.min_level = 0
        self.text_filter = ""

    def _passes(self, entry: LogEntry) -> bool:
        if entry.level < self.min_level:
            return False
        return not self.text_filter or self.text_filter in entry.line.casefold()

    @property
    def last_id(self) -> int:
        return self.entries[-1].id if self.entries else 0

    def add_entries(self, entries: Iterable[LogEntry]) -> int:
        fresh = [e for e in entries if e.id > self.last_id or e.id == 0]
        self.entries.extend(fresh)
        shown = [e.line for e in fresh if self._passes(e)]
        if shown:
            self.write_lines(shown)
        return len(shown)

    def set_filter(self, *, min_level: str | None = None, text: str | None = None) -> None:
        if min_level is not None:
            self.min_level = LEVELS.index(min_level) if min_level in LEVELS else 0
        if text is not None:
            self.text_filter = text.casefold()
        self.clear()
        self.write_lines([e.line for e in self.entries if self._passes(e)])

    @property
    def shown_lines(self) -> list[str]:
        return list(self.lines)

"""A bounded, filterable, level-coloured log built on Textual's ``Log`` (fast plain-text appends).

Lines are plain strings, so nothing in a log message is ever read as markup, and ``Log`` itself
replaces control characters when it draws. Entries are kept in a bounded deque (the newest
``max_entries``) so that changing the filter redraws from memory without a database round trip.

Entries are kept in time order (the event's own time, then its id): workers write their events
in batches, so rows of several nodes arrive out of order and a late one is put in its place.
Long lines wrap at the view's width (``w`` toggles it), continuation lines indented under the
message and coloured like their first line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len, chop_cells
from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual import events
from textual.strip import Strip
from textual.widgets import Log

from engine.fleet.events import field_value_text, shown_fields
from tui.text import clean

LEVELS = ("debug", "info", "warning", "error")
# Where the level word sits in a formatted line: after "HH:MM:SS ".
LEVEL_COLUMN = 9
LEVEL_WIDTH = 7
# Continuation lines of a wrapped entry start under the node name.
CONTINUATION = " " * (LEVEL_COLUMN + LEVEL_WIDTH + 1)
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
    """Colours a formatted line by the level word at its fixed column (styles, not markup); a
    continuation line of a wrapped entry takes the level of the line the view is drawing."""

    def __init__(self) -> None:
        self.continuation_level = ""

    def highlight(self, text: Text) -> None:
        if text.plain.startswith(CONTINUATION):
            if self.continuation_level in LINE_STYLE:
                text.stylize(LINE_STYLE[self.continuation_level])
            return
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
    # When the event happened (epoch seconds; 0 = unknown): the order of the view.
    ts: float = 0.0

    @property
    def key(self) -> tuple[float, int]:
        return (self.ts, self.id)


def format_row(row: dict[str, Any], names: dict[int, str]) -> LogEntry:
    """One node_logs row as one line; every part is cleaned (no newlines, no control chars)."""
    ts = row.get("ts")
    stamp = ts.astimezone().strftime("%H:%M:%S") if isinstance(ts, datetime) else "--:--:--"
    level = str(row.get("level") or "info")
    node_id = row.get("node_id")
    who = "supervisor" if node_id is None else names.get(int(node_id)) or f"node {node_id}"
    fields = row.get("fields") or {}
    message = clean(row.get("message"), max_len=2000)
    extra = ""
    if isinstance(fields, dict) and fields:
        shown = shown_fields(str(row.get("message") or ""), fields)
        extra = "".join(
            f" {clean(k)}={clean(field_value_text(v), max_len=200)}" for k, v in shown.items()
        )
    line = (
        f"{stamp} {level.upper():<{LEVEL_WIDTH}} {clean(who, max_len=30)} "
        f"{clean(row.get('event'), max_len=60)}: {message}{extra}"
    )
    rank = LEVELS.index(level) if level in LEVELS else 1
    when = ts.timestamp() if isinstance(ts, datetime) else 0.0
    return LogEntry(id=int(row.get("id") or 0), level=rank, line=line, ts=when)


def wrap_line(line: str, width: int) -> list[str]:
    """``line`` cut into rows of at most ``width`` cells; rows after the first are indented."""
    if width <= len(CONTINUATION) + 10 or cell_len(line) <= width:
        return [line]
    first, *_ = chop_cells(line, width)
    rest = line[len(first) :]
    rows = [first]
    for part in chop_cells(rest, width - len(CONTINUATION)):
        rows.append(CONTINUATION + part.lstrip() if part.strip() else CONTINUATION + part)
    return rows


class LogView(Log):
    """Shows the entries that pass the level and text filters, in time order; keeps the newest
    ``max_entries``. ``wrap`` cuts long lines at the view's width instead of scrolling sideways."""

    DEFAULT_CSS = """
    LogView {
        height: 1fr;
    }
    """

    def __init__(self, *, max_entries: int = 5000, id: str | None = None) -> None:
        super().__init__(highlight=True, max_lines=None, auto_scroll=True, id=id)
        self.highlighter = LevelHighlighter()
        self.max_entries = max_entries
        self.entries: deque[LogEntry] = deque(maxlen=max_entries)
        self.min_level = 0
        self.text_filter = ""
        self.wrap = True
        self._max_id = 0
        # The level of each drawn row (a wrapped entry draws several), for the highlighter.
        self._row_levels: list[str] = []
        self._wrap_width = 0

    def _passes(self, entry: LogEntry) -> bool:
        if entry.level < self.min_level:
            return False
        return not self.text_filter or self.text_filter in entry.line.casefold()

    @property
    def last_id(self) -> int:
        """The highest id received (entries are in time order, not id order)."""
        return self._max_id

    def _row_width(self) -> int:
        width = self.scrollable_content_region.width if self.is_mounted else 0
        return max(0, width - 1)

    def _draw(self, entries: Iterable[LogEntry]) -> int:
        rows: list[str] = []
        levels: list[str] = []
        width = self._row_width() if self.wrap else 0
        self._wrap_width = width
        for entry in entries:
            if not self._passes(entry):
                continue
            level = LEVELS[entry.level] if 0 <= entry.level < len(LEVELS) else "info"
            parts = wrap_line(entry.line, width) if width else [entry.line]
            rows.extend(parts)
            levels.extend([level] * len(parts))
        if rows:
            self._row_levels.extend(levels)
            self.write_lines(rows)
        return len(rows)

    def add_entries(self, entries: Iterable[LogEntry]) -> int:
        fresh = sorted(
            (e for e in entries if e.id > self._max_id or e.id == 0), key=lambda e: e.key
        )
        if not fresh:
            return 0
        self._max_id = max(self._max_id, max(e.id for e in fresh))
        if not self.entries or fresh[0].key >= self.entries[-1].key:
            self.entries.extend(fresh)
            shown = sum(1 for e in fresh if self._passes(e))
            self._draw(fresh)
            if len(self._row_levels) > 3 * self.max_entries:
                self.redraw()
            return shown
        # A late event (batched by its worker): put it in its place and draw again.
        merged = sorted([*self.entries, *fresh], key=lambda e: e.key)
        self.entries = deque(merged[-self.max_entries :], maxlen=self.max_entries)
        self.redraw()
        return sum(1 for e in fresh if self._passes(e))

    def keep_entries(self, entries: Iterable[LogEntry]) -> None:
        """Take entries without drawing them (paused): ``redraw`` shows them later."""
        fresh = [e for e in entries if e.id > self._max_id or e.id == 0]
        if fresh:
            self._max_id = max(self._max_id, max(e.id for e in fresh))
            merged = sorted([*self.entries, *fresh], key=lambda e: e.key)
            self.entries = deque(merged[-self.max_entries :], maxlen=self.max_entries)

    def clear(self) -> LogView:
        self._row_levels = []
        super().clear()
        return self

    def redraw(self) -> None:
        self.clear()
        self._draw(self.entries)

    def set_filter(self, *, min_level: str | None = None, text: str | None = None) -> None:
        if min_level is not None:
            self.min_level = LEVELS.index(min_level) if min_level in LEVELS else 0
        if text is not None:
            self.text_filter = text.casefold()
        self.redraw()

    def toggle_wrap(self) -> bool:
        self.wrap = not self.wrap
        self.redraw()
        return self.wrap

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap and self._row_width() != self._wrap_width:
            self.redraw()

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        # Tell the highlighter which entry's level a continuation row belongs to.
        if isinstance(self.highlighter, LevelHighlighter):
            levels = self._row_levels
            self.highlighter.continuation_level = levels[y] if 0 <= y < len(levels) else ""
        return super()._render_line_strip(y, rich_style)

    @property
    def shown_lines(self) -> list[str]:
        """The entries shown, one string each (a wrapped entry is one line here)."""
        return [e.line for e in self.entries if self._passes(e)]

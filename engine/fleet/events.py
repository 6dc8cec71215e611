"""Structured events: every worker and supervisor event is a row in ``node_logs``.

Events are buffered and written in batches that flush on size or on time (pgqueuer's buffer), so
a chatty worker costs one INSERT per batch, and each batch is announced with one NOTIFY per node
on channel ``node_logs`` (payload ``"<node_id>:<last id>"``, empty node id for supervisor events;
never the row: payloads cap at 8000 bytes). While the database is away events stay in a bounded
buffer and go out when it returns. Every message and field is passed through the secret masker
(URL passwords, ``password=``, and the secret values registered with ``add_secrets``) before it is
buffered, so no copy of a secret ever exists in the buffer, the table, or the mirror stream.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import psycopg

from engine.db.connections import ConnectionSource, Listener
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable
from engine.protocol import LOGS_CHANNEL
from engine.redact import mask_text
from engine.text import pg_text, visible_text

log = logging.getLogger(__name__)

LEVELS = ("debug", "info", "warning", "error")
MAX_MESSAGE = 4000
MAX_FIELD_TEXT = 2000


# Secret values known to this process (resolved proxy passwords, DB password): masked everywhere.
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def add_secrets(*values: str | None) -> None:
    with _secrets_lock:
        _secrets.update(v for v in values if v and len(v) >= 3)


def known_secrets() -> list[str]:
    with _secrets_lock:
        # Longest first, so a secret that contains another is masked whole.
        return sorted(_secrets, key=len, reverse=True)


def redact(text: str) -> str:
    return mask_text(text, known_secrets())


def log_text(text: Any, limit: int = MAX_MESSAGE) -> str:
    """A log message or field as stored: storable (``pg_text``), bounded, secrets masked.
    (Terminals get ``visible_text`` or ``terminal_text`` on top when they show it.)"""
    value = pg_text(str(text))
    if len(value) > limit:
        value = value[:limit] + "…"
    return redact(value)


def _clean_value(value: Any, depth: int = 0) -> Any:
    if depth > 5:
        return log_text(repr(value), MAX_FIELD_TEXT)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return log_text(value, MAX_FIELD_TEXT)
    if isinstance(value, dict):
        return {log_text(k, 100): _clean_value(v, depth + 1) for k, v in list(value.items())[:100]}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean_value(v, depth + 1) for v in list(value)[:100]]
    if isinstance(value, datetime):
        return value.isoformat()
    return log_text(str(value), MAX_FIELD_TEXT)


def clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = _clean_value(fields)
    return cleaned if isinstance(cleaned, dict) else {}


@dataclass
class Event:
    level: str
    event: str
    message: str
    node_id: int | None
    fields: dict[str, Any]
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
    seq: int = 0


def format_event(ev: Event | dict[str, Any]) -> str:
    """One line for stderr and files: ``ts level [node] event: message k=v``."""
    if isinstance(ev, Event):
        ts, level, node_id, name, message, fields = (
            ev.ts,
            ev.level,
            ev.node_id,
            ev.event,
            ev.message,
            ev.fields,
        )
    else:
        ts, level, node_id, name = ev["ts"], ev["level"], ev.get("node_id"), ev["event"]
        message, fields = ev.get("message", ""), ev.get("fields") or {}
    stamp = ts.astimezone().strftime("%H:%M:%S") if isinstance(ts, datetime) else str(ts)
    who = f"node {node_id}" if node_id is not None else "supervisor"
    extra = fields_text(message, fields)
    line = f"{stamp} {level:<7} {who} {name}: {message}"
    return f"{line} {extra}".rstrip() if extra else line


# ANSI styles of the level word on a terminal (the rest of an error line is red too).
_LEVEL_SGR = {"debug": "2", "info": "32", "warning": "1;33", "error": "1;31"}


def wants_colour(stream: Any) -> bool:
    """Colour for a terminal only (a pipe or a file gets plain text); ``NO_COLOR`` turns it off
    and ``FORCE_COLOR`` on (https://no-color.org)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def paint_level(line: str, level: str) -> str:
    """A line from :func:`format_event` (already made visible: it holds no escape character of
    its own) with its level word coloured, and an error's message in red."""
    sgr = _LEVEL_SGR.get(level)
    start = line.find(f" {level}") + 1
    if not sgr or start <= 0:
        return line
    end = start + len(level)
    if level == "error":
        return f"{line[:start]}\x1b[{sgr}m{line[start:end]}\x1b[0;31m{line[end:]}\x1b[0m"
    return f"{line[:start]}\x1b[{sgr}m{line[start:end]}\x1b[0m{line[end:]}"


def field_value_text(value: Any) -> str:
    """A field's value for a log line: mappings as ``k:v,k:v``, lists comma-separated."""
    if isinstance(value, dict):
        return ",".join(
            f"{k}:{field_value_text(v)}" for k, v in value.items() if v not in (None, "", [], {})
        )
    if isinstance(value, list | tuple):
        return ",".join(field_value_text(v) for v in value)
    return str(value)


def _says(message: str, key: str, value: Any) -> bool:
    """Whether ``message`` already tells this field: a text value it contains, a number next to
    its key (``10 found``, ``pid 1234``, ``found=10``), a mapping whose every ``k v`` it has."""
    if value is None or value == "" or value == [] or value == {}:
        return True  # nothing to add
    if isinstance(value, dict):
        return all(_says(message, str(k), v) for k, v in value.items())
    if isinstance(value, str):
        # A whole word of the message; a very short one only next to its key ("site x").
        if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", message) is None:
            return False
        return len(value) >= 3 or re.search(rf"\b{re.escape(key)}\b", message) is not None
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        v = re.escape(str(value))
        k = re.escape(key).replace("_", "[ _]")
        return re.search(rf"(?<![\w.]){v} {k}\b|\b{k}[ =:]+{v}(?![\w.])", message) is not None
    return False


def shown_fields(message: str, fields: dict[str, Any] | None) -> dict[str, Any]:
    """The fields a log line shows after its message: those the message does not already tell
    (``scrape_done: London: 10 found, 10 new``, not ``… location=London found=10 new=10``). The
    stored row keeps every field for programs (``--json``, SQL)."""
    if not isinstance(fields, dict):
        return {}
    return {k: v for k, v in fields.items() if not _says(message or "", str(k), v)}


def fields_text(message: str, fields: dict[str, Any] | None) -> str:
    return " ".join(f"{k}={field_value_text(v)}" for k, v in shown_fields(message, fields).items())


class EventWriter:
    """Buffered writer of node_logs rows; flushes when ``max_batch`` events wait or every
    ``flush_interval`` seconds (from a small daemon thread), and on ``flush()``/``close()``.

    ``mirror`` (e.g. sys.stderr) receives every event as one masked line (``visible_text``) as it
    is emitted, so a headless supervisor shows them at once and a worker's log file has them even
    when the database is away.
    """

    def __init__(
        self,
        db: ConnectionSource,
        *,
        host_id: int | None = None,
        max_batch: int = 100,
        flush_interval: float = 0.5,
        max_buffer: int = 10_000,
        mirror: TextIO | None = None,
        min_level: str = "debug",
    ) -> None:
        self.db = db
        self.host_id = host_id
        self.max_batch = max_batch
        self.flush_interval = flush_interval
        self.mirror = mirror
        self._colour = wants_colour(mirror) if mirror is not None else False
        self.min_level = LEVELS.index(min_level)
        self._buffer: deque[Event] = deque(maxlen=max_buffer)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._seq = 0
        self.dropped = 0
        self.written = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
        self._thread.start()

    def emit(
        self,
        level: str,
        event: str,
        message: str = "",
        *,
        node_id: int | None = None,
        **fields: Any,
    ) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown log level {level!r}")
        if LEVELS.index(level) < self.min_level:
            return
        ev = Event(
            level=level,
            event=log_text(event, 100),
            message=log_text(message),
            node_id=node_id,
            fields=clean_fields(fields),
        )
        if self.mirror is not None:
            with contextlib.suppress(Exception):
                # The mirror is a terminal (headless supervisor) or a worker's log file
                # that people `tail`: control characters in messages are shown, never sent.
                line = visible_text(format_event(ev), one_line=True)
                if self._colour:
                    line = paint_level(line, ev.level)
                self.mirror.write(line + "\n")
                self.mirror.flush()
        with self._lock:
            if len(self._buffer) == self._buffer.maxlen:
                self.dropped += 1
            self._seq += 1
            ev.seq = self._seq
            self._buffer.append(ev)
            full = len(self._buffer) >= self.max_batch
        if full:
            self._wake.set()

    def debug(self, event: str, message: str = "", **kw: Any) -> None:
        self.emit("debug", event, message, **kw)

    def info(self, event: str, message: str = "", **kw: Any) -> None:
        self.emit("info", event, message, **kw)

    def warning(self, event: str, message: str = "", **kw: Any) -> None:
        self.emit("warning", event, message, **kw)

    def error(self, event: str, message: str = "", **kw: Any) -> None:
        self.emit("error", event, message, **kw)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def flush(self) -> bool:
        """Write everything buffered; False (and events kept) if the database is away."""
        with self._flush_lock:
            while True:
                with self._lock:
                    batch = [self._buffer[i] for i in range(min(self.max_batch, len(self._buffer)))]
                if not batch:
                    return True
                try:
                    write_events(self.db, batch, host_id=self.host_id)
                except (DatabaseUnavailable, psycopg.Error) as exc:
                    self.failures += 1
                    log.debug("event flush failed: %s", exc.__class__.__name__)
                    return False
                with self._lock:
                    # Emitters may have appended (or, when full, evicted) meanwhile: drop by seq.
                    while self._buffer and self._buffer[0].seq <= batch[-1].seq:
                        self._buffer.popleft()
                self.written += len(batch)

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self.pending:
                ok = self.flush()
                if not ok:
                    # The database is away: do not spin; the buffer is bounded.
                    self._closed.wait(min(5.0, self.flush_interval * 4))

    def close(self, *, timeout: float = 5.0) -> None:
        """Stop the flusher; write what is left (give up after ``timeout`` if the DB is away)."""
        self._closed.set()
        self._wake.set()
        self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            if self.flush():
                break
            time.sleep(0.2)


def write_events(
    db: ConnectionSource, events: list[Event], *, host_id: int | None = None
) -> list[int]:
    """Insert events in one statement and announce them; returns the new ids."""
    if not events:
        return []
    params = {
        "node_ids": [e.node_id for e in events],
        "host_id": host_id,
        "ts": [e.ts for e in events],
        "levels": [e.level for e in events],
        "events": [e.event for e in events],
        "messages": [e.message for e in events],
        "fields": [json.dumps(e.fields, allow_nan=False, ensure_ascii=False) for e in events],
    }
    with db.connection() as conn:
        rows = conn.execute(q("insert_node_logs"), params).fetchall()
        last: dict[int | None, int] = {}
        for row in rows:
            last[row["node_id"]] = max(row["id"], last.get(row["node_id"], 0))
        for node_id, last_id in last.items():
            payload = f"{'' if node_id is None else node_id}:{last_id}"
            conn.execute("SELECT pg_notify(%s, %s)", (LOGS_CHANNEL, payload))
    return [r["id"] for r in rows]


def log_event_now(
    conn: psycopg.Connection[Any],
    level: str,
    event: str,
    message: str = "",
    *,
    node_id: int | None = None,
    host_id: int | None = None,
    **fields: Any,
) -> int:
    """Write one event inside the caller's transaction (used for status changes)."""
    row = conn.execute(
        q("insert_node_logs"),
        {
            "node_ids": [node_id],
            "host_id": host_id,
            "ts": [datetime.now(UTC)],
            "levels": [level],
            "events": [log_text(event, 100)],
            "messages": [log_text(message)],
            "fields": [json.dumps(clean_fields(fields), allow_nan=False, ensure_ascii=False)],
        },
    ).fetchone()
    assert row is not None
    conn.execute(
        "SELECT pg_notify(%s, %s)",
        (LOGS_CHANNEL, f"{'' if node_id is None else node_id}:{row['id']}"),
    )
    return int(row["id"])


# --- reading ---------------------------------------------------------------------------------


def fetch_logs(
    db: ConnectionSource,
    *,
    node_id: int | None = None,
    after_id: int = 0,
    levels: list[str] | tuple[str, ...] | None = None,
    text: str | None = None,
    limit: int = 500,
    supervisor_only: bool = False,
    since_s: float | None = None,
) -> list[dict[str, Any]]:
    """Log rows. ``after_id=0`` returns the newest ``limit`` rows (a tail) in time order (the
    events' own time, then id: workers write in batches, so ids alone interleave nodes out of
    order); a positive ``after_id`` returns up to ``limit`` rows after it in id order
    (following). ``node_id=None`` means every node and the supervisors, unless
    ``supervisor_only``. ``text`` matches the event name, message or fields (ignoring case);
    ``since_s`` keeps the events of the last so many seconds (by the database clock)."""
    params = {
        "node_id": node_id,
        "supervisor_only": supervisor_only,
        "after_id": after_id,
        "levels": list(levels) if levels else None,
        "text": f"%{_like_escape(text)}%" if text else None,
        "since_s": since_s,
        "limit": max(1, min(limit, 10_000)),
    }
    with db.connection() as conn:
        if after_id > 0:
            rows = conn.execute(q("fetch_logs_after"), params).fetchall()
        else:
            rows = conn.execute(q("fetch_logs_tail"), params).fetchall()
            rows.sort(key=lambda r: (r["ts"], r["id"]))
    return [dict(r) for r in rows]


def _like_escape(text: str) -> str:
    """``text`` matched literally by ILIKE (``%`` and ``_`` are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def levels_at_least(level: str) -> list[str]:
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; choose from {', '.join(LEVELS)}")
    return list(LEVELS[LEVELS.index(level) :])


class LogFollower:
    """New log rows as they arrive: LISTEN on ``node_logs`` with polling as the fallback.

    ``poll(timeout)`` blocks until something may have arrived (a NOTIFY, or ``poll_interval``)
    and returns the new rows. Call it from a thread (the TUI) or a loop (``jobfleet logs -f``).
    """

    def __init__(
        self,
        db: Database,
        *,
        node_id: int | None = None,
        levels: list[str] | None = None,
        text: str | None = None,
        after_id: int | None = None,
        poll_interval: float = 2.0,
    ) -> None:
        self.db = db
        self.node_id = node_id
        self.levels = levels
        self.text = text
        self.poll_interval = poll_interval
        self.last_id = after_id if after_id is not None else _max_log_id(db)
        self._listener = Listener(db, [LOGS_CHANNEL])

    def _relevant(self, payload: str) -> bool:
        if self.node_id is None:
            return True
        head = payload.partition(":")[0]
        return head == str(self.node_id)

    def poll(self, timeout: float | None = None) -> list[dict[str, Any]]:
        wait_for = self.poll_interval if timeout is None else timeout
        deadline = time.monotonic() + wait_for
        while True:
            notes = self._listener.wait(max(0.0, deadline - time.monotonic()))
            if any(n is Listener.RECONNECTED or self._relevant(n.payload) for n in notes):
                break
            if time.monotonic() >= deadline:
                break
        rows = fetch_logs(
            self.db,
            node_id=self.node_id,
            after_id=self.last_id,
            levels=self.levels,
            text=self.text,
            limit=1000,
        )
        if rows:
            self.last_id = rows[-1]["id"]
        return rows

    def follow(self, stop: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
        while not stop():
            try:
                yield from self.poll()
            except (DatabaseUnavailable, psycopg.OperationalError):
                time.sleep(self.poll_interval)

    def close(self) -> None:
        self._listener.close()


def _max_log_id(db: ConnectionSource) -> int:
    with db.connection() as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) AS m FROM node_logs").fetchone()
    return int(row["m"]) if row else 0


def prune_logs(db: ConnectionSource, *, keep_rows: int, keep_days: float) -> int:
    """Retention: at most ``keep_rows`` rows per node (and for supervisor events), none older
    than ``keep_days``. Uses the (node_id, id) index: one short scan per node."""
    with db.connection() as conn:
        deleted = 0
        for name in ("prune_logs_by_age", "prune_logs_per_node", "prune_logs_supervisor"):
            cur = conn.execute(q(name), {"keep_rows": keep_rows, "keep_days": keep_days})
            deleted += max(cur.rowcount, 0)
    return deleted


def stderr_writer(db: ConnectionSource, **kw: Any) -> EventWriter:
    return EventWriter(db, mirror=sys.stderr, **kw)

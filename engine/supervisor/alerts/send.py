"""Sending alerts with apprise: the URLs (secrets), one message, and the sender thread.

``JOBFLEET_ALERT_URLS`` holds apprise URLs, whose paths and user parts carry tokens: they are
registered as secrets (masked in every log line of this process), shown only as ``labels``
(scheme and, for plain web hooks, host), and stored only as a SHA-256 key.

The ``Sender`` runs in a thread of its own with its own connection, so a slow or dead destination
never holds up the supervisor's loop. For each destination it locks the destination's row
(``FOR UPDATE SKIP LOCKED``: another host configured with the same URL skips it meanwhile),
gathers the notices that destination has not had, and sends them as one message — unless the
rate limit (messages per hour) or the digest schedule says to wait, in which case they go out
together later. A failed send is retried with a growing backoff.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg

from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable
from engine.fleet.events import EventWriter, add_secrets, redact
from engine.settings import Settings

log = logging.getLogger(__name__)

# Web hooks whose host names no secret: their label shows it (other services put tokens there).
_HOST_SHOWN = {
    "json", "jsons", "xml", "xmls", "form", "forms", "ntfy", "ntfys", "gotify", "gotifys",
    "mailto", "mailtos", "matrix", "matrixs", "apprise", "apprises",
}  # fmt: skip
# Parts of a URL at least this long are registered as secrets (tokens, topics, passwords).
_SECRET_PART = 6
# Messages list at most this many notices; the rest are counted.
MAX_LISTED = 15


@dataclass(frozen=True)
class Destination:
    url: str
    label: str
    key: str  # sha256 of the URL: the destination's identity in the database


def split_urls(value: str) -> list[str]:
    """The URLs of a ``JOBFLEET_ALERT_URLS`` value: separated by commas or white space (a comma
    inside a URL's query, as in ``mailto://…?to=a@x,b@y``, stays: apprise's own parser)."""
    from apprise.utils.parse import parse_urls

    return [u for u in parse_urls(value) if u]  # type: ignore[no-untyped-call]


def url_label(url: str) -> str:
    """A URL as it may be shown: the scheme, the host for plain web hooks, the rest hidden."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        return "(not a URL)"
    scheme = scheme.lower()
    if scheme in _HOST_SHOWN:
        with contextlib.suppress(ValueError):
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            return f"{scheme}://{host}{port}/…"
    return f"{scheme}://…"


def url_secrets(url: str) -> list[str]:
    """The parts of ``url`` that may be secret: the whole URL, its user part, every path
    segment and query value long enough to be a token or a topic."""
    found = [url]
    with contextlib.suppress(ValueError):
        parts = urlsplit(url)
        if "@" in parts.netloc:
            userinfo = parts.netloc.rpartition("@")[0]
            found += [userinfo, *userinfo.split(":")]
        if url.partition("://")[0].lower() not in _HOST_SHOWN:
            found += [parts.netloc, *parts.netloc.split(":")]
        found += re.split(r"[/#]", parts.path + "/" + parts.fragment)
        found += [v for pair in parts.query.split("&") for v in pair.split("=")[1:]]
    return [p for p in found if len(p) >= _SECRET_PART]


def destinations(settings: Settings) -> list[Destination]:
    """The configured destinations; their secrets are registered with the masker first."""
    if settings.alert_urls is None:
        return []
    urls = split_urls(settings.alert_urls.get_secret_value())
    for url in urls:
        add_secrets(*url_secrets(url))
    return [
        Destination(u, url_label(u), hashlib.sha256(u.encode("utf-8")).hexdigest()) for u in urls
    ]


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str = ""
    seconds: float = 0.0


def send_message(
    url: str, title: str, body: str, *, kind: str = "info", timeout: float = 10.0
) -> SendResult:
    """Send one message to one apprise URL; never raises. ``kind``: info, success, warning,
    failure (apprise's NotifyType). Errors are masked."""
    import apprise

    started = time.monotonic()
    try:
        asset = apprise.AppriseAsset(storage_mode="memory")
        ap = apprise.Apprise(asset=asset)
        if not ap.add(url):
            return SendResult(False, "apprise does not understand this URL (see its wiki)")
        result = ap.notify(body=body, title=title, notify_type=kind, timeout=timeout)
        seconds = time.monotonic() - started
        if result:
            return SendResult(True, "", seconds)
        messages = [
            str(getattr(entry, "message", entry))
            for entry in result.logs()
            if str(getattr(entry, "level", "")).upper() in ("WARNING", "ERROR", "CRITICAL")
        ]
        error = "; ".join(dict.fromkeys(messages)) or f"apprise reported {result.status}"
        return SendResult(False, redact(error)[:500], seconds)
    except Exception as exc:  # a plugin's failure must not reach the caller's loop
        return SendResult(
            False, redact(f"{exc.__class__.__name__}: {exc}")[:500], time.monotonic() - started
        )


# --- composing -------------------------------------------------------------------------------


def _line(notice: dict[str, Any]) -> str:
    title = str(notice["title"]).removeprefix("jobfleet: ")
    if notice["event"] == "resolved":
        return f"RESOLVED {title}: {notice['resolution'] or 'cleared'}"
    return title


def compose(notices: Sequence[dict[str, Any]], *, digest: str = "off") -> tuple[str, str, str]:
    """(title, body, apprise type) of one message carrying ``notices`` (oldest first)."""
    if len(notices) == 1 and digest == "off":
        n = notices[0]
        if n["event"] == "resolved":
            title = str(n["title"]).removeprefix("jobfleet: ")
            return (
                f"jobfleet: resolved — {title}",
                f"{n['resolution'] or 'cleared'}.\n(opened "
                f"{n['opened_at'].astimezone(UTC):%Y-%m-%d %H:%M} UTC; jobfleet alerts lists it)",
                "success",
            )
        return str(n["title"]), str(n["body"]), "failure" if n["level"] == "error" else "warning"
    opened = sum(1 for n in notices if n["event"] == "opened")
    resolved = len(notices) - opened
    head = {"off": "jobfleet", "hourly": "jobfleet hourly digest", "daily": "jobfleet daily digest"}
    title = f"{head.get(digest, 'jobfleet')}: {opened} alerts, {resolved} resolved"
    lines = [f"- {_line(n)}" for n in notices[:MAX_LISTED]]
    if len(notices) > MAX_LISTED:
        lines.append(f"- … and {len(notices) - MAX_LISTED} more")
    lines.append("Details and what to do: jobfleet alerts --since 2d")
    errors = any(n["event"] == "opened" and n["level"] == "error" for n in notices)
    kind = "failure" if errors else "warning" if opened else "success"
    return title, "\n".join(lines), kind


def digest_due(last: datetime, now: datetime, digest: str, hour: int) -> bool:
    """Whether a digest boundary (each hour; each day at ``hour`` UTC) passed since ``last``."""
    now = now.astimezone(UTC)
    if digest == "hourly":
        boundary = now.replace(minute=0, second=0, microsecond=0)
    else:
        boundary = now.replace(hour=hour, minute=0, second=0, microsecond=0)
        if boundary > now:
            boundary -= timedelta(days=1)
    return last < boundary


# --- the sender thread -----------------------------------------------------------------------


class Sender:
    """Delivers pending notices to this host's destinations, off the supervisor's loop."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        dests: list[Destination],
        events: EventWriter | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.dests = dests
        self.events = events
        self.sent = 0
        self.failed = 0
        self.registered = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: SharedConnection | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-sender", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                return  # a send still under way (its own timeout ends it); the process exits
        if self._conn is not None:
            self._conn.close()

    def _check_urls(self) -> None:
        """Say once which destinations alerts go to, and which URLs apprise cannot use."""
        import apprise

        usable = []
        for n, dest in enumerate(self.dests, 1):
            if apprise.Apprise().add(dest.url):
                usable.append(dest)
            elif self.events is not None:
                self.events.warning(
                    "alert_url_unusable",
                    f"alert URL #{n} ({dest.label}) is not an apprise URL; it is skipped "
                    f"(jobfleet alerts test checks them)",
                )
        self.dests = usable
        if self.events is not None:
            labels = ", ".join(d.label for d in usable) or "nowhere"
            self.events.info("alerts_enabled", f"alerts are sent to {labels}")

    def _run(self) -> None:
        with contextlib.suppress(Exception):
            self._check_urls()
        while not self._stop.is_set():
            try:
                self.send_pending()
            except DatabaseUnavailable:
                pass  # the monitor reports outages; the next round tries again
            except Exception:
                log.exception("alert sender failed")
            self._wake.wait(self.settings.alert_interval)
            self._wake.clear()

    def send_pending(self) -> int:
        """One round over the destinations; returns the messages sent."""
        if self._conn is None:
            self._conn = SharedConnection(self.db, retry_after=1.0)
        conn = self._conn
        sent = 0
        for dest in self.dests:
            if self._stop.is_set():
                break
            sent += self._send_to(conn, dest)
        return sent

    def register(self, conn: psycopg.Connection[Any]) -> None:
        """Record this host's destinations (before the first alerts: a destination is sent
        what was raised after it was recorded)."""
        for dest in self.dests:
            conn.execute(q("alert_destination_ensure"), {"key": dest.key, "label": dest.label})
        self.registered = True

    def _send_to(self, source: SharedConnection, dest: Destination) -> int:
        s = self.settings
        if not self.registered:
            with source.connection() as conn:
                self.register(conn)
        with source.connection() as conn:
            row = conn.execute(q("alert_destination_lock"), {"key": dest.key}).fetchone()
            if row is None or row["backing_off"]:
                return 0  # another host is sending to it, or it failed a moment ago
            pending = conn.execute(q("alert_pending"), {"key": dest.key}).fetchall()
            if not pending:
                return 0
            digest = s.alert_digest
            if digest != "off":
                last = row["last_digest_at"] or row["added_at"]
                if not digest_due(last, row["db_now"], digest, s.alert_digest_hour):
                    return 0
            new_window = bool(row["window_over"])
            if not new_window and row["window_sent"] >= s.alert_rate_per_hour:
                return 0  # rate limit: they wait for the next window, then go as one
            title, body, kind = compose(pending, digest=digest)
            # The row stays locked while the message goes out (at most the send timeout).
            result = send_message(dest.url, title, body, kind=kind, timeout=s.alert_send_timeout)
            if not result.ok:
                self.failed += 1
                conn.execute(
                    q("alert_destination_failed"),
                    {"key": dest.key, "error": result.error, "base_s": s.alert_interval},
                )
                if self.events is not None:
                    self.events.warning(
                        "alert_send_failed",
                        f"alert to {dest.label} failed: {result.error}",
                        destination=dest.label,
                        failures=int(row["failures"]) + 1,
                    )
                return 0
            conn.execute(
                q("alert_delivered"),
                {"key": dest.key, "notice_ids": [p["notice_id"] for p in pending]},
            )
            conn.execute(
                q("alert_destination_sent"),
                {"key": dest.key, "new_window": new_window, "digest": digest != "off"},
            )
        self.sent += 1
        return 1

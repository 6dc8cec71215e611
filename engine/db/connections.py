"""Long-lived connections for processes that must outlive a database outage.

``SharedConnection`` is one connection shared by several threads under a lock, reconnecting on
the next use after a failure. Workers use it instead of a pool: a hundred workers with a pool each
would exhaust ``max_connections`` (100 by default), and psycopg_pool's reconnect backoff can leave
a worker without a connection for many seconds after the server is back, which would look like a
hung worker. ``Listener`` is a LISTEN session on its own autocommit connection that reconnects
and tells its caller when it did, because notifications sent while it was away are gone (pair it
with polling, as procrastinate's worker does).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import psycopg
from psycopg import sql

from engine.db.handle import Database
from engine.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


def _close_quietly(conn: psycopg.Connection[Any] | None) -> None:
    """Close a connection that may already be broken: closing is all that is left to do."""
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


class ConnectionSource(Protocol):
    """Database or SharedConnection: ``connection()`` yields a connection inside a transaction."""

    def connection(self) -> contextlib.AbstractContextManager[psycopg.Connection[Any]]: ...


class SharedConnection:
    """One connection, one transaction at a time, reconnecting after failures.

    ``connection()`` has the same contract as ``Database.connection()`` (the block is one
    transaction) so code written for the pool runs on it unchanged.
    """

    def __init__(self, db: Database, *, retry_after: float = 0.5) -> None:
        self.db = db
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._lock = threading.RLock()
        self._retry_after = retry_after
        self._next_attempt = 0.0
        self.failures = 0
        self.reconnects = 0

    def _ensure(self) -> psycopg.Connection[dict[str, Any]]:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        self._discard()
        now = time.monotonic()
        if now < self._next_attempt:
            raise DatabaseUnavailable("the database is unavailable (waiting before reconnecting)")
        try:
            conn = self.db.connect(autocommit=False)
        except DatabaseUnavailable:
            self._next_attempt = time.monotonic() + self._retry_after
            raise
        if self.failures:
            self.reconnects += 1
        self._conn = conn
        return conn

    def _discard(self) -> None:
        _close_quietly(self._conn)
        self._conn = None

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with self._lock:
            conn = self._ensure()
            try:
                yield conn
            except psycopg.OperationalError as exc:
                self.failures += 1
                self._discard()
                raise DatabaseUnavailable(
                    f"the database stopped answering: {self.db.friendly(exc)}"
                ) from exc
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise
            else:
                try:
                    conn.commit()
                except psycopg.OperationalError as exc:
                    self.failures += 1
                    self._discard()
                    raise DatabaseUnavailable(
                        f"the database stopped answering: {self.db.friendly(exc)}"
                    ) from exc

    def close(self) -> None:
        with self._lock:
            self._discard()


class Listener:
    """LISTEN on some channels from a dedicated connection that reconnects.

    ``wait(timeout)`` returns the notifications that arrived (possibly none). After a
    (re)connection it returns ``[RECONNECTED]`` once so the caller re-reads the state it might
    have missed.
    """

    RECONNECTED = psycopg.Notify("", "reconnected", 0)

    def __init__(self, db: Database, channels: Iterable[str], *, retry_after: float = 1.0) -> None:
        self.db = db
        self.channels = list(channels)
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._retry_after = retry_after
        self._next_attempt = 0.0
        self.connects = 0
        self._closed = False

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def _connect(self) -> bool:
        if time.monotonic() < self._next_attempt:
            return False
        try:
            conn = self.db.connect(autocommit=True, purpose="listen")
            for channel in self.channels:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except (DatabaseUnavailable, psycopg.Error) as exc:
            log.debug("LISTEN connection failed: %s", exc.__class__.__name__)
            self._next_attempt = time.monotonic() + self._retry_after
            return False
        self._conn = conn
        self.connects += 1
        return True

    def _drop(self) -> None:
        _close_quietly(self._conn)
        self._conn = None

    def wait(self, timeout: float) -> list[psycopg.Notify]:
        """Block up to ``timeout`` seconds for notifications; never raises on a lost server."""
        if self._closed:
            time.sleep(timeout)
            return []
        if self._conn is None:
            if self._connect():
                return [self.RECONNECTED]
            time.sleep(min(timeout, max(0.0, self._next_attempt - time.monotonic())))
            return []
        conn = self._conn
        try:
            return list(conn.notifies(timeout=timeout, stop_after=1))
        except (psycopg.Error, OSError) as exc:
            log.debug("LISTEN connection lost: %s", exc.__class__.__name__)
            self._drop()
            self._next_attempt = time.monotonic() + min(self._retry_after, 0.2)
            return []

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """The listening connection, for short autocommit statements from another thread.

        A worker's heartbeat runs here rather than on the connection its store shares, so a store
        waiting for a lock cannot starve the heartbeat (the supervisor would take the worker for
        hung and kill it). psycopg serializes the statement with a ``wait()`` in progress (the
        connection's own lock, held at most ``timeout``) and keeps notifications that arrive
        during it for the next ``wait()``. Raises DatabaseUnavailable while not connected: the
        waiting thread alone connects and drops, so the connection has one owner.
        """
        conn = self._conn
        if conn is None or conn.closed:
            raise DatabaseUnavailable("the listening connection is not connected")
        try:
            yield conn
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise DatabaseUnavailable(
                f"the database stopped answering: {self.db.friendly(exc)}"
            ) from exc

    def backend_pid(self) -> int | None:
        return self._conn.info.backend_pid if self._conn is not None else None

    def close(self) -> None:
        self._closed = True
        self._drop()

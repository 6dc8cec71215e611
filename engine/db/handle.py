"""One process's handle on Postgres: the resolved URL, a lazy pool, dedicated connections.

With ``JOBFLEET_DATABASE_URL`` set, jobfleet uses that server; without it, the embedded one
(:mod:`engine.db.embedded`). The schema is brought up to date by :mod:`engine.db.migrations`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from engine.db.embedded import CONNECT_TIMEOUT_S, embedded_url
from engine.db.migrations import apply_migrations, migration_level
from engine.errors import DatabaseUnavailable, UserError
from engine.redact import mask_text, mask_url
from engine.settings import Settings


class Database:
    """One process's handle on the database: resolved URL, lazy pool, dedicated connections."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        secret = settings.database_url
        self.kind: Literal["embedded", "external"] = "external" if secret else "embedded"
        self._url: str | None = secret.get_secret_value() if secret else None
        self._pool: ConnectionPool[psycopg.Connection[dict[str, Any]]] | None = None
        self._pool_lock = threading.Lock()

    @property
    def url(self) -> str:
        """The real URL (with any password): pass it only to libpq and child environments."""
        if self._url is None:
            self._url = embedded_url(
                self.settings.pgdata, max_connections=self.settings.embedded_max_connections
            )
        return self._url

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    def _password(self) -> str | None:
        try:
            return psycopg.conninfo.conninfo_to_dict(self.url).get("password")  # type: ignore[return-value]
        except psycopg.ProgrammingError:
            return None

    def friendly(self, exc: BaseException) -> str:
        """One sentence about a connection failure, without any secret."""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        secrets = [s for s in (self._password(),) if s]
        return mask_text(first, secrets)

    def connect(
        self, *, autocommit: bool = True, purpose: str = ""
    ) -> psycopg.Connection[dict[str, Any]]:
        """A dedicated connection outside the pool (LISTEN, advisory locks, long sessions).

        ``purpose`` is appended to the application name pg_stat_activity shows
        (``jobfleet-<pid>-listen``), so an operator can tell a process's connections apart."""
        try:
            return psycopg.connect(
                self.url,
                autocommit=autocommit,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="-".join(filter(None, ["jobfleet", str(os.getpid()), purpose])),
            )
        except psycopg.ProgrammingError as exc:
            # libpq's message quotes the offending part, which may be the password: say less.
            raise UserError(
                "the database URL is malformed; expected postgresql://USER:PASSWORD@HOST:PORT/DB "
                "(percent-encode special characters)"
            ) from exc
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(
                f"cannot connect to the database at {self.masked_url}: {self.friendly(exc)}"
            ) from exc

    def check(self) -> None:
        """Fail fast with a clear UserError when the database cannot be reached."""
        self.connect().close()

    @property
    def pool(self) -> ConnectionPool[psycopg.Connection[dict[str, Any]]]:
        with self._pool_lock:  # threads sharing this handle must not open two pools
            if self._pool is None:
                self._pool = self._open_pool()
            return self._pool

    def _open_pool(self) -> ConnectionPool[psycopg.Connection[dict[str, Any]]]:
        self.check()
        return ConnectionPool(
            self.url,
            min_size=1,
            max_size=self.settings.pool_max_size,
            kwargs={
                "row_factory": dict_row,
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": f"jobfleet-{os.getpid()}",
            },
            check=ConnectionPool.check_connection,
            open=True,
            name="jobfleet",
        )

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A pooled connection; the block is one transaction (commit on success)."""
        with self.pool.connection() as conn:
            yield conn

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- migrations ---

    def migrate(self) -> list[int]:
        """Apply pending migrations in order; returns the versions applied by this call."""
        with self.connect(autocommit=False) as conn:
            return apply_migrations(conn)

    def migration_level(self) -> int | None:
        with self.connect() as conn:
            return migration_level(conn)


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Resolve the database, check it answers, and bring its schema up to date."""
    db = Database(settings)
    db.check()
    if migrate:
        db.migrate()
    return db

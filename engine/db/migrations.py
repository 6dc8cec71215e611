"""The schema: numbered ``sql/NNNN_name.sql`` files, applied in order, each once.

``schema_migrations`` records what was applied. A transaction-scoped advisory lock serialises
concurrent upgrades (the supervisor, a TUI and a CLI command may all start at once): the second
process waits, then finds nothing left to do.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg

from engine.protocol import LOCK_CLASS, MIGRATION_LOCK

log = logging.getLogger(__name__)

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


def apply_migrations(conn: psycopg.Connection[dict[str, Any]]) -> list[int]:
    """Apply pending migrations in order and commit; returns the versions applied by this call.

    ``conn`` must not be in autocommit mode: the lock, the migrations and their records are one
    transaction.
    """
    applied_now: list[int] = []
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


def migration_level(conn: psycopg.Connection[dict[str, Any]]) -> int | None:
    """The newest applied migration, or None on a database jobfleet never migrated."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
    if not exists or exists["t"] is None:
        return None
    row = conn.execute("SELECT max(version) AS v FROM schema_migrations").fetchone()
    return row["v"] if row else None

"""``jobfleet db dump`` / ``jobfleet db restore`` as a user runs them, on real servers."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from engine.db.backup import PgTool, libpq_env, pick_tool
from engine.db.embedded import remove_embedded
from engine.db.migrations import migrations
from engine.errors import UserError
from tests.cli import jobfleet
from tests.conftest import create_database, drop_database

SPEC = ("--search", "python", "--country", "DE", "--location", "Berlin")
TODAY = datetime.now(UTC).date().isoformat()


def _rows(url: str, table: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        query = sql.SQL("SELECT * FROM {} ORDER BY id").format(sql.Identifier(table))
        return conn.execute(query).fetchall()


def _env(base: dict[str, str], url: str | None) -> dict[str, str]:
    env = dict(base)
    if url is None:
        env.pop("JOBFLEET_DATABASE_URL", None)
    else:
        env["JOBFLEET_DATABASE_URL"] = url
    return env


def _populate(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Two deployed nodes and five postings in the database ``env`` points at."""
    for name in ("alpha", "beta"):
        done = jobfleet(env, "deploy", "--name", name, "--no-start", *SPEC, timeout=300)
        assert done.returncode == 0, done.stderr
    path = tmp_path / "jobs.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"in-{i}",
                    "site": "indeed",
                    "job_url": f"https://www.indeed.com/viewjob?jk=abc{i}",
                    "title": f"Python Engineer {i}",
                    "company": f"Company {i}",
                    "location": "Berlin, Germany",
                    "date_posted": TODAY,
                    "description": f"Posting {i}.",
                }
            )
            + "\n"
            for i in range(5)
        )
    )
    done = jobfleet(env, "jobs", "import", str(path))
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture
def fleet(jf_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """This test's database with two deployed nodes and five postings."""
    return _populate(jf_env, tmp_path)


def test_dump_then_restore_into_a_fresh_database(
    fleet: dict[str, str], db_url: str, empty_db_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "jobfleet.dump"
    dumped = jobfleet(fleet, "db", "dump", str(archive))
    assert dumped.returncode == 0, dumped.stderr
    assert "pg_dump" in dumped.stderr and "tables" in dumped.stderr
    assert "dumping public.jobs" in dumped.stderr  # progress
    assert archive.read_bytes().startswith(b"PGDMP")
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]

    restored = jobfleet(_env(fleet, empty_db_url), "db", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stderr and "pg_restore" in restored.stderr
    for table in ("nodes", "jobs"):
        assert _rows(empty_db_url, table) == _rows(db_url, table)
    assert len(_rows(empty_db_url, "nodes")) == 2
    assert len(_rows(empty_db_url, "jobs")) == 5
    status = jobfleet(_env(fleet, empty_db_url), "db", "status", "--json", check=True)
    assert json.loads(status.stdout)["migration_level"] == migrations()[-1].version


def test_a_target_with_data_needs_force(
    fleet: dict[str, str], db_url: str, pg_admin_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "a.dump"
    jobfleet(fleet, "db", "dump", "--quiet", str(archive), check=True)
    # Change the source, then restore the older archive over it.
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM nodes WHERE name = 'beta'")
    refused = jobfleet(fleet, "db", "restore", str(archive))
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr and "--force" in refused.stderr
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert len(_rows(db_url, "nodes")) == 1  # untouched

    forced = jobfleet(fleet, "db", "restore", "--force", "--quiet", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert sorted(r["name"] for r in _rows(db_url, "nodes")) == ["alpha", "beta"]


def test_a_migrated_but_empty_target_is_restored_without_force(
    fleet: dict[str, str], pg_admin_url: str, template_db: str, tmp_path: Path
) -> None:
    archive = tmp_path / "a.dump"
    jobfleet(fleet, "db", "dump", "--quiet", str(archive), check=True)
    target = create_database(pg_admin_url, "jf_t_backup_target", template=template_db)
    try:
        done = jobfleet(_env(fleet, target), "db", "restore", "--quiet", str(archive))
        assert done.returncode == 0, done.stderr
        assert len(_rows(target, "nodes")) == 2
    finally:
        drop_database(pg_admin_url, "jf_t_backup_target")


def test_errors_are_one_sentence(jf_env: dict[str, str], tmp_path: Path) -> None:
    not_an_archive = tmp_path / "notes.txt"
    not_an_archive.write_text("hello")
    cases = [
        ("db", "restore", str(not_an_archive)),
        ("db", "dump", str(tmp_path / "missing-dir" / "x.dump")),
    ]
    for args in cases:
        done = jobfleet(jf_env, *args)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().count("\n") == 0, done.stderr


def test_the_password_goes_to_the_environment_not_argv() -> None:
    os.environ["PGSERVICE"] = "somewhere-else"
    try:
        env = libpq_env("postgresql://u:s3cret@db.example:6543/fleet?sslmode=require")
    finally:
        del os.environ["PGSERVICE"]
    assert env["PGPASSWORD"] == "s3cret"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.example", "6543", "u")
    assert (env["PGDATABASE"], env["PGSSLMODE"]) == ("fleet", "require")
    assert "PGSERVICE" not in env  # an inherited PG* variable cannot redirect the tool


def test_the_tool_is_chosen_against_the_server_version() -> None:
    wheel = PgTool(Path("/w/pg_dump"), "18.6", 18, from_wheel=True)
    system = PgTool(Path("/usr/bin/pg_dump"), "15.2", 15, from_wheel=False)
    newer = PgTool(Path("/usr/lib/postgresql/19/bin/pg_dump"), "19.0", 19, from_wheel=False)
    assert pick_tool("pg_dump", 15, [system, wheel]) is wheel
    assert pick_tool("pg_dump", 18, [system, wheel]) is wheel
    assert pick_tool("pg_dump", 15, [system]) is system
    assert pick_tool("pg_dump", 19, [system, wheel, newer]) is newer
    with pytest.raises(UserError, match="no pg_dump of PostgreSQL 18 or newer"):
        pick_tool("pg_dump", 18, [system])


@pytest.fixture
def embedded_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "h"  # short: for a non-root user the socket lives in pgdata
    yield home
    remove_embedded(home / "pg")


@pytest.mark.slow
def test_dump_of_the_embedded_server_restores_elsewhere(
    jf_env: dict[str, str], empty_db_url: str, embedded_home: Path, tmp_path: Path
) -> None:
    """The embedded PostgreSQL 18 needs pg_dump 18; its archive loads into another server."""
    embedded_env = {**_env(jf_env, None), "JOBFLEET_HOME": str(embedded_home)}
    _populate(embedded_env, tmp_path)
    archive = tmp_path / "embedded.dump"
    dumped = jobfleet(embedded_env, "db", "dump", str(archive), timeout=300)
    assert dumped.returncode == 0, dumped.stderr
    assert "PostgreSQL 18" in dumped.stderr and "pg_dump 18" in dumped.stderr
    jobfleet(_env(jf_env, empty_db_url), "db", "restore", "--quiet", str(archive), check=True)
    url = jobfleet(embedded_env, "db", "url", check=True).stdout.strip()
    for table in ("nodes", "jobs"):
        assert _rows(empty_db_url, table) == _rows(url, table)
    assert len(_rows(empty_db_url, "nodes")) == 2
    # Back into the embedded server itself: PostgreSQL 18, so one transaction with --clean.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM nodes WHERE name = 'beta'")
    jobfleet(embedded_env, "db", "restore", "--force", "--quiet", str(archive), check=True)
    assert _rows(url, "nodes") == _rows(empty_db_url, "nodes")

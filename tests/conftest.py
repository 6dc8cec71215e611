"""Shared fixtures: a real PostgreSQL for every test that needs one.

``JOBFLEET_TEST_DATABASE_URL`` selects an existing server (an admin URL that may create
databases); unset, the session starts a throwaway embedded server. Either way each test gets its
own database, copied from a template that was migrated once (procrastinate/pgqueuer style), so
tests never see each other's rows and a copy costs a few milliseconds instead of a migration.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from engine.db.embedded import embedded_url, remove_embedded
from engine.db.handle import Database
from engine.settings import Settings

TEST_URL_ENV = "JOBFLEET_TEST_DATABASE_URL"


def _with_dbname(url: str, dbname: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL on the server the suite runs against."""
    external = os.environ.get(TEST_URL_ENV)
    if external:
        yield external
        return
    # Short path: the unix socket lives in pgdata and socket paths are limited to ~100 bytes.
    root = Path(tempfile.mkdtemp(prefix="jf-pg-"))
    pgdata = root / "pg"
    url = embedded_url(pgdata)
    try:
        yield _with_dbname(url, "postgres")
    finally:
        with contextlib.suppress(Exception):
            remove_embedded(pgdata)  # as root the cluster lives under /var/lib/jobfleet
        shutil.rmtree(root, ignore_errors=True)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with _admin(admin_url) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(query)
    return _with_dbname(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    name = f"jf_tpl_{uuid.uuid4().hex[:10]}"
    url = create_database(pg_admin_url, name)
    with Database(Settings(database_url=url, home=Path(tempfile.gettempdir()))) as db:
        db.migrate()
    try:
        yield name
    finally:
        drop_database(pg_admin_url, name)


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> Iterator[str]:
    """A brand-new database with no schema at all."""
    name = f"jf_t_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_admin_url, name)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, name)


@pytest.fixture
def db_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """A migrated database of this test's own."""
    name = f"jf_t_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_admin_url, name, template=template_db)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, name)


@pytest.fixture
def jf_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def settings(db_url: str, jf_home: Path) -> Settings:
    return Settings(database_url=db_url, home=jf_home)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    with Database(settings) as database:
        yield database


@pytest.fixture
def jf_env(db_url: str, jf_home: Path) -> dict[str, str]:
    """Environment for jobfleet subprocesses (CLI, workers) pointed at this test's database."""
    env = dict(os.environ)
    env["JOBFLEET_DATABASE_URL"] = db_url
    env["JOBFLEET_HOME"] = str(jf_home)
    env["PYTHONUNBUFFERED"] = "1"
    return env

"""The database foundation against a real server: migrations, embedded server, CLI errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from engine.db.embedded import remove_embedded
from engine.db.handle import Database
from engine.db.migrations import migrations
from engine.settings import Settings
from tests.cli import jobfleet


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return jobfleet(env, *args)


def test_migrations_from_empty_then_rerun(empty_db_url: str, tmp_path: Path) -> None:
    with Database(Settings(database_url=empty_db_url, home=tmp_path)) as db:
        assert db.migration_level() is None
        applied = db.migrate()
        assert applied == [m.version for m in migrations()]
        assert db.migration_level() == migrations()[-1].version
        assert db.migrate() == []  # nothing twice
        with db.connection() as conn:
            tables = {
                r["tablename"]
                for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            }
    assert {"hosts", "nodes", "node_logs", "scrape_runs", "jobs", "schema_migrations"} <= tables


def test_two_concurrent_upgrades_apply_each_migration_once(
    empty_db_url: str, tmp_path: Path
) -> None:
    results: list[list[int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def upgrade() -> None:
        try:
            with Database(Settings(database_url=empty_db_url, home=tmp_path)) as db:
                barrier.wait(timeout=30)
                results.append(db.migrate())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(results, key=len) == [[], [m.version for m in migrations()]]
    with psycopg.connect(empty_db_url) as conn:
        rows = conn.execute("SELECT version, count(*) FROM schema_migrations GROUP BY 1").fetchall()
    assert all(count == 1 for _, count in rows)


def test_cli_bad_url_is_one_sentence_without_password(tmp_path: Path) -> None:
    env = {**os.environ, "JOBFLEET_HOME": str(tmp_path)}
    env.pop("JOBFLEET_DATABASE_URL", None)
    proc = run_cli(
        "db", "status", "--database-url", "postgresql://nobody:pw-s3cret@127.0.0.1:1/x", env=env
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "pw-s3cret" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "cannot connect" in proc.stderr


def test_cli_malformed_url_and_bad_flag(tmp_path: Path) -> None:
    env = {**os.environ, "JOBFLEET_HOME": str(tmp_path)}
    proc = run_cli("db", "status", "--database-url", "postgresql://a:sec ret@@", env=env)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "sec ret" not in proc.stderr
    proc = run_cli("db", "status", "--no-such-flag", env=env)
    assert proc.returncode == 2
    assert "No such option" in proc.stderr


def test_cli_debug_shows_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "JOBFLEET_HOME": str(tmp_path)}
    proc = run_cli(
        "--debug", "db", "status", "--database-url", "postgresql://x:y@127.0.0.1:1/x", env=env
    )
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr


def test_cli_status_json_and_url(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "JOBFLEET_HOME": str(tmp_path), "JOBFLEET_DATABASE_URL": db_url}
    proc = run_cli("db", "status", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["server"] == "external"
    assert report["migration_level"] == migrations()[-1].version
    assert report["row_counts"]["jobs"] == 0
    url = run_cli("db", "url", env=env).stdout.strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.slow
def test_embedded_server_starts_and_is_reused_by_a_second_process(tmp_path: Path) -> None:
    home = tmp_path / "h"  # short: the socket lives in pgdata
    env = {**os.environ, "JOBFLEET_HOME": str(home)}
    env.pop("JOBFLEET_DATABASE_URL", None)
    try:
        first = run_cli("db", "status", "--json", env=env)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["server"] == "embedded"
        pid_file = home / "pg" / "postmaster.pid"
        server_pid = pid_file.read_text().split()[0]
        # The CLI exited; the server must still run for the others, and be reused.
        second = run_cli("db", "upgrade", env=env)
        assert second.returncode == 0, second.stderr
        assert pid_file.read_text().split()[0] == server_pid
        url = run_cli("db", "url", env=env).stdout.strip()
        assert "host=" in url and "@/" in url
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
        mode = (home / "pg").stat().st_mode & 0o777
        assert mode == 0o700
    finally:
        jobfleet(env, "db", "stop")
        remove_embedded(home / "pg")  # as root the cluster lives under /var/lib/jobfleet


def test_engine_never_imports_textual() -> None:
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    if m.name.endswith('__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(bad[:3]); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr

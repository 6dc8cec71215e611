"""Pilot tests: the header says who supervises and when the database is away; the hosts screen.

A live supervisor is played by the test: it holds the host's advisory lock on a connection of
its own and renews the host's lease, as engine/supervisor does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from textual.widgets import DataTable

from engine.db.handle import Database
from engine.protocol import HOST_LOCK_BASE, LOCK_CLASS
from engine.settings import Settings
from tests.e2e.lifecycle_helpers import PgProxy
from tests.tui.helpers import make_app, wait_for
from tui.app import JobfleetApp, retry_delay
from tui.data import FleetData
from tui.screens.hosts import HostsScreen
from tui.widgets.fleet_header import header_text

OUTAGE_WAIT_S = 60.0  # a poll may wait FleetData.CONNECTION_WAIT_S for a connection


def _header(app: JobfleetApp) -> str:
    return header_text(app.header_info).plain


def _errors(app: JobfleetApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def _wait_long(pilot: Any, condition: Any, what: str) -> None:
    deadline = time.monotonic() + OUTAGE_WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await pilot.pause(0.1)


@contextlib.contextmanager
def live_supervisor(db_url: str, hostname: str, pid: int = 4242) -> Iterator[None]:
    """Hold ``hostname``'s lock and a fresh lease, like a running supervisor."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO hosts (hostname) VALUES (%s) ON CONFLICT DO NOTHING", (hostname,))
        row = conn.execute("SELECT id FROM hosts WHERE hostname = %s", (hostname,)).fetchone()
        assert row is not None
        conn.execute(
            "SELECT pg_advisory_lock(%s::int, %s::int)", (LOCK_CLASS, HOST_LOCK_BASE + row[0])
        )
        conn.execute(
            "UPDATE hosts SET pid = %s, heartbeat_at = now(), started_at = now(), cpus = 2, "
            "version = 'test' WHERE id = %s",
            (pid, row[0]),
        )
        yield


@pytest.fixture
def fast_supervisor_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FleetData, "SUPERVISORS_EVERY_S", 0.0)


def test_retry_delays_double_up_to_thirty_seconds() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_header_says_no_supervisor_then_who(
    settings: Settings, db: Database, db_url: str, fast_supervisor_reads: None
) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: "no supervisor" in _header(app), "no supervisor")
            with live_supervisor(db_url, "elsewhere"):
                await wait_for(
                    pilot, lambda: "supervisor on elsewhere" in _header(app), "other host's"
                )
            with live_supervisor(db_url, settings.host_name, pid=777):
                await wait_for(
                    pilot,
                    lambda: f"attached to {settings.host_name} pid 777" in _header(app),
                    "this host's supervisor",
                )
            await wait_for(pilot, lambda: "no supervisor" in _header(app), "gone again")

    asyncio.run(run())


def test_hosts_screen_lists_hosts_and_liveness(
    settings: Settings, db: Database, db_url: str
) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO hosts (hostname) VALUES ('dead-host')")

    async def run() -> None:
        app = make_app(settings, db)
        with live_supervisor(db_url, "live-host", pid=9191):
            async with app.run_test(size=(120, 30)) as pilot:
                await wait_for(pilot, lambda: app.polls > 0, "first poll")
                await pilot.press("h")
                screen = await wait_for(
                    pilot,
                    lambda: isinstance(app.screen, HostsScreen) and app.screen.reads and app.screen,
                    "hosts screen read",
                )
                by_name = {h["name"]: h for h in screen.hosts}
                assert by_name["live-host"]["alive"] is True
                assert by_name["live-host"]["supervisor_pid"] == 9191
                assert by_name["dead-host"]["alive"] is False
                table = screen.query_one(DataTable)
                assert table.row_count == 2
                live_row = [str(c) for c in table.get_row("live-host")]
                assert live_row[1] == "alive" and live_row[2] == "9191"
                assert [str(c) for c in table.get_row("dead-host")][1] == "none"
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is app.dashboard, "back on dashboard")

    asyncio.run(run())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_database_at_start_retries_with_one_toast(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/none"
    settings = Settings(database_url=url, home=tmp_path)

    async def run() -> None:
        app = JobfleetApp(settings, supervise=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(
                pilot, lambda: "database unreachable — retrying in" in _header(app), "countdown"
            )
            await wait_for(pilot, lambda: app.db_failures >= 3, "three attempts (1 s, 2 s)")
            assert len(_errors(app)) == 1, _errors(app)
            assert "Cannot start" in _errors(app)[0]
        app.close_resources()

    asyncio.run(run())


def test_database_that_goes_away_and_comes_back(settings: Settings, db_url: str) -> None:
    proxy = PgProxy(db_url)
    try:
        proxied = Settings(database_url=proxy.url, home=settings.home)
        with Database(proxied) as db:

            async def run() -> None:
                app = make_app(proxied, db)
                async with app.run_test(size=(120, 30)) as pilot:
                    await wait_for(pilot, lambda: app.polls > 0, "first poll")
                    proxy.cut()
                    await _wait_long(
                        pilot,
                        lambda: "database unreachable" in _header(app),
                        "the header tells of the outage",
                    )
                    await _wait_long(pilot, lambda: app.db_failures >= 2, "a second attempt")
                    assert len(_errors(app)) == 1, _errors(app)
                    polls = app.polls
                    proxy.restore()
                    await _wait_long(
                        pilot,
                        lambda: app.polls > polls and "unreachable" not in _header(app),
                        "polling resumed",
                    )
                    assert app.db_failures == 0
                    # No second toast for the same outage (the first may have timed out by now).
                    assert len(_errors(app)) <= 1

            asyncio.run(run())
    finally:
        proxy.close()

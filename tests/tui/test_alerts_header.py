"""Pilot test: the fleet header counts the open alerts and names the newest; nothing shows while
none is open (so the dashboard's snapshots are unchanged)."""

from __future__ import annotations

import asyncio

from engine.db.handle import Database
from engine.settings import Settings
from tests.tui.helpers import make_app, wait_for
from tui.widgets.fleet_header import header_text


def _open(db: Database, subject: str, title: str) -> None:
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO alerts (kind, subject, reported_by, level, title, body) "
            "VALUES ('node_fatal', %s, 'h', 'error', %s, 'b')",
            (subject, title),
        )


def test_header_shows_open_alerts(settings: Settings, db: Database) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(160, 30)) as pilot:
            await wait_for(pilot, lambda: app.polls >= 1, "first poll")
            assert "alert" not in header_text(app.header_info).plain
            _open(db, "node:1", "jobfleet: node a on host h is FATAL")
            _open(db, "node:2", "jobfleet: node [b] on host h is FATAL")
            await wait_for(
                pilot,
                lambda: (
                    "2 alerts: node [b] on host h is FATAL" in header_text(app.header_info).plain
                ),
                "alerts in the header",
            )
            with db.connection() as conn:
                conn.execute("UPDATE alerts SET resolved_at = now()")
            await wait_for(
                pilot, lambda: "alert" not in header_text(app.header_info).plain, "cleared"
            )

    asyncio.run(run())

"""Pilot tests of the node screen (Enter on a card): history read through engine.jobs.history,
24 h / 7 d toggle, logs from there, Escape back; and a young node's card sparkline."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from tests.tui.helpers import make_app, wait_for
from tests.tui.test_snapshots import NOW
from tui.screens.dashboard import DashboardScreen
from tui.screens.logs import LogsScreen
from tui.screens.node_detail import NodeDetailScreen
from tui.text import sparkline
from tui.widgets.card_grid import CardGrid


def _deploy(db: Any, name: str) -> int:
    spec = parse_spec(
        {
            "name": name,
            "search_term": "python",
            "country": "DE",
            "locations": ["Berlin"],
            "sites": ["indeed", "linkedin"],
            "proxies": ["http://user:${PROXY_PASS}@proxy.test:8080"],
        }
    )
    return nodes.deploy(db, spec)


def _scrape(db: Any, node_id: int, ago: timedelta, new: int, outcome: str = "ok") -> None:
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO scrape_runs (node_id, site, location, started_at, finished_at, found,"
            " new, outcome, error) VALUES (%s, 'indeed', 'Berlin', %s, %s, %s, %s, %s, %s)",
            (
                node_id,
                NOW - ago,
                NOW - ago + timedelta(seconds=12),
                new,
                new,
                outcome,
                None if outcome == "ok" else "[b]HTTP 429[/b]",
            ),
        )


def test_enter_opens_the_node_screen_with_its_history(settings: Any, db: Any) -> None:
    node_id = _deploy(db, "charted")
    _scrape(db, node_id, timedelta(minutes=30), 5)
    _scrape(db, node_id, timedelta(hours=3), 2)
    _scrape(db, node_id, timedelta(hours=50), 7)  # only in the week
    _scrape(db, node_id, timedelta(minutes=10), 0, outcome="blocked")

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(140, 50)) as pilot:
            grid = app.dashboard.query_one(CardGrid)
            await wait_for(pilot, lambda: node_id in grid.nodes, "card")
            grid.select(node_id)
            await pilot.press("enter")
            screen = await wait_for(
                pilot, lambda: isinstance(app.screen, NodeDetailScreen) and app.screen, "screen"
            )
            await wait_for(pilot, lambda: screen.loads >= 1, "history")
            history = screen.history
            assert history.window.label == "24h"
            assert history.total_new == 7 and history.total_scrapes == 3
            assert history.outcomes == {"indeed": {"ok": 2, "blocked": 1}}
            assert screen.query_one("#node-runs", DataTable).row_count == 4
            errors = str(screen.query_one("#node-errors", Static).render())
            assert "[b]HTTP 429[/b]" in errors  # literal, not markup
            spec = str(screen.query_one("#node-spec", Static).render())
            assert "PROXY_PASS" not in spec and "proxy.test" not in spec
            assert len(screen.query(PlotextPlot)) == 4

            await pilot.press("t")
            await wait_for(pilot, lambda: screen.history.window.label == "7d", "week")
            assert screen.history.total_new == 14 and screen.history.buckets == 28
            title = str(screen.query_one("#node-title", Static).render())
            assert "last 7 days" in title and "4 scrapes, 14 new" in title

            await pilot.press("l")
            logs = await wait_for(
                pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen, "logs"
            )
            assert logs.node_id == node_id
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "back to the node")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")

    asyncio.run(run())


def test_a_young_node_sparkline_has_a_bar_per_minute(settings: Any, db: Any) -> None:
    node_id = _deploy(db, "young")
    for minute in range(6):
        _scrape(db, node_id, timedelta(minutes=minute, seconds=20), 6 - minute)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(120, 30)) as pilot:
            grid = app.dashboard.query_one(CardGrid)
            await wait_for(pilot, lambda: grid.sparks.get(node_id), "sparkline")
            spark = grid.sparks[node_id]
            assert spark[-6:] == [1, 2, 3, 4, 5, 6] and sum(spark) == 21
            # Six bars of their own after the empty minutes, not one hourly bar.
            assert f"▁{sparkline([1, 2, 3, 4, 5, 6], 6)}" in str(grid.card_text(node_id))

    asyncio.run(run())

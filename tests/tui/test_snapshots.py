"""Snapshots of the main screens at 80×24 and 160×50.

Deterministic by construction: fixed rows (timestamps included), a fixed clock for ages and
uptimes, no embedded supervisor, a fixed host name and database label, and log times shown in
UTC. Regenerate with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after a deliberate
change, and look at the SVGs before committing them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from engine.db.handle import Database
from engine.settings import Settings
from tests.tui.helpers import make_app, wait_for
from tui.screens.deploy import DeployScreen
from tui.screens.jobs import JobsScreen
from tui.screens.logs import LogsScreen
from tui.widgets.card_grid import CardGrid
from tui.widgets.log_view import LogView

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
SIZES = [(80, 24), (160, 50)]

NODES = [
    # name, status, desired, pid, found, new, done, total, current, rss MiB, restarts, error
    ("berlin-python", "running", "running", 4101, 1234, 87, 3, 10, "Berlin", 182, 0, None),
    ("paris-data", "starting", "running", 4102, 0, 0, 0, 8, None, 40, 0, None),
    (
        "madrid-devops",
        "backoff",
        "running",
        None,
        310,
        12,
        5,
        10,
        None,
        None,
        3,
        "search child timed out after 180 s",
    ),
    ("rome-java", "stopped", "stopped", None, 77, 5, 10, 10, None, None, 0, None),
    (
        "hostile-node",
        "fatal",
        "running",
        None,
        0,
        0,
        0,
        4,
        None,
        None,
        5,
        "[bold red]pwn[/] \x1b[31mred\x1b[0m [link=http://x]click[/link]",
    ),
    ("vienna-sre", "stopping", "stopped", 4106, 45, 2, 7, 10, "Graz", 120, 1, None),
]
SPECS = {
    "berlin-python": ("python developer", "DE", ["linkedin", "indeed"]),
    "paris-data": ("data engineer", "FR", ["indeed"]),
    "madrid-devops": ("devops", "ES", ["linkedin"]),
    "rome-java": ("java", "IT", ["linkedin", "indeed"]),
    "hostile-node": ("[i]markup[/i] term", "US", ["indeed"]),
    "vienna-sre": ("site reliability", "AT", ["linkedin"]),
}


def _seed(db: Database) -> None:
    with db.connection() as conn:
        for n, (
            name,
            status,
            desired,
            pid,
            found,
            new,
            done,
            total,
            cur,
            rss,
            restarts,
            err,
        ) in enumerate(NODES):
            term, country, sites = SPECS[name]
            spec = {
                "name": name,
                "search_term": term,
                "country": country,
                "locations": ["A", "B"],
                "sites": sites,
            }
            alive = pid is not None
            conn.execute(
                """
                INSERT INTO nodes (name, spec, desired, status, pid, heartbeat_at, started_at,
                    restarts, last_error, jobs_found, jobs_new, locations_done, locations_total,
                    current_location, rss_bytes, cycle)
                VALUES (%s, %s, %s, %s::node_status, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)
                """,
                (
                    name,
                    json.dumps(spec),
                    desired,
                    status,
                    pid,
                    NOW - timedelta(seconds=2 + n) if alive else None,
                    NOW - timedelta(hours=1, minutes=n * 7) if alive else None,
                    restarts,
                    err,
                    found,
                    new,
                    done,
                    total,
                    cur,
                    rss * 1024 * 1024 if rss else None,
                ),
            )
        levels = ["info", "debug", "warning", "error", "info", "info"]
        for i in range(30):
            conn.execute(
                "INSERT INTO node_logs (node_id, ts, level, event, message, fields)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    1,
                    NOW - timedelta(minutes=30 - i),
                    levels[i % len(levels)],
                    "search_done" if i % 3 else "search_started",
                    f"search {i}: [b]not bold[/b] \x1b[31mno colour" if i == 9 else f"search {i}",
                    json.dumps({"site": "indeed", "found": i}),
                ),
            )
        for i in range(12):
            conn.execute(
                "INSERT INTO jobs (job_url, site, title, company, city, country, is_remote,"
                " date_posted, first_seen_at, description)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    f"https://example.test/job/{i}",
                    "indeed" if i % 2 else "linkedin",
                    "[b]Lead[/b] engineer \x1b[2J" if i == 0 else f"Python developer {i}",
                    f"Company {i}",
                    "Berlin",
                    "DE",
                    i % 4 == 0,
                    (NOW - timedelta(days=i)).date(),
                    NOW - timedelta(days=i),
                    "Write Python.",
                ),
            )


@pytest.fixture
def snapshot_app(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    _seed(db)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(
        Database, "masked_url", property(lambda self: "postgresql://jobfleet:***@db:5432/jobfleet")
    )
    fixed = settings.model_copy(update={"host_name": "snapshot-host"})
    app = make_app(fixed, db, clock=lambda: NOW, poll_interval=3600)
    yield app
    monkeypatch.delenv("TZ")
    time.tzset()


async def _dashboard_ready(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await wait_for(pilot, lambda: app.polls > 0, "first poll")
    grid = app.dashboard.query_one(CardGrid)
    await wait_for(pilot, lambda: len(grid.nodes) == 6, "cards")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard(snap_compare: Any, snapshot_app: Any, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app, terminal_size=size, run_before=_dashboard_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_filtered_by_status(
    snap_compare: Any, snapshot_app: Any, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard_ready(pilot)
        from textual.widgets import Select

        pilot.app.screen.query_one("#filter-status", Select).value = "running"
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_deploy_form(snap_compare: Any, snapshot_app: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard_ready(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DeployScreen), "form")
        # The name field takes the focus on mount; its highlighted border is in the picture.
        await wait_for(pilot, lambda: getattr(pilot.app.focused, "id", None) == "f-name", "focus")
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_logs(snap_compare: Any, snapshot_app: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard_ready(pilot)
        await pilot.press("l")  # the first card (berlin-python, node 1) is selected
        screen = await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, LogsScreen) and pilot.app.screen, "logs"
        )
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: len(view.shown_lines) == 30, "history")
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_jobs(snap_compare: Any, snapshot_app: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        from textual.widgets import DataTable

        await _dashboard_ready(pilot)
        await pilot.press("j")
        screen = await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, JobsScreen) and pilot.app.screen, "jobs"
        )
        await wait_for(pilot, lambda: screen.query_one(DataTable).row_count == 12, "rows")
        await wait_for(pilot, lambda: screen.total == 12, "count")
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


def seed_history(db: Database, node_id: int = 1) -> None:
    """30 hours of scrapes of one node (two sites, some failures) and its memory every five
    minutes, at fixed times before NOW."""
    outcomes = ["ok", "ok", "ok", "blocked", "ok", "timeout", "ok", "ok", "error"]
    errors = {
        "blocked": "HTTP 429 Too Many Requests",
        "timeout": "search child timed out after 180 s",
        "error": "[bold red]pwn[/] \x1b[31mboom",
    }
    with db.connection() as conn:
        for i in range(90):  # a scrape every 20 minutes
            started = NOW - timedelta(minutes=20 * i + 7)
            outcome = outcomes[i % len(outcomes)]
            found = 0 if outcome != "ok" else 10 + (i * 7) % 15
            conn.execute(
                "INSERT INTO scrape_runs (node_id, site, location, started_at, finished_at,"
                " found, new, outcome, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    node_id,
                    "linkedin" if i % 2 else "indeed",
                    ["Berlin", "Hamburg", "München"][i % 3],
                    started,
                    started + timedelta(seconds=20 + (i * 13) % 50),
                    found,
                    found // (1 + i % 4),
                    outcome,
                    errors.get(outcome),
                ),
            )
        for i in range(24 * 12):
            conn.execute(
                "INSERT INTO node_rss_samples (node_id, sampled_at, rss_bytes) VALUES (%s, %s, %s)",
                (node_id, NOW - timedelta(minutes=5 * i + 1), (150 + (288 - i) // 8 + i % 5) << 20),
            )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("window", ["24h", "7d"])
def test_node_detail(
    snap_compare: Any, snapshot_app: Any, db: Database, size: tuple[int, int], window: str
) -> None:
    from tui.screens.node_detail import NodeDetailScreen

    seed_history(db)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard_ready(pilot)
        await pilot.press("enter")  # the first card (berlin-python, node 1) is selected
        screen = await wait_for(
            pilot,
            lambda: isinstance(pilot.app.screen, NodeDetailScreen) and pilot.app.screen,
            "node screen",
        )
        await wait_for(pilot, lambda: screen.loads == 1, "history")
        if window == "7d":
            await pilot.press("t")
            await wait_for(pilot, lambda: screen.loads == 2, "week")
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


def test_dashboard_young_node_sparkline(snap_compare: Any, snapshot_app: Any, db: Database) -> None:
    """paris-data has scraped for eight minutes: its sparkline has a bar per minute."""
    with db.connection() as conn:
        for minute in range(8):
            started = NOW - timedelta(minutes=minute, seconds=30)
            conn.execute(
                "INSERT INTO scrape_runs (node_id, site, started_at, finished_at, found, new,"
                " outcome) VALUES (2, 'indeed', %s, %s, 10, %s, 'ok')",
                (started, started + timedelta(seconds=20), (minute * 5) % 9),
            )
    assert snap_compare(snapshot_app, terminal_size=(80, 24), run_before=_dashboard_ready)


@pytest.mark.parametrize("size", [(120, 40), (160, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_jobs_with_chart(snap_compare: Any, snapshot_app: Any, size: tuple[int, int]) -> None:
    """The jobs browser with its chart panel (g): new postings per day by site and country."""

    async def run_before(pilot: Pilot[Any]) -> None:
        from textual.widgets import DataTable

        await _dashboard_ready(pilot)
        await pilot.press("j")
        screen = await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, JobsScreen) and pilot.app.screen, "jobs"
        )
        await wait_for(pilot, lambda: screen.query_one(DataTable).row_count == 12, "rows")
        await wait_for(pilot, lambda: screen.total == 12, "count")
        await pilot.press("g")
        await wait_for(pilot, lambda: screen.stats is not None, "chart")
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)


# Two nodes resting outside their active hours (NOW is Sunday 12:00 UTC).
SCHEDULED = [
    # name, window fields, next start
    ("tokyo-night", {"active": "22:00-06:00", "timezone": "Asia/Tokyo"}, NOW + timedelta(hours=1)),
    (
        "office-hours",
        {"schedule": "* 8-17 * * 1-5", "timezone": "Europe/Berlin"},
        datetime(2025, 6, 2, 6, 0, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scheduled_and_marked_cards(
    snap_compare: Any, snapshot_app: Any, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        from textual.widgets import Select

        await _dashboard_ready(pilot)
        app: Any = pilot.app
        with app.db.connection() as conn:
            for name, window, opens in SCHEDULED:
                spec = {"name": name, "search_term": "rust", "country": "JP", **window}
                conn.execute(
                    "INSERT INTO nodes (name, spec, desired, status, next_start_at, jobs_found,"
                    " jobs_new, locations_done, locations_total, cycle)"
                    " VALUES (%s, %s, 'running', 'scheduled', %s, 40, 4, 2, 2, 3)",
                    (name, json.dumps(spec), opens),
                )
        grid = app.dashboard.query_one(CardGrid)
        app.request_refresh()
        await wait_for(pilot, lambda: len(grid.nodes) == 8, "scheduled cards")
        app.screen.query_one("#filter-status", Select).value = "scheduled"
        await wait_for(pilot, lambda: len(grid.visible_ids) == 2, "filtered")
        office = next(i for i, n in grid.nodes.items() if n["name"] == "office-hours")
        grid.set_marked([office], True)
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=size, run_before=run_before)

"""Pilot tests of the jobs browser's columns, count, sorting, filters, chart, export dialog and
`o` (open URL) over SSH, against real Postgres."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, Static

from tests.tui.helpers import make_app, wait_for
from tui.screens.export_dialog import ExportDialog
from tui.screens.jobs import JobsScreen, salary_short

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)

JOBS = [
    # title, company, site, remote, type, min, max, currency, interval, days ago
    ("Backend engineer", "Acme", "indeed", True, "fulltime", 90000, 120000, "USD", "yearly", 0),
    ("Data analyst", "Globex", "linkedin", False, "parttime", 40, 55, "USD", "hourly", 1),
    ("Cook", "Initech", "indeed", None, None, None, None, None, None, 2),
    ("Architect", "Umbrella", "linkedin", False, "contract", 5000, 6000, "EUR", "monthly", 3),
]


def _seed(db: Any) -> None:
    with db.connection() as conn:
        for i, (title, company, site, remote, kind, low, high, cur, interval, ago) in enumerate(
            JOBS
        ):
            seen = NOW - timedelta(days=ago, hours=1)
            conn.execute(
                "INSERT INTO jobs (job_url, site, title, company, country, is_remote, job_type,"
                " salary_min, salary_max, salary_currency, salary_interval, date_posted,"
                " first_seen_at) VALUES (%s, %s, %s, %s, 'US', %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    f"https://example.test/jobs/{i}",
                    site,
                    title,
                    company,
                    remote,
                    kind,
                    low,
                    high,
                    cur,
                    interval,
                    seen.date(),
                    seen,
                ),
            )


def _titles(table: DataTable[Any]) -> list[str]:
    return [table.get_row_at(i)[0].plain for i in range(table.row_count)]


async def _open(app: Any, pilot: Any) -> JobsScreen:
    await wait_for(pilot, lambda: app.db is not None and app.polls > 0, "connected")
    await pilot.press("j")
    screen: JobsScreen = await wait_for(
        pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen, "jobs screen"
    )
    table = screen.query_one(DataTable)
    await wait_for(pilot, lambda: table.row_count == 4 and screen.total == 4, "rows and count")
    return screen


def test_salary_cells_are_short() -> None:
    assert (
        salary_short(
            {
                "salary_min": 90000,
                "salary_max": 120000,
                "salary_currency": "USD",
                "salary_interval": "yearly",
            }
        )
        == "90k–120k USD/yr"
    )
    assert salary_short({"salary_min": 40.0, "salary_interval": "hourly"}) == "40/h"
    assert salary_short({"salary_max": 2_500_000, "salary_currency": "JPY"}) == "2.5M JPY"
    assert salary_short({}) == "—"


def test_columns_count_sort_filters_and_clear(settings: Any, db: Any) -> None:
    _seed(db)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await _open(app, pilot)
            table = screen.query_one(DataTable)
            assert [str(c.label).split()[0] for c in table.columns.values()] == [
                "Title",
                "Company",
                "Location",
                "Remote",
                "Type",
                "Salary",
                "Posted",
                "Site",
            ]
            first = [cell.plain for cell in table.get_row_at(0)]
            assert first[3:6] == ["yes", "fulltime", "90k–120k USD/yr"]
            assert "of 4 jobs" in str(screen.query_one("#pager", Static).render())

            # Sort by salary (per year, best paid first), by clicking its header.
            columns = list(table.columns.values())
            left = sum(c.get_render_width(table) for c in columns[:5])
            await pilot.click(DataTable, offset=(left + 2, 0))
            await wait_for(pilot, lambda: screen.sort == "salary", "sorted by salary")
            # Per year: 120,000 > hourly 55 × 2080 = 114,400 > monthly 6000 × 12; none last.
            await wait_for(
                pilot,
                lambda: _titles(table) == ["Backend engineer", "Data analyst", "Architect", "Cook"],
                "best paid first",
            )
            assert str(table.columns["salary"].label) == "Salary ▼"
            screen.sort_by("salary")  # again: reversed, missing salaries still last
            await wait_for(
                pilot,
                lambda: _titles(table) == ["Architect", "Data analyst", "Backend engineer", "Cook"],
                "lowest first",
            )
            await pilot.press("s")  # the next column: posted, newest first
            await wait_for(pilot, lambda: screen.sort == "posted" and screen.descending, "posted")
            await pilot.press("s")  # then site, A→Z
            await wait_for(pilot, lambda: screen.sort == "site" and not screen.descending, "site")

            # On-site only: is_remote false (unknown is neither).
            screen.query_one("#remote", Select).value = "no"
            await wait_for(
                pilot, lambda: sorted(_titles(table)) == ["Architect", "Data analyst"], "on-site"
            )
            await wait_for(pilot, lambda: screen.total == 2, "count follows the filters")
            screen.query_one("#q", Input).value = "architect"
            screen.query_one("#q", Input).focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: _titles(table) == ["Architect"], "text search")

            await pilot.press("c")  # clear filters (the table has the focus)
            await wait_for(pilot, lambda: table.row_count == 4 and screen.total == 4, "cleared")
            assert screen.query_one("#q", Input).value == ""
            assert screen.query_one("#remote", Select).is_blank()
            assert (screen.sort, screen.descending) == ("posted", True)
            assert _titles(table)[0] == "Backend engineer"

    asyncio.run(run())


def test_sorted_by_a_column_a_cross_posted_job_is_still_one_row(settings: Any, db: Any) -> None:
    _seed(db)
    with db.connection() as conn:
        # The backend job again, on glassdoor a day earlier and without a salary: one group.
        conn.execute(
            "INSERT INTO jobs (job_url, site, title, company, country, date_posted, first_seen_at,"
            " group_id) SELECT 'https://glassdoor.test/1', 'glassdoor', title, company, country,"
            " date_posted - 1, first_seen_at - interval '1 day', group_id FROM jobs"
            " WHERE job_url = 'https://example.test/jobs/0'"
        )

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(140, 36)) as pilot:
            screen = await _open(app, pilot)  # 4 jobs, 5 postings
            table = screen.query_one(DataTable)
            pager = screen.query_one("#pager", Static)
            screen.sort_by("title")
            await wait_for(
                pilot,
                lambda: _titles(table) == ["Architect", "Backend engineer", "Cook", "Data analyst"],
                "one row per job, A→Z",
            )
            backend = table.get_row_at(1)
            assert backend[5].plain == "90k–120k USD/yr" and backend[7].plain == "indeed"
            assert backend[8].plain == "glassdoor"  # also on
            assert "rows 1–4 of 4 jobs" in str(pager.render())
            screen.sort_by("salary")
            await wait_for(
                pilot,
                lambda: _titles(table) == ["Backend engineer", "Data analyst", "Architect", "Cook"],
                "one row per job, best paid first",
            )
            await pilot.press("a")  # every posting: the copy is a row of its own
            await wait_for(
                pilot,
                lambda: (
                    _titles(table)
                    == ["Backend engineer", "Data analyst", "Architect", "Backend engineer", "Cook"]
                ),
                "every posting, missing salaries last (newest first)",
            )
            await wait_for(pilot, lambda: screen.total == 5, "postings counted")
            assert "of 5 postings" in str(pager.render())

    asyncio.run(run())


def test_narrow_screens_drop_remote_and_type_and_the_filter_bar_fits(
    settings: Any, db: Any
) -> None:
    _seed(db)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _open(app, pilot)
            table = screen.query_one(DataTable)
            assert "remote" not in table.columns and "salary" in table.columns
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(120, 30)) as pilot:
            screen = await _open(app, pilot)
            bar = screen.query_one("#job-filters")
            assert bar.size.width == 120
            for widget in bar.children:
                assert widget.region.right <= 120 and widget.size.width >= 8, widget.id
            query = screen.query_one("#q")
            assert query.size.width >= 30

    asyncio.run(run())


def test_chart_panel_shows_postings_per_day(settings: Any, db: Any) -> None:
    _seed(db)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(140, 40)) as pilot:
            screen = await _open(app, pilot)
            assert not screen.query_one("#job-stats").display
            await pilot.press("g")
            await wait_for(pilot, lambda: screen.stats is not None, "stats")
            assert screen.query_one("#job-stats").display
            by_site = screen.stats.by_site
            assert by_site.days[-1] == date(2025, 6, 10) and len(by_site.days) == 30
            assert by_site.series["indeed"][-3:] == [1, 0, 1]
            assert by_site.series["linkedin"][-4:] == [1, 0, 1, 0]
            await pilot.press("g")
            assert not screen.query_one("#job-stats").display

    asyncio.run(run())


def test_export_asks_format_and_path(settings: Any, db: Any, tmp_path: Any) -> None:
    _seed(db)
    taken = tmp_path / "taken.csv"
    taken.write_text("keep me")

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await _open(app, pilot)
            await pilot.press("e")
            dialog = await wait_for(
                pilot, lambda: isinstance(app.screen, ExportDialog) and app.screen, "dialog"
            )
            path = dialog.query_one("#export-path", Input)
            assert path.value.startswith(str(settings.home / "exports" / "jobs-"))
            assert path.value.endswith(".csv")
            dialog.query_one("#export-format", Select).value = "jsonl"
            await wait_for(pilot, lambda: path.value.endswith(".jsonl"), "suffix follows")
            # An existing file is refused, and stays as it was.
            path.value = str(taken)
            path.focus()
            await pilot.press("enter")
            problem = dialog.query_one("#export-problem")
            await wait_for(pilot, lambda: "exists" in str(problem.render()), "refused")
            assert app.screen is dialog and taken.read_text() == "keep me"
            path.value = str(tmp_path / "mine")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen, "dialog closed")
            out = tmp_path / "mine.jsonl"
            await wait_for(
                pilot,
                lambda: out.exists() and len(out.read_text().splitlines()) == 4,
                "export written",
            )
            # Escape exports nothing.
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog), "dialog again")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "cancelled")

    asyncio.run(run())


def test_open_url_over_ssh_copies_and_shows_it(
    settings: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")
    opened: list[str] = []

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
        notes: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(str(message)))
        async with app.run_test(size=(120, 36)) as pilot:
            await _open(app, pilot)
            await pilot.press("o")
            await wait_for(pilot, lambda: any("URL" in n for n in notes), "told")
            (said,) = [n for n in notes if "URL" in n]
            assert "SSH session" in said and "https://example.test/jobs/0" in said
            assert app.clipboard == "https://example.test/jobs/0"
            assert opened == []

        monkeypatch.delenv("SSH_CONNECTION")
        monkeypatch.setenv("DISPLAY", ":0")
        app = make_app(settings, db, clock=lambda: NOW)
        monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
        monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(str(message)))
        async with app.run_test(size=(120, 36)) as pilot:
            await _open(app, pilot)
            await pilot.press("o")
            await wait_for(pilot, lambda: opened, "opened")
            assert opened == ["https://example.test/jobs/0"]
            assert any("Asked the web browser to open" in n for n in notes)

    asyncio.run(run())

"""One scrape in a child process, through the real jobspy and the simulated boards, into jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from engine.db.handle import Database
from engine.jobs.ingest import SaveResult, Store
from engine.settings import Settings
from engine.sim import Fault, SimBoards
from engine.worker.scrape import ScrapeRequest, ScrapeResult, run_scrape

USER, PASSWORD = "scout", "s3cret-pw"


@pytest.fixture
def sim() -> Iterator[SimBoards]:
    with SimBoards(seed=7, auth=(USER, PASSWORD)) as running:
        yield running


def scrape(sim: SimBoards, **overrides: Any) -> ScrapeResult:
    fields: dict[str, Any] = {
        "sites": ["linkedin", "indeed"],
        "search_term": "software engineer",
        "location": "Austin, TX",
        "country": "US",
        # One LinkedIn page: jobspy sleeps 3-7 s between pages, and the child is a real one.
        "results_wanted": 10,
        "hours_old": None,
        "proxies": [sim.proxy_url],
        "ca_cert": sim.ca_path,
        "node_id": None,
        "timeout": 60.0,
    }
    fields.update(overrides)
    return run_scrape(ScrapeRequest(**fields))


def save(store: Store, result: ScrapeResult) -> list[SaveResult]:
    """As a worker does: one batch (and one scrape_runs row) per site."""
    saved = []
    for outcome in result.outcomes:
        batch = [r for r in result.records if r.site == outcome.site]
        saved.append(
            store.save_batch(
                batch,
                site=outcome.site,
                location="Austin, TX",
                search_term="software engineer",
                started_at=result.started_at,
                outcome=outcome.outcome,
                error=outcome.error,
            )
        )
    return saved


def no_scrape_children() -> bool:
    return not [
        p
        for p in psutil.Process().children(recursive=True)
        if "engine.worker.scrape_child" in " ".join(p.cmdline())
    ]


@pytest.mark.slow
def test_scrape_lands_in_jobs_with_clean_fields(
    sim: SimBoards, db: Database, settings: Settings
) -> None:
    result = scrape(sim)
    assert [(o.site, o.outcome) for o in result.outcomes] == [
        ("linkedin", "ok"),
        ("indeed", "ok"),
    ]
    assert all(o.found == 10 for o in result.outcomes)
    store = Store(db, settings.spool_dir)
    assert sum(s.new for s in save(store, result)) == 20
    with db.connection() as conn:
        rows = conn.execute("SELECT * FROM jobs").fetchall()
        runs = conn.execute("SELECT site, found, new, outcome FROM scrape_runs").fetchall()
    assert len(rows) == 20
    for row in rows:
        assert row["job_url"].startswith(("https://www.linkedin.com/jobs/view/", "https://www."))
        assert "trk" not in row["job_url"] and "refId" not in row["job_url"]
        assert row["title"] and row["company"]
        assert row["country"] == "US"
        assert row["date_posted"] is not None
        assert row["description"]
    in_austin = [r for r in rows if "Austin" in (r["location_raw"] or "")]
    assert in_austin and all((r["city"], r["region"]) == ("Austin", "TX") for r in in_austin)
    assert sorted((r["site"], r["found"], r["new"], r["outcome"]) for r in runs) == [
        ("indeed", 10, 10, "ok"),
        ("linkedin", 10, 10, "ok"),
    ]
    assert no_scrape_children()


@pytest.mark.slow
def test_three_passes_leave_no_duplicates_and_no_rewritten_rows(
    sim: SimBoards, db: Database, settings: Settings
) -> None:
    store = Store(db, settings.spool_dir)
    save(store, scrape(sim))
    with db.connection() as conn:
        first = {r["id"]: r["xmin"] for r in conn.execute("SELECT id, xmin::text FROM jobs")}
    for _ in range(2):
        save(store, scrape(sim))
    with db.connection() as conn:
        after = {r["id"]: r["xmin"] for r in conn.execute("SELECT id, xmin::text FROM jobs")}
        dupes = conn.execute(
            "SELECT job_url FROM jobs GROUP BY job_url HAVING count(*) > 1"
        ).fetchall()
        seen = conn.execute("SELECT job_id, seen_count FROM job_sightings").fetchall()
    assert dupes == []
    # Rows stored by the first pass are untouched; a later pass may only add new postings.
    assert {i: after[i] for i in first} == first
    assert seen and all(r["job_id"] in after for r in seen)
    assert max(r["seen_count"] for r in seen) == 3


@pytest.mark.parametrize(
    ("board", "kind"),
    [("linkedin", "429"), ("indeed", "403"), ("linkedin", "999"), ("indeed", "429")],
)
def test_blocked_board_is_reported_as_blocked(sim: SimBoards, board: str, kind: str) -> None:
    sim.set_fault(board, Fault(kind))
    result = scrape(sim, sites=[board])
    (outcome,) = result.outcomes
    assert outcome.outcome == "blocked"
    assert outcome.error and kind in outcome.error
    assert PASSWORD not in outcome.error


def test_hung_board_is_killed_at_the_timeout(sim: SimBoards) -> None:
    # jobspy itself would give up only after 15 s per request; the child is killed at 4 s.
    sim.set_fault("indeed", Fault("hang"))
    result = scrape(sim, sites=["indeed"], timeout=4.0)
    (outcome,) = result.outcomes
    assert outcome.outcome == "timeout"
    assert result.records == []
    assert no_scrape_children()

"""New postings per day by site and country (engine.jobs.stats) at a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from engine.jobs.stats import postings_per_day

NOW = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)


def test_postings_per_day_fill_the_window_and_split_by_site_and_country(db) -> None:
    seen = [
        (NOW - timedelta(hours=1), "indeed", "US"),
        (NOW - timedelta(hours=7), "linkedin", "US"),  # 06-10 01:00
        (NOW - timedelta(hours=9), "indeed", None),  # 06-09 23:00
        (NOW - timedelta(days=6, hours=8), "indeed", "DE"),  # 06-04 00:00, the first day
        (NOW - timedelta(days=6, hours=9), "indeed", "DE"),  # 06-03 23:00, outside
        (NOW + timedelta(hours=1), "indeed", "DE"),  # after "now"
    ]
    with db.connection() as conn:
        for i, (at, site, country) in enumerate(seen):
            conn.execute(
                "INSERT INTO jobs (job_url, site, country, first_seen_at) VALUES (%s, %s, %s, %s)",
                (f"https://example.test/{i}", site, country, at),
            )
    week = postings_per_day(db, 7, now=NOW)
    assert week.by_site.days[0] == date(2025, 6, 4) and week.by_site.days[-1] == date(2025, 6, 10)
    assert week.by_site.series == {
        "indeed": [1, 0, 0, 0, 0, 1, 1],
        "linkedin": [0, 0, 0, 0, 0, 0, 1],
    }
    assert week.by_country.series["?"] == [0, 0, 0, 0, 0, 1, 0]
    assert week.as_json()["per_day_by_country"] == {
        "2025-06-04": {"DE": 1},
        "2025-06-09": {"?": 1},
        "2025-06-10": {"US": 2},
    }


def test_sorted_search_count_and_on_site(db) -> None:
    import pytest

    from engine.errors import UserError
    from engine.jobs.search import JobQuery, count_jobs, search_jobs

    with db.connection() as conn:
        for i, (title, remote, low) in enumerate(
            [("b", True, 10), ("A", False, None), ("c", None, 30), ("d", False, 20)]
        ):
            conn.execute(
                "INSERT INTO jobs (job_url, site, title, is_remote, salary_min, first_seen_at)"
                " VALUES (%s, 'indeed', %s, %s, %s, %s)",
                (f"https://example.test/s{i}", title, remote, low, NOW - timedelta(hours=i)),
            )
    titles = [r["title"] for r in search_jobs(db, JobQuery(sort="title", descending=False))]
    assert titles == ["A", "b", "c", "d"]
    salary = [r["title"] for r in search_jobs(db, JobQuery(sort="salary", descending=True))]
    assert salary == ["c", "d", "b", "A"]
    oldest = search_jobs(db, JobQuery(sort="posted", descending=False, limit=1))
    assert oldest[0]["title"] == "d"
    assert count_jobs(db, JobQuery(remote=False)) == (2, True)
    assert count_jobs(db, JobQuery(remote=True)) == (1, True)
    assert count_jobs(db, JobQuery()) == (4, True)
    with pytest.raises(UserError, match="cannot sort by"):
        search_jobs(db, JobQuery(sort="id; drop table jobs"))

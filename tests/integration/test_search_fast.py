"""The search against the plain query on a real Postgres: same pages for random queries (postings
and merged jobs), the merged view's fields (newest first and sorted by a column), and city names
in other languages."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

import engine.jobs.newest as newest
from engine.db.handle import Database
from engine.jobs.search import (
    JobQuery,
    count_jobs,
    group_postings,
    plain_search,
    search_jobs,
)
from tests.cli import jobfleet

TODAY = datetime.now(UTC).date()
WORDS = ["rust", "python", "backend", "kafka", "team", "ocaml", "engineer", "senior", "data"]
# Share of postings holding each word: from nearly all to a handful.
SHARES = [0.02, 0.1, 0.2, 0.05, 0.7, 0.005, 0.5, 0.3, 0.4]

# 3,000 postings over 200 days, more on recent days, many on the same day (ties broken by id);
# a tenth without a posting date (first seen decides); every fifth posting copies the one
# before it onto another board (one group).
CORPUS_SQL = """
INSERT INTO jobs (job_url, site, title, company, description, city, region, country, is_remote,
                  date_posted, first_seen_at)
SELECT 'https://example.test/' || g, (ARRAY['linkedin', 'indeed', 'glassdoor'])[1 + g %% 3],
       'Job ' || g, 'Company ' || (g %% 40),
       (SELECT string_agg(w.word, ' ')
          FROM unnest(%(words)s::text[], %(shares)s::float8[]) AS w(word, share)
         WHERE random() < w.share AND g > 0) || ' filler words here',
       (ARRAY['Munich', 'Berlin', 'Austin', 'Seattle', NULL])[1 + g %% 5],
       (ARRAY['BY', 'BE', 'TX', 'WA', NULL])[1 + g %% 5],
       (ARRAY['DE', 'DE', 'US', 'US', 'US'])[1 + g %% 5],
       g %% 7 = 0,
       CASE WHEN g %% 10 = 3 THEN NULL
            ELSE current_date - (power(random(), 2) * 200)::int END,
       now() - (power(random(), 2) * 200)::int * interval '1 day'
FROM generate_series(1, 3000) g
"""

FILTERS: list[dict[str, Any]] = [
    {},
    {"country": "US"},
    {"country": "US", "days": 7},
    {"city": "Munich"},
    {"city": "München", "days": 30},
    {"site": "indeed"},
    {"days": 1},
    {"days": 0},
    {"remote": True},
    {"country": "DE", "region": "BY", "site": "linkedin"},
]
TEXTS = [
    None,
    "rust",
    "ocaml",
    "team",
    "rust backend",
    "python -senior",
    "kafka OR ocaml",
    '"senior engineer"',
    "team engineer data",
    "the",
    "nomatchword",
    "rust ocaml",
]


@pytest.fixture
def corpus(db: Database) -> Database:
    with db.connection() as conn:
        conn.execute(CORPUS_SQL, {"words": WORDS, "shares": SHARES})
        conn.execute("UPDATE jobs SET group_id = id - 1 WHERE id % 5 = 1 AND id > 1")
        conn.execute("ANALYZE jobs")
    return db


def plain(db: Database, query: JobQuery) -> list[int]:
    return plain_search(db, query)


def fast(db: Database, query: JobQuery) -> list[int]:
    return [r["group_id" if query.grouped else "id"] for r in search_jobs(db, query)]


@pytest.mark.parametrize(
    ("walk_share", "first_range_rows"), [(None, None), (0.0, None), (2.0, 0), (2.0, 10**6)]
)
def test_random_searches_match_the_plain_query(
    corpus: Database,
    monkeypatch: pytest.MonkeyPatch,
    walk_share: float | None,
    first_range_rows: int | None,
) -> None:
    if walk_share is not None:  # 0: every search walks the date index; 2: none does
        monkeypatch.setattr(newest, "WALK_SHARE", walk_share)
    if first_range_rows is not None:  # 0: no first range; 10**6: one for every term
        monkeypatch.setattr(newest, "FIRST_RANGE_ROWS", first_range_rows)
    rng = random.Random(f"{walk_share}/{first_range_rows}")
    nonempty = 0
    for i in range(120):
        query = JobQuery(
            text=rng.choice(TEXTS),
            limit=rng.choice([1, 5, 50, 200]),
            offset=rng.choice([0, 0, 0, 3, 120]),
            grouped=i % 2 == 1,
            **rng.choice(FILTERS),
        )
        expected = plain(corpus, query)
        assert fast(corpus, query) == expected, query
        nonempty += bool(expected)
    assert nonempty > 40  # the queries found something most of the time


def test_plain_query_agrees_with_python(corpus: Database) -> None:
    """The reference itself: newest first, ties by id, groups placed by their newest posting."""
    with corpus.connection() as conn:
        rows = conn.execute("SELECT id, group_id, posted_or_seen FROM jobs").fetchall()
    ordered = sorted(rows, key=lambda r: (r["posted_or_seen"], r["id"]), reverse=True)
    assert plain(corpus, JobQuery(limit=40)) == [r["id"] for r in ordered[:40]]
    groups = list(dict.fromkeys(r["group_id"] for r in ordered))
    assert plain(corpus, JobQuery(limit=40, grouped=True)) == groups[:40]
    assert len(groups) < len(ordered)


def _insert(conn: psycopg.Connection[Any], **row: Any) -> int:
    columns = ", ".join(row)
    marks = ", ".join(f"%({k})s" for k in row)
    found = conn.execute(f"INSERT INTO jobs ({columns}) VALUES ({marks}) RETURNING id", row)
    got = found.fetchone()
    assert got is not None
    return int(got["id"] if isinstance(got, dict) else got[0])


def _cross_posted(conn: psycopg.Connection[Any]) -> list[int]:
    """One job on three boards, each knowing a different part; and one job on one board."""
    common = {"title": "Rust Backend Engineer", "company": "Ferrous GmbH", "country": "DE"}
    ids = [
        _insert(
            conn,
            job_url="https://linkedin.test/1",
            site="linkedin",
            date_posted=TODAY,
            region="BY",
            description="rust backend, the newest copy",
            **common,
        ),
        _insert(
            conn,
            job_url="https://indeed.test/1",
            site="indeed",
            date_posted=TODAY - timedelta(days=5),
            salary_min=70000,
            salary_max=90000,
            salary_currency="EUR",
            salary_interval="yearly",
            description="rust backend",
            **common,
        ),
        _insert(
            conn,
            job_url="https://glassdoor.test/1",
            site="glassdoor",
            date_posted=TODAY,
            city="Munich",
            region="BY",
            description="rust backend",
            **common,
        ),
        _insert(
            conn,
            job_url="https://linkedin.test/2",
            site="linkedin",
            date_posted=TODAY,
            city="Munich",
            description="rust backend alone",
            title="Rust Developer",
            company="Solo AG",
            country="DE",
        ),
    ]
    conn.execute("UPDATE jobs SET group_id = %s WHERE id = ANY(%s)", (ids[1], ids[:3]))
    return ids


def test_merged_view_one_row_per_job_with_the_best_fields(db: Database) -> None:
    with db.connection() as conn:
        ids = _cross_posted(conn)
    jobs = search_jobs(db, JobQuery(text="rust backend", grouped=True))
    assert [j["group_id"] for j in jobs] == [ids[3], ids[1]]  # newest posting first, ties by id
    job = jobs[1]
    assert job["id"] == ids[2]  # the group's newest matching posting leads
    assert job["site"] == "glassdoor"
    assert job["also_on"] == ["linkedin", "indeed"]
    assert sorted(job["sites"]) == ["glassdoor", "indeed", "linkedin"]
    assert (job["salary_min"], job["salary_max"], job["salary_currency"]) == (70000, 90000, "EUR")
    assert job["city"] == "Munich"
    assert job["first_posted"] == TODAY - timedelta(days=5)
    assert {p["id"] for p in job["postings"]} == set(ids[:3])
    assert jobs[0]["also_on"] == [] and len(jobs[0]["postings"]) == 1
    postings = search_jobs(db, JobQuery(text="rust backend"))
    assert len(postings) == 4
    # A filter that only one posting passes still shows the whole job's boards.
    indeed = search_jobs(db, JobQuery(text="rust", site="indeed", grouped=True))
    assert [j["id"] for j in indeed] == [ids[1]] and set(indeed[0]["also_on"]) == {
        "linkedin",
        "glassdoor",
    }
    assert [p["id"] for p in group_postings(db, ids[1])] == [ids[2], ids[0], ids[1]]


def test_city_in_another_language_finds_the_stored_name(db: Database) -> None:
    with db.connection() as conn:
        ids = _cross_posted(conn)
    for city in ("München", "munich", "Monaco di Baviera", "MÜNCHEN"):
        rows = search_jobs(db, JobQuery(city=city))
        assert {r["id"] for r in rows} == {ids[2], ids[3]}, city
    assert search_jobs(db, JobQuery(city="München", country="US")) == []
    assert search_jobs(db, JobQuery(city="Berlin")) == []


def test_cli_merged_view_all_postings_and_show(db_url: str, jf_env: dict[str, str]) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        ids = _cross_posted(conn)  # type: ignore[arg-type]
    done = jobfleet(jf_env, "jobs", "search", "rust backend", "--json")
    assert done.returncode == 0, done.stderr
    jobs = json.loads(done.stdout)
    assert len(jobs) == 2
    assert jobs[1]["group_id"] == ids[1] and jobs[1]["also_on"] == ["linkedin", "indeed"]
    assert len(jobs[1]["postings"]) == 3 and jobs[1]["salary_currency"] == "EUR"
    every = json.loads(
        jobfleet(jf_env, "jobs", "search", "rust backend", "--all-postings", "--json").stdout
    )
    assert len(every) == 4 and {r["group_id"] for r in every} == {ids[1], ids[3]}
    wide = {**jf_env, "COLUMNS": "200"}
    table = jobfleet(wide, "jobs", "search", "rust", "--city", "München")
    assert table.returncode == 0, table.stderr
    assert "also on" in table.stdout and "linkedin, indeed" in table.stdout
    shown = jobfleet(wide, "jobs", "show", str(ids[0]))
    assert shown.returncode == 0, shown.stderr
    assert "this job's 3 postings" in shown.stdout and "glassdoor.test" in shown.stdout
    shown_json = json.loads(jobfleet(jf_env, "jobs", "show", str(ids[0]), "--json").stdout)
    assert len(shown_json["group_postings"]) == 3


def test_an_offset_past_every_posting_is_an_empty_page(corpus: Database) -> None:
    for grouped in (False, True):
        query = JobQuery(text="team", offset=2**62, grouped=grouped)
        assert search_jobs(corpus, query) == [] == plain_search(corpus, query)


# Per year, as jobs_browse.sql compares salaries.
_PER_YEAR = {"hourly": 2080, "daily": 260, "weekly": 52, "monthly": 12}


def _yearly(posting: dict[str, Any]) -> float | None:
    amount = posting["salary_max"] if posting["salary_max"] is not None else posting["salary_min"]
    if amount is None:
        return None
    return float(amount) * _PER_YEAR.get(posting["salary_interval"], 1)


def _sorted_groups(postings: list[dict[str, Any]], sort: str, descending: bool) -> list[int]:
    """The reference order of the sorted merged view, from every matching posting: each group
    led by its newest posting, sorted by the lead's value (salary: the one the row shows, the
    lead's or else the newest posting's that has one), missing values last, ties newest first."""
    newest_first = sorted(postings, key=lambda p: (p["posted_or_seen"], p["id"]), reverse=True)
    leads = {p["group_id"]: p for p in reversed(newest_first)}  # the newest one stays
    best: dict[int, float] = {}
    for p in newest_first:
        yearly = _yearly(p)
        if yearly is not None:
            best.setdefault(p["group_id"], yearly)

    def value(lead: dict[str, Any]) -> Any:
        if sort == "salary":
            return best.get(lead["group_id"])
        if sort == "posted":
            return lead["posted_or_seen"]
        text = lead[sort]
        return text.lower() if text is not None and sort != "site" else text

    ordered = [lead for lead in newest_first if leads[lead["group_id"]] is lead]
    known = [lead for lead in ordered if value(lead) is not None]
    missing = [lead for lead in ordered if value(lead) is None]
    # sorted() is stable, also reversed: equal values keep the newest-first order.
    return [lead["group_id"] for lead in sorted(known, key=value, reverse=descending) + missing]


@pytest.mark.parametrize(
    ("sort", "descending"),
    [
        ("title", False),
        ("title", True),
        ("company", False),
        ("site", True),
        ("salary", True),
        ("salary", False),
        ("posted", False),
    ],
)
def test_sorted_merged_view_pages_jobs_in_the_reference_order(
    corpus: Database, sort: str, descending: bool
) -> None:
    with corpus.connection() as conn:
        # Salaries on a third of the postings, some hourly: the one the job's row shows decides.
        conn.execute(
            "UPDATE jobs SET salary_min = (id * 37 % 200) * 1000,"
            " salary_interval = CASE WHEN id % 2 = 0 THEN 'yearly' END WHERE id % 3 = 0"
        )
        conn.execute(
            "UPDATE jobs SET salary_max = 30 + id % 50, salary_interval = 'hourly' WHERE id % 7 = 1"
        )
    for filters in ({}, {"text": "team engineer"}, {"country": "DE", "site": "indeed"}):
        every = JobQuery(sort=sort, descending=descending, limit=10_000, **filters)
        postings = search_jobs(corpus, every)  # the ungrouped sort: every matching posting
        expected = _sorted_groups(postings, sort, descending)
        grouped = replace(every, grouped=True)
        jobs = search_jobs(corpus, grouped)
        assert [j["group_id"] for j in jobs] == expected, filters
        if "site" not in filters:  # (a group's copies are on other boards)
            assert len(expected) < len(postings), filters  # some jobs are cross-posted
        assert count_jobs(corpus, grouped) == (len(expected), True)
        # Paging counts jobs: pages of 7 put together are the whole list.
        paged = [
            j["group_id"]
            for offset in range(0, len(expected) + 7, 7)
            for j in search_jobs(corpus, replace(grouped, limit=7, offset=offset))
        ]
        assert paged == expected, filters


def test_sorted_merged_view_one_row_per_job(db: Database) -> None:
    with db.connection() as conn:
        ids = _cross_posted(conn)  # group ids[1]: 3 boards, the salary on indeed only
        cook = _insert(
            conn,
            job_url="https://indeed.test/2",
            site="indeed",
            date_posted=TODAY,
            title="Backend Cook",
            company="Amber Kitchen",
            description="rust backend lunches",
            salary_min=80000,
            salary_interval="yearly",
        )
    group, solo = ids[1], ids[3]
    query = JobQuery(text="rust backend", grouped=True, sort="title", descending=False)
    by_title = search_jobs(db, query)
    # Leads' titles: "Backend Cook", then the two "Rust ..." (Backend Engineer < Developer).
    assert [j["group_id"] for j in by_title] == [cook, group, solo]
    job = by_title[1]
    assert job["id"] == ids[2]  # led by its newest matching posting, as newest first
    assert job["also_on"] == ["linkedin", "indeed"] and len(job["postings"]) == 3
    assert (job["salary_min"], job["salary_currency"]) == (70000, "EUR")  # from indeed
    company = search_jobs(db, replace(query, sort="company"))
    assert [j["group_id"] for j in company] == [cook, group, solo]  # Amber, Ferrous, Solo
    # Salary: the one its row shows (70-90k on indeed; its lead has none): above the cook's 80k.
    salary = search_jobs(db, replace(query, sort="salary", descending=True))
    assert [j["group_id"] for j in salary] == [group, cook, solo]
    assert [j["group_id"] for j in search_jobs(db, replace(query, sort="salary"))] == [
        cook,
        group,
        solo,  # no salary: last either way
    ]
    # Every posting (--all-postings): the three copies are three rows.
    postings = search_jobs(db, replace(query, grouped=False))
    assert sorted(p["id"] for p in postings) == sorted([*ids, cook])
    # Paging by jobs: the second job is the cross-posted one, whole.
    page = search_jobs(db, replace(query, limit=1, offset=1))
    assert [j["group_id"] for j in page] == [group] and len(page[0]["postings"]) == 3
    assert count_jobs(db, query) == (3, True)
    assert count_jobs(db, replace(query, grouped=False)) == (5, True)
    # A site filter: the job is led by the one posting that passes it, its boards still shown;
    # equal sites, newest first.
    indeed = search_jobs(db, replace(query, site="indeed", sort="site"))
    assert [j["id"] for j in indeed] == [cook, ids[1]]
    assert set(indeed[1]["also_on"]) == {"linkedin", "glassdoor"}


def test_filter_shares_are_copied_with_the_lexeme_shares(corpus: Database) -> None:
    """ANALYZE's most common values of the filter columns reach search_filter_shares (sql/0019),
    which sizes the first range for region, remote and site filters."""
    with corpus.connection() as conn:
        conn.execute("UPDATE search_lexeme_stats SET analyzed_at = NULL")
        refreshed = conn.execute("SELECT search_lexeme_shares_refresh() AS done").fetchone()
        rows = conn.execute("SELECT filter, value, share FROM search_filter_shares").fetchall()
        counts = dict(
            conn.execute("SELECT 'country' AS f, count(DISTINCT country) AS n FROM jobs").fetchone()
            or {}
        )
    assert refreshed and refreshed["done"]
    by_filter: dict[str, dict[str, float]] = {}
    for row in rows:
        by_filter.setdefault(row["filter"], {})[row["value"]] = row["share"]
    assert {"country", "is_remote", "site"} <= set(by_filter)
    assert set(by_filter["is_remote"]) <= {"t", "f"}
    assert 0 < len(by_filter["country"]) <= counts["n"]
    for shares in by_filter.values():
        assert all(0 < s <= 1 for s in shares.values())
        assert sum(shares.values()) <= 1.0001

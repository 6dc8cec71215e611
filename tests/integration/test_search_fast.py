"""The search against the plain query on a real Postgres: same pages for random queries (postings
and merged jobs), the merged view's fields, and city names in other languages."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

import engine.jobs.newest as newest
from engine.db.handle import Database
from engine.jobs.search import JobQuery, group_postings, plain_search, search_jobs
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

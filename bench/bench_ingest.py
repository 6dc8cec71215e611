"""Ingest throughput: jobfleet's store against the write-up's method and the full-text ceiling.

    .venv/bin/python bench/bench_ingest.py                # 100,000 postings (a few minutes)
    .venv/bin/python bench/bench_ingest.py --rows 10000   # a quick run

Synthetic jobspy rows (1-5 KB markdown descriptions, tracking parameters in the URLs, a mix of
locations) go through, all in the same run and on the same data:

* the full-text ceiling: the time Postgres alone needs to compute the jobs table's tsvector
  expression over those titles, companies and descriptions (already loaded, nothing else done);
* jobfleet's path end to end: ``clean_record`` for every row, then ``Store.save_batch`` (known-URL
  lookup, spool file fsync'd, binary COPY of the new postings into jobs, sightings, scrape_runs
  row, COMMIT), by ``--writers`` worker processes as the supervisor runs them, and also by a
  single process;
* the write-up's method in one process on one connection: the same ``clean_record``, then per
  batch of 500 one ``SELECT job_url ... = ANY(...)`` for the URLs already stored, one
  ``INSERT ... ON CONFLICT (job_url) DO UPDATE`` per posting (prepared by psycopg after its fifth
  run) and one COMMIT per batch. A COMMIT per posting would add a WAL flush per row and make it
  a strawman; it has no spool file, so it does less than jobfleet's path;
* re-ingest of the same postings through jobfleet's path (all known: sightings only), checking
  that no jobs row was rewritten;
* grouping's cost: jobfleet's path with grouping (the default) against the same path with it
  switched off (``Store(grouping=False)``), same rows, same process, alternating, best of
  ``--rounds``; a quarter of the rows are cross-posts of an earlier row on the other board
  (title, company suffix and location spelt that board's way), so candidates are found and
  compared. ``--grouping-only`` measures just that.

The ceiling is measured with as many backends as there are writers, so the ratio compares like
with like on this machine's cores.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import random
import shutil
import sys
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench._common import Timer, bench_database, server_version
from engine.db.handle import Database
from engine.jobs.grouping.sketch import FAST_SKETCH
from engine.jobs.ingest import Store
from engine.jobs.record import JobRecord, clean_record
from engine.settings import Settings

BATCH = 500
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ea", "ou")]
LOCATIONS = [
    "Austin, TX",
    "San Francisco, CA",
    "New York, NY 10001",
    "Berlin, Germany",
    "London, England, United Kingdom",
    "Bengaluru, Karnataka, India",
    "Toronto, ON, Canada",
    "Remote - US",
    "USA",
    "München, Bayern, Deutschland",
    "Sydney, NSW",
    "Greater London",
]
TITLES = ["Software Engineer", "Data Scientist", "Nurse", "Backend Developer", "Product Manager"]
CROSS_POSTS = 0.25  # share of rows that repeat an earlier row on the other board

# Forked writers inherit these instead of receiving them through a pipe.
RAW_ROWS: list[dict[str, Any]] = []


def make_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    vocab = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(20000)]
    cum_weights = list(itertools.accumulate(1 / (k + 1) for k in range(len(vocab))))
    today = date.today()
    rows = []
    nan = float("nan")
    for i in range(n):
        size = rng.randint(1000, 5000)
        words: list[str] = []
        length = 0
        while length < size:
            chunk = rng.choices(vocab, cum_weights=cum_weights, k=12)
            words.append(" ".join(chunk).capitalize() + ".")
            length += sum(len(w) + 1 for w in chunk)
        description = "## About the role\n\n" + "\n\n- ".join(words)
        site = "linkedin" if i % 2 else "indeed"
        url = (
            f"https://www.linkedin.com/jobs/view/{10_000_000 + i}?refId=r{i}&trackingId=t{i}"
            if site == "linkedin"
            else f"https://www.indeed.com/viewjob?jk={i:016x}&from=serp&vjs=3"
        )
        paid = rng.random() < 0.4
        if i >= 4 and rng.random() < CROSS_POSTS:
            # The same job on the other board, as that board writes it.
            original = rows[rng.randrange(i // 2, i)]
            rows.append(
                {
                    **original,
                    "id": f"{site[:2]}-{i}",
                    "site": site,
                    "job_url": url,
                    "title": original["title"].replace("Senior ", "Sr. "),
                    "company": f"{original['company']}, Inc.",
                }
            )
            continue
        rows.append(
            {
                "id": f"{site[:2]}-{i}",
                "site": site,
                "job_url": url,
                "job_url_direct": None,
                "title": f"{rng.choice(('', 'Senior ', 'Lead '))}{rng.choice(TITLES)}",
                "company": f"Company {rng.randint(1, 5000)}",
                "location": rng.choice(LOCATIONS),
                "date_posted": today - timedelta(days=rng.randint(0, 30)),
                "job_type": "fulltime",
                "interval": "yearly" if paid else None,
                "min_amount": float(rng.randint(50, 120) * 1000) if paid else nan,
                "max_amount": float(rng.randint(120, 200) * 1000) if paid else nan,
                "currency": "USD" if paid else None,
                "is_remote": rng.random() < 0.15,
                "emails": None,
                "description": description,
                "company_url": None,
                "company_rating": nan,
            }
        )
    return rows


def clean(raw: dict[str, Any], today: date) -> JobRecord | None:
    return clean_record(raw, today=today, country_hint="US")


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE jobs, job_sightings, job_sketches, scrape_runs, ingested_batches")
        conn.execute("CHECKPOINT")


# --- the ceiling -----------------------------------------------------------------------------


def ceiling(url: str, backends: int) -> float:
    """Seconds Postgres needs for the tsvector expression of every row, over ``backends``
    connections at once. The texts are loaded first (untimed) into an unlogged table."""
    today = date.today()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS ceiling_src "
            "(n int, title text, company text, description text)"
        )
        conn.execute("TRUNCATE ceiling_src")
        with conn.cursor() as cur, cur.copy("COPY ceiling_src FROM STDIN") as copy:
            for n, raw in enumerate(RAW_ROWS):
                record = clean(raw, today)
                if record is not None:
                    copy.write_row((n, record.title, record.company, record.description))
        conn.execute("VACUUM ANALYZE ceiling_src")
    total = len(RAW_ROWS)

    def compute(part: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET max_parallel_workers_per_gather = 0")
            conn.execute(
                """
                SELECT sum(length(
                    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                    setweight(to_tsvector('english', coalesce(company, '')), 'B') ||
                    setweight(to_tsvector('english', coalesce(description, '')), 'C')))
                FROM ceiling_src WHERE n %% %s = %s
                """,
                (backends, part),
            )

    with Timer() as t:
        threads = [threading.Thread(target=compute, args=(p,)) for p in range(backends)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE ceiling_src")
    assert total
    return t.seconds


# --- jobfleet's path ------------------------------------------------------------------------


def _writer(
    url: str, spool: str, part: int, parts: int, results: Any, grouping: bool = True
) -> None:
    today = date.today()
    found = new = 0
    with Database(Settings(database_url=url, home=Path(spool))) as db:
        store = Store(db, Path(spool) / "spool", grouping=grouping)
        mine = RAW_ROWS[part::parts]
        for start in range(0, len(mine), BATCH):
            records = [r for r in (clean(raw, today) for raw in mine[start : start + BATCH]) if r]
            result = store.save_batch(records, site="bench", search_term="bench")
            found += result.found
            new += result.new
        store.settle_groups()  # as a worker does at the end of a scrape
    results.put((found, new))


def jobfleet_ingest(
    url: str, writers: int, spool: str, grouping: bool = True
) -> tuple[float, int, int]:
    """(seconds, found, new) for every row through clean + save_batch in ``writers`` processes."""
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    with Timer() as t:
        procs = [
            ctx.Process(target=_writer, args=(url, spool, p, writers, results, grouping))
            for p in range(writers)
        ]
        for proc in procs:
            proc.start()
        totals = [results.get() for _ in procs]
        for proc in procs:
            proc.join()
            if proc.exitcode != 0:
                raise RuntimeError(f"a writer failed with exit code {proc.exitcode}")
    return t.seconds, sum(f for f, _ in totals), sum(n for _, n in totals)


# --- the write-up's method --------------------------------------------------------------------

COLUMNS = (
    "job_url, site, site_job_id, title, company, company_url, description, location_raw, city, "
    "region, country, is_remote, date_posted, job_type, salary_min, salary_max, salary_currency, "
    "salary_interval, emails, extra, node_id, search_term"
)
UPSERT = f"""
INSERT INTO jobs ({COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (job_url) DO UPDATE SET
    title = excluded.title, company = excluded.company, description = excluded.description,
    location_raw = excluded.location_raw, city = excluded.city, region = excluded.region,
    country = excluded.country, is_remote = excluded.is_remote,
    date_posted = excluded.date_posted, salary_min = excluded.salary_min,
    salary_max = excluded.salary_max, extra = excluded.extra
"""


def writeup_ingest(url: str) -> tuple[float, int]:
    """Query which URLs exist, then upsert row by row; one process, one connection."""
    from psycopg.types.json import Jsonb

    today = date.today()
    new = 0
    with Timer() as t, psycopg.connect(url) as conn:
        for start in range(0, len(RAW_ROWS), BATCH):
            records = [
                r for r in (clean(raw, today) for raw in RAW_ROWS[start : start + BATCH]) if r
            ]
            urls = [r.job_url for r in records]
            existing = {
                row[0]
                for row in conn.execute("SELECT job_url FROM jobs WHERE job_url = ANY(%s)", (urls,))
            }
            for r in records:
                conn.execute(
                    UPSERT,
                    (
                        r.job_url, r.site, r.site_job_id, r.title, r.company, r.company_url,
                        r.description, r.location_raw, r.city, r.region, r.country, r.is_remote,
                        r.date_posted, r.job_type, r.salary_min, r.salary_max, r.salary_currency,
                        r.salary_interval, r.emails, Jsonb(r.extra), r.node_id, r.search_term,
                    ),
                )  # fmt: skip
                new += r.job_url not in existing
            conn.commit()
    return t.seconds, new


def row_versions(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM jobs"
        ).fetchone()
    return str(row[0]) if row else ""


# --- grouping's cost -------------------------------------------------------------------------


def grouping_cost(url: str, writers: int, spool: str, rounds: int) -> None:
    """Ingest with grouping against ingest without it: same rows, alternating, best of rounds."""
    n = len(RAW_ROWS)
    best: dict[bool, float] = {}
    for _ in range(rounds):
        for grouping in (False, True):
            reset(url)
            seconds, found, new = jobfleet_ingest(url, writers, spool, grouping=grouping)
            assert new == found, (found, new)
            best[grouping] = min(best.get(grouping, seconds), seconds)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT group_id), "
            "(SELECT avg(pg_column_size(s.*)) FROM job_sketches s), "
            "pg_total_relation_size('job_sketches') FROM jobs"
        ).fetchone()
    assert row is not None
    postings, groups, row_bytes, table_bytes = row
    for grouping in (False, True):
        per_row = best[grouping] * writers / n * 1e6
        label = "with grouping" if grouping else "without grouping"
        print(
            f"jobfleet, {writers} writer(s), {label + ':':18} {best[grouping]:7.1f} s"
            f"  {n / best[grouping]:8,.0f} rows/s  {per_row:6.0f} µs/row/core"
        )
    print(
        f"  {postings:,} postings in {groups:,} groups (cross-posts: {CROSS_POSTS:.0%} of rows); "
        f"job_sketches: {float(row_bytes):.0f} B per row, "
        f"{table_bytes / max(postings, 1):.0f} B per posting with its indexes"
    )
    ratio = best[True] / best[False]
    verdict = "PASS" if ratio <= 1.25 else "FAIL"
    print(
        f"  ingest with grouping / without ({writers} writer(s)): {ratio:.2f}x  "
        f"target <= 1.25: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="use this database (its jobs table is emptied)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rounds", type=int, default=2, help="with/without-grouping rounds (best of)"
    )
    parser.add_argument("--grouping-only", action="store_true", help="measure only grouping's cost")
    args = parser.parse_args()

    print(f"generating {args.rows:,} jobspy rows ...", flush=True)
    RAW_ROWS.extend(make_rows(args.rows, args.seed))
    megabytes = sum(len(r["description"]) for r in RAW_ROWS) / 1e6
    print(f"  {megabytes:,.0f} MB of descriptions, {megabytes * 1e3 / args.rows:.1f} KB average")
    from engine.geo import parse_location

    parse_location("Austin, TX")  # load the gazetteer once, before the writers fork
    spool = tempfile.mkdtemp(prefix="jf-bench-spool-")
    n = args.rows
    w = args.writers
    try:
        with bench_database(args.database_url) as (url, where):
            print(f"PostgreSQL {server_version(url)}, {where}, {w} writers", flush=True)
            print(
                f"grouping's sketch: {'C module' if FAST_SKETCH else 'pure Python'}\n", flush=True
            )
            if args.grouping_only:
                grouping_cost(url, 1, spool, args.rounds)
                if w != 1:
                    grouping_cost(url, w, spool, args.rounds)
                return
            ceil_w = ceiling(url, w)
            ceil_1 = ceiling(url, 1) if w != 1 else ceil_w
            print(f"full-text ceiling, {w} backends:   {ceil_w:7.1f} s  {n / ceil_w:8,.0f} rows/s")
            if w != 1:
                print(
                    f"full-text ceiling, 1 backend:    {ceil_1:7.1f} s  {n / ceil_1:8,.0f} rows/s"
                )

            reset(url)
            ours_w, found, new = jobfleet_ingest(url, w, spool)
            assert new == found, (found, new)
            print(f"jobfleet, {w} writers, new:        {ours_w:7.1f} s  {n / ours_w:8,.0f} rows/s")
            before = row_versions(url)
            again_w, found_again, new_again = jobfleet_ingest(url, w, spool)
            assert new_again == 0 and found_again == found
            rewritten = row_versions(url) != before
            print(
                f"jobfleet, {w} writers, re-ingest:  {again_w:7.1f} s  {n / again_w:8,.0f} rows/s"
                f"  (jobs rows rewritten: {'YES' if rewritten else 'none'})"
            )
            ours_1 = ours_w
            if w != 1:
                reset(url)
                ours_1, _, _ = jobfleet_ingest(url, 1, spool)
                print(
                    f"jobfleet, 1 writer, new:         {ours_1:7.1f} s  {n / ours_1:8,.0f} rows/s"
                )

            reset(url)
            writeup, writeup_new = writeup_ingest(url)
            assert writeup_new == found
            print(f"write-up's method, new:          {writeup:7.1f} s  {n / writeup:8,.0f} rows/s")

            print()
            grouping_cost(url, 1, spool, args.rounds)
            if w != 1:
                grouping_cost(url, w, spool, args.rounds)

            print("\nratios (higher is better; measured in this run):")
            checks = [
                (f"ingest vs ceiling ({w} writers vs {w} backends)", ceil_w / ours_w, 0.8),
                (f"ingest vs write-up ({w} writers vs 1 process)", writeup / ours_w, 2.0),
                ("ingest vs write-up (1 writer vs 1 process)", writeup / ours_1, None),
                ("ingest vs ceiling (1 writer vs 1 backend)", ceil_1 / ours_1, None),
                (f"re-ingest vs new ingest ({w} writers)", ours_w / again_w, 8.0),
            ]
            for label, ratio, target in checks:
                verdict = (
                    ""
                    if target is None
                    else (f"  target >= {target:g}: {'PASS' if ratio >= target else 'FAIL'}")
                )
                print(f"  {label:50} {ratio:6.2f}x{verdict}")
    finally:
        shutil.rmtree(spool, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The store against a real Postgres: dedup-upsert, sightings, spool and replay, search, export."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.db.handle import Database
from engine.errors import DatabaseUnavailable, UserError
from engine.jobs.export import export_jobs
from engine.jobs.importer import import_file
from engine.jobs.ingest import Store
from engine.jobs.record import JobRecord, clean_record
from engine.jobs.search import JobQuery, get_job, job_stats, search_jobs
from engine.jobs.spool import read_spool, write_spool
from engine.settings import Settings

TODAY = datetime.now(UTC).date()


def raw_job(i: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"li-{1000 + i}",
        "site": "linkedin",
        "job_url": f"https://www.linkedin.com/jobs/view/{1000 + i}?refId=abc&trackingId=x{i}",
        "title": f"Rust Backend Engineer {i}",
        "company": f"Company {i % 3}",
        "location": "Austin, TX",
        "date_posted": TODAY - timedelta(days=i % 10),
        "description": f"We build **distributed systems** in Rust. Posting number {i}.",
        "min_amount": 100000.0,
        "max_amount": 150000.0,
        "interval": "yearly",
        "currency": "USD",
        "is_remote": False,
    }
    row.update(overrides)
    return row


def records(n: int, start: int = 0, **overrides: Any) -> list[JobRecord]:
    out = []
    for i in range(start, start + n):
        record = clean_record(raw_job(i, **overrides), today=TODAY, country_hint="US")
        assert record is not None
        out.append(record)
    return out


@pytest.fixture
def store(db: Database, settings: Settings) -> Store:
    return Store(db, settings.spool_dir)


def fetch(db: Database, sql: str, params: Any = None) -> list[dict[str, Any]]:
    with db.connection() as conn:
        return [dict(r) for r in conn.execute(sql, params).fetchall()]


def row_versions(db: Database) -> dict[int, str]:
    """xmin of every jobs row: it changes when a row is rewritten."""
    return {r["id"]: r["xmin"] for r in fetch(db, "SELECT id, xmin::text AS xmin FROM jobs")}


def test_new_postings_are_inserted_with_clean_fields(store: Store, db: Database) -> None:
    result = store.save_batch(records(5), site="linkedin", location="Austin, TX")
    assert (result.found, result.new) == (5, 5)
    rows = fetch(db, "SELECT * FROM jobs ORDER BY id")
    assert len(rows) == 5
    first = rows[0]
    assert first["job_url"] == "https://www.linkedin.com/jobs/view/1000"  # tracking removed
    assert (first["city"], first["region"], first["country"]) == ("Austin", "TX", "US")
    assert first["date_posted"] == TODAY
    assert first["salary_min"] == 100000.0
    assert first["search_vector"] is not None
    runs = fetch(db, "SELECT * FROM scrape_runs")
    assert [(r["site"], r["found"], r["new"], r["outcome"]) for r in runs] == [
        ("linkedin", 5, 5, "ok")
    ]
    assert store.pending() == []


def test_known_postings_are_only_sighted_never_rewritten(store: Store, db: Database) -> None:
    batch = records(8)
    assert store.save_batch(batch, site="linkedin").new == 8
    before = row_versions(db)
    for _ in range(2):
        result = store.save_batch(records(8), site="linkedin", node_id=None)
        assert (result.found, result.new) == (8, 0)
    assert row_versions(db) == before
    dupes = fetch(db, "SELECT job_url FROM jobs GROUP BY job_url HAVING count(*) > 1")
    assert dupes == []
    counts = fetch(db, "SELECT seen_count FROM job_sightings")
    assert sorted(r["seen_count"] for r in counts) == [3] * 8


def test_a_mixed_batch_counts_only_the_new_ones(store: Store, db: Database) -> None:
    store.save_batch(records(4))
    result = store.save_batch(records(6, start=2))
    assert (result.found, result.new, result.known) == (6, 4, 2)
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 8


def test_duplicates_inside_one_batch_are_stored_once(store: Store, db: Database) -> None:
    batch = records(3) + records(3)  # same canonical URLs twice
    result = store.save_batch(batch)
    assert (result.found, result.new) == (3, 3)
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 3


def test_hostile_values_reach_postgres_clean(store: Store, db: Database) -> None:
    record = records(1)[0]
    hostile = dataclasses.replace(
        record,
        title="NUL\x00inside",
        description="lone \ud800 surrogate",
        extra={"rating": math.nan, "big": math.inf, "text": "a\x00b", "nested": [math.nan]},
    )
    assert store.save_batch([hostile]).new == 1
    row = fetch(db, "SELECT title, description, extra FROM jobs")[0]
    assert row["title"] == "NULinside"
    assert "\x00" not in row["description"]
    assert row["extra"] == {"rating": None, "big": None, "text": "ab", "nested": [None]}


def test_concurrent_batches_with_the_same_postings_store_each_once(
    db: Database, settings: Settings
) -> None:
    stores = [Store(db, settings.spool_dir) for _ in range(3)]
    db.pool  # noqa: B018 - open the pool first: Database creates it lazily, not thread-safely
    results = []
    barrier = threading.Barrier(3)

    def save(store: Store) -> None:
        barrier.wait()
        results.append(store.save_batch(records(40)))

    threads = [threading.Thread(target=save, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r.new for r in results) == 40
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 40


def test_refused_database_keeps_the_spool_and_replay_writes_it(
    store: Store, db: Database, settings: Settings, jf_home: Path
) -> None:
    # A server that refuses connections: nothing listens on this port.
    down = Database(
        Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", home=jf_home)
    )
    offline = Store(down, settings.spool_dir)
    with pytest.raises(DatabaseUnavailable):
        offline.save_batch(records(5), site="indeed", location="Remote")
    pending = offline.pending()
    assert len(pending) == 1
    assert len(read_spool(pending[0]).records) == 5
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 0

    assert store.replay_spool() == 1
    assert store.pending() == []
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 5
    runs = fetch(db, "SELECT site, location, found, new FROM scrape_runs")
    assert runs == [{"site": "indeed", "location": "Remote", "found": 5, "new": 5}]
    assert store.replay_spool() == 0


def test_next_successful_batch_replays_what_an_outage_left(
    store: Store, db: Database, settings: Settings, jf_home: Path
) -> None:
    down = Database(
        Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", home=jf_home)
    )
    with pytest.raises(DatabaseUnavailable):
        Store(down, settings.spool_dir).save_batch(records(4))
    assert len(store.pending()) == 1
    assert store.save_batch(records(1, start=300)).new == 1
    assert store.pending() == []
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 5


def test_backend_killed_mid_batch_loses_nothing(store: Store, db: Database, db_url: str) -> None:
    """The store's backend dies while its transaction is inside the INSERT: the batch stays in
    the spool and the replay writes all of it."""
    store.save_batch(records(2))  # warm the pool
    errors: list[BaseException] = []
    with psycopg.connect(db_url, autocommit=False) as blocker:
        # Hold a lock the INSERT needs, so the store's transaction waits mid-batch.
        blocker.execute("LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE")

        def save() -> None:
            try:
                store.save_batch(records(10, start=100), site="linkedin")
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=save)
        thread.start()
        victim = None
        deadline = time.monotonic() + 30
        while victim is None and time.monotonic() < deadline:
            row = blocker.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            victim = row[0] if row else None
            time.sleep(0.02)
        assert victim is not None, "the store never waited on the lock"
        blocker.execute("SELECT pg_terminate_backend(%s)", (victim,))
        thread.join(timeout=30)
        blocker.rollback()
    assert len(errors) == 1 and isinstance(errors[0], DatabaseUnavailable)
    assert len(store.pending()) == 1
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 2

    assert store.replay_spool() == 1
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 12
    assert store.pending() == []


def test_known_postings_are_spooled_as_sightings_only(
    store: Store, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Postings known before the batch is spooled take one short line, not their description;
    the replay still counts their sighting."""
    store.save_batch(records(3))

    def outage(*args: Any, **kwargs: Any) -> None:
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_write", outage)
        with pytest.raises(DatabaseUnavailable):
            store.save_batch(records(5), site="linkedin")
    (path,) = store.pending()
    spool = read_spool(path)
    assert len(spool.records) == 2 and len(spool.sightings) == 3
    assert "distributed systems" not in path.read_text().split("\n", 3)[-1].split("sighting")[-1]

    assert store.replay_spool() == 1
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 5
    assert sorted(r["seen_count"] for r in fetch(db, "SELECT seen_count FROM job_sightings")) == [
        2,
        2,
        2,
    ]
    run = fetch(db, "SELECT found, new FROM scrape_runs")[0]
    assert (run["found"], run["new"]) == (5, 2)


def test_postings_stored_between_lookup_and_write_are_sighted_not_rewritten(
    store: Store, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker stores some of the postings after this batch looked them up: the direct
    COPY fails on the unique index, and the batch still goes in (through staging) whole."""
    store.save_batch(records(3))
    before = row_versions(db)
    real = Store._known_ids
    calls = []

    def stale_lookup(conn: Any, urls: list[str]) -> dict[str, int]:
        calls.append(len(urls))
        return {} if len(calls) == 1 else real(conn, urls)

    monkeypatch.setattr(Store, "_known_ids", staticmethod(stale_lookup))
    result = store.save_batch(records(5), site="linkedin")
    assert (result.found, result.new) == (5, 2)
    assert len(calls) == 2  # the stale lookup, then the one for the postings that raced
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 5
    after = row_versions(db)
    assert {k: after[k] for k in before} == before
    assert sorted(r["seen_count"] for r in fetch(db, "SELECT seen_count FROM job_sightings")) == [
        2,
        2,
        2,
    ]
    assert store.pending() == [] and not store.failed_dir.exists()


def test_replaying_a_committed_batch_changes_nothing(store: Store, db: Database) -> None:
    """A crash between COMMIT and removing the spool file leaves a file already written."""
    batch = records(3)
    store.save_batch(batch, site="linkedin")
    batch_id = fetch(db, "SELECT batch_id FROM ingested_batches")[0]["batch_id"]
    from engine.jobs.spool import RunInfo

    write_spool(store.spool_dir, batch_id, RunInfo(site="linkedin"), batch)
    assert store.replay_spool() == 1
    assert store.pending() == []
    assert fetch(db, "SELECT count(*) AS n FROM job_sightings")[0]["n"] == 0
    assert fetch(db, "SELECT count(*) AS n FROM scrape_runs")[0]["n"] == 1


def test_unreadable_spool_file_is_moved_aside(store: Store) -> None:
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    bad = store.spool_dir / "0001-1-bad.jsonl"
    bad.write_text("not json\n")
    assert store.replay_spool() == 0
    assert not bad.exists()
    assert (store.failed_dir / bad.name).exists()


def test_record_run_for_a_failed_search(store: Store, db: Database) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    store.record_run(
        site="indeed",
        started_at=started,
        outcome="blocked",
        error="proxy http://u:hunter2@127.0.0.1:9 said 429",
        proxy="http://u:hunter2@127.0.0.1:9",
    )
    run = fetch(db, "SELECT * FROM scrape_runs")[0]
    assert run["outcome"] == "blocked"
    assert "hunter2" not in run["error"] and "hunter2" not in run["proxy"]


# --- search ---------------------------------------------------------------------------------------


@pytest.fixture
def corpus(store: Store) -> None:
    batch = records(10)  # Austin, TX, dated TODAY - i % 10 days
    batch += records(
        3, start=50, location="Berlin, Germany", title="Go Platform Engineer", site="indeed"
    )
    batch += records(2, start=80, location="Remote - US", title="Rust Developer", is_remote=True)
    store.save_batch(batch)


def test_search_full_text_newest_first(db: Database, corpus: None) -> None:
    rows = search_jobs(db, JobQuery(text="rust backend"))
    assert len(rows) == 10
    keys = [(r["date_posted"], r["id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert {"job_url", "title", "company", "city", "region", "country", "is_remote"} <= set(rows[0])
    assert search_jobs(db, JobQuery(text="rust -backend"))[0]["title"] == "Rust Developer"


def test_search_filters(db: Database, corpus: None) -> None:
    def urls(**kw: Any) -> int:
        return len(search_jobs(db, JobQuery(**kw)))

    assert urls(country="DE") == 3
    assert urls(country="germany") == 3
    assert urls(country="US", region="tx") == 10
    assert urls(city="austin") == 10
    assert urls(site="indeed") == 3
    assert urls(remote=True) == 2
    assert urls(days=0) == 3  # posted today: i = 0, 50 and 80 (i % 10 == 0)
    assert urls(text="rust", country="US", days=3, limit=2) == 2
    with pytest.raises(UserError):
        search_jobs(db, JobQuery(country="Atlantis"))


@pytest.mark.parametrize("walk_share", [0.0, 2.0])
def test_walk_and_date_ranges_give_the_same_answer(
    db: Database, corpus: None, monkeypatch: pytest.MonkeyPatch, walk_share: float
) -> None:
    import engine.jobs.newest as newest

    expected = [r["id"] for r in search_jobs(db, JobQuery(text="rust", country="US", limit=7))]
    monkeypatch.setattr(newest, "WALK_SHARE", walk_share)  # 0: always walk, 2: never
    got = [r["id"] for r in search_jobs(db, JobQuery(text="rust", country="US", limit=7))]
    assert got == expected and len(got) == 7
    paged = search_jobs(db, JobQuery(text="rust", country="US", limit=3, offset=3))
    assert [r["id"] for r in paged] == expected[3:6]


@pytest.mark.parametrize(
    "text",
    ['"unclosed', "back\\slash\\", "rust:*", "a & b | !c", "!!!", "()", "rust\x00go", "the", "'"],
)
def test_hostile_search_text_gives_a_clean_result(db: Database, corpus: None, text: str) -> None:
    rows = search_jobs(db, JobQuery(text=text))
    assert isinstance(rows, list)


def test_get_job_and_stats(db: Database, corpus: None, store: Store) -> None:
    first = search_jobs(db, JobQuery(limit=1))[0]
    job = get_job(db, first["id"])
    assert job is not None and job["description"]
    assert job["seen_count"] == 1
    assert get_job(db, 10**9) is None
    stats = job_stats(db)
    assert stats["total"] == 15
    assert stats["today"] == 15
    assert stats["by_site"] == {"linkedin": 12, "indeed": 3}
    assert stats["by_country"]["US"] == 12
    assert stats["by_day"] == {TODAY.isoformat(): 15}


# --- export and import ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_every_format(db: Database, corpus: None, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"jobs.{fmt}"
    calls: list[tuple[int, int | None]] = []
    written = export_jobs(
        db, JobQuery(country="US"), fmt, out, progress=lambda d, t: calls.append((d, t))
    )
    assert written == 12
    assert calls[-1] == (12, 12)
    if fmt == "csv":
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == 12 and rows[0]["country"] == "US"
        assert json.loads(rows[0]["extra"]) is not None
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == 12 and rows[0]["description"]
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        assert table.num_rows == 12
        assert table.column("date_posted").type.__str__() == "date32[day]"
    assert not list(tmp_path.glob(".*.part"))


def test_export_streams_in_batches(
    db: Database, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.jobs.export as export_module

    monkeypatch.setattr(export_module, "EXPORT_BATCH", 7)
    store.save_batch(records(30))
    calls: list[int] = []
    written = export_jobs(
        db, JobQuery(), "parquet", tmp_path / "x.parquet", progress=lambda d, t: calls.append(d)
    )
    assert written == 30
    assert calls == [0, 7, 14, 21, 28, 30]
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "x.parquet").num_row_groups == 5


def jobspy_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """A CSV the way python-jobspy's DataFrame.to_csv writes it."""
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)


def test_import_jobspy_csv_and_jsonl(db: Database, tmp_path: Path) -> None:
    rows = [raw_job(i) for i in range(12)]
    rows.append(raw_job(99, job_url=None))  # unusable: no URL
    rows[3]["min_amount"] = math.nan
    csv_path = tmp_path / "jobs.csv"
    jobspy_csv(csv_path, rows)
    seen: list[tuple[int, int | None]] = []
    result = import_file(db, csv_path, progress=lambda d, t: seen.append((d, t)))
    assert (result.stored, result.new, result.skipped) == (12, 12, 1)
    assert result.problems == [(14, "no usable job_url")]
    assert seen[-1][0] == seen[-1][1] == csv_path.stat().st_size
    stored = fetch(db, "SELECT city, is_remote, date_posted FROM jobs ORDER BY id LIMIT 1")[0]
    assert stored["city"] == "Austin" and stored["is_remote"] is False
    assert isinstance(stored["date_posted"], date)

    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_text("\n".join(json.dumps(raw_job(i), default=str) for i in range(10, 15)) + "\n")
    again = import_file(db, jsonl)
    assert (again.stored, again.new, again.known) == (5, 3, 2)
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 15


def test_import_skips_and_counts_bad_lines_and_stores_the_rest(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.jobs.importer as importer

    # Small batches: a bad line after a committed batch must not stop the rows behind it.
    monkeypatch.setattr(importer, "IMPORT_BATCH", 2)
    lines = [json.dumps(raw_job(i), default=str) for i in range(10)]
    lines.insert(3, "{not json")
    lines.insert(5, "[1, 2]")
    lines.insert(7, '"a string"')
    lines.insert(9, json.dumps(raw_job(50, job_url="ftp://nowhere"), default=str))
    lines.insert(11, "null")
    lines.insert(12, "")  # blank lines are not rows
    lines.append("{trailing garbage")
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(db, path)
    assert (report.stored, report.new, report.skipped) == (10, 10, 6)
    assert report.problems[:3] == [
        (4, report.problems[0][1]),
        (6, "a JSON array, not an object"),
        (8, "a JSON string, not an object"),
    ]
    assert report.problems[0][1].startswith("not JSON")
    assert report.problems[3] == (10, "no usable job_url")
    assert len(report.problems) == importer.MAX_LISTED
    assert fetch(db, "SELECT count(*) AS n FROM jobs")[0]["n"] == 10


def test_import_rejects_other_files(db: Database, tmp_path: Path) -> None:
    bogus = tmp_path / "x.csv"
    bogus.write_text("a,b\n1,2\n")
    with pytest.raises(UserError):
        import_file(db, bogus)
    with pytest.raises(UserError):
        import_file(db, tmp_path / "missing.csv")

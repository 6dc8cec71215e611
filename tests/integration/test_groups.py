"""Grouping at ingest against a real Postgres: the labelled pairs written through the store,
hard negatives, regroup, group_id in exports, concurrent writers."""

from __future__ import annotations

import csv
import json
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.db.handle import Database
from engine.jobs.export import export_jobs
from engine.jobs.groups import group_counts, regroup
from engine.jobs.ingest import Store
from engine.jobs.record import JobRecord
from engine.jobs.search import JobQuery
from engine.settings import Settings
from tests.unit.grouping_cases import Case, Posting, all_cases, hand_written, posting

# Each labelled pair gets its own stretch of time, further apart than the grouping window, so
# that pairs cannot join each other through their shared base postings.
_PAIR_SPACING = timedelta(days=200)
_EPOCH = date(2000, 1, 3)


def _record(p: Posting, *, url_suffix: str = "", shift: timedelta = timedelta(0)) -> JobRecord:
    return JobRecord(
        job_url=p.job_url + url_suffix,
        site=p.site,
        site_job_id=p.site_job_id,
        title=p.title,
        company=p.company,
        company_url=None,
        description=p.description,
        location_raw=None,
        city=p.city,
        region=p.region,
        country=p.country,
        is_remote=p.is_remote,
        date_posted=(p.date_posted + shift) if p.date_posted else None,
        job_type=None,
        salary_min=p.salary_min,
        salary_max=p.salary_max,
        salary_currency=p.salary_currency,
        salary_interval=p.salary_interval,
        emails=None,
        extra=dict(p.extra),
        search_term=None,
        node_id=None,
    )


def _shift(case_no: int, p: Posting) -> timedelta:
    base = date(2026, 3, 2)
    return (_EPOCH + case_no * _PAIR_SPACING) - base


def _groups(db: Database) -> dict[str, int]:
    with db.connection() as conn:
        return {
            r["job_url"]: r["group_id"] for r in conn.execute("SELECT job_url, group_id FROM jobs")
        }


def _store_pairs(store: Store, cases: list[Case]) -> list[tuple[Case, str, str]]:
    """Writes every pair's first postings in one batch and the second ones in another."""
    firsts, seconds, urls = [], [], []
    for n, case in enumerate(cases):
        a = _record(case.a, url_suffix=f"#a{n}", shift=_shift(n, case.a))
        b = _record(case.b, url_suffix=f"#b{n}", shift=_shift(n, case.b))
        firsts.append(a)
        seconds.append(b)
        urls.append((case, a.job_url, b.job_url))
    store.save_batch(firsts)
    store.save_batch(seconds)
    return urls


def _score(
    pairs: list[tuple[Case, str, str]], groups: dict[str, int]
) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    wrong = []
    for case, a, b in pairs:
        same = groups[a] == groups[b]
        if same and case.same:
            tp += 1
        elif same:
            fp += 1
            wrong.append(f"false positive {case.name}")
        elif case.same:
            fn += 1
            wrong.append(f"false negative {case.name}")
    return tp / max(1, tp + fp), tp / max(1, tp + fn), wrong


@pytest.fixture
def store(db: Database, settings: Settings) -> Store:
    return Store(db, settings.spool_dir)


def test_labelled_pairs_are_grouped_at_ingest(store: Store, db: Database) -> None:
    pairs = _store_pairs(store, all_cases())
    precision, recall, wrong = _score(pairs, _groups(db))
    print(
        f"\nat ingest on {len(pairs)} labelled pairs: precision {precision:.3f} recall {recall:.3f}"
    )
    for line in wrong:
        print("  " + line)
    assert precision >= 0.98, wrong
    assert recall >= 0.95, wrong
    # Every posting keeps its row; group_id is the id of a posting of the group.
    with db.connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n, count(*) FILTER (WHERE NOT EXISTS "
            "(SELECT 1 FROM jobs r WHERE r.id = j.group_id)) AS orphans, "
            "(SELECT count(*) FROM job_sketches) AS sketches FROM jobs j"
        ).fetchone()
    assert row is not None
    assert row["n"] == 2 * len(pairs) and row["orphans"] == 0 and row["sketches"] == row["n"]


def test_hard_negatives_stay_apart_and_cross_posts_join(store: Store, db: Database) -> None:
    cases = [
        c
        for c in hand_written()
        if any(word in c.kind for word in ("city", "level", "template", "cross", "repost"))
    ]
    kinds = {c.kind for c in cases}
    assert any("city" in k for k in kinds) and any("level" in k for k in kinds)
    assert any("template" in k for k in kinds)
    pairs = _store_pairs(store, cases)
    groups = _groups(db)
    for case, a, b in pairs:
        assert (groups[a] == groups[b]) == case.same or "known-miss" in case.name, case.name


def test_regroup_is_idempotent_and_keeps_ingest_groups(store: Store, db: Database) -> None:
    pairs = _store_pairs(store, hand_written())
    at_ingest = _groups(db)
    first = regroup(db)
    assert first.postings == 2 * len(pairs)
    after_first = _groups(db)
    seen: list[tuple[int, int]] = []
    second = regroup(db, progress=lambda done, total: seen.append((done, total)))
    assert second.changed == 0
    assert second.groups_before == second.groups_after == first.groups_after
    assert _groups(db) == after_first
    assert seen[-1] == (2 * len(pairs), 2 * len(pairs))
    # Regroup replays the same decisions: a pair joined at ingest is joined after it.
    for _case, a, b in pairs:
        if at_ingest[a] == at_ingest[b]:
            assert after_first[a] == after_first[b]
    assert group_counts(db) == {"postings": 2 * len(pairs), "jobs": first.groups_after}


def test_regroup_fingerprints_postings_stored_before_grouping(
    db: Database, settings: Settings
) -> None:
    """Postings written without grouping (before migration 0016) are groups of one and have no
    sketch; regroup fingerprints and groups them."""
    plain = Store(db, settings.spool_dir, grouping=False)
    pairs = _store_pairs(plain, [c for c in hand_written() if c.same][:20])
    assert all(len({g}) == 1 for g in _groups(db).values())
    assert group_counts(db)["jobs"] == 2 * len(pairs)
    summary = regroup(db)
    assert summary.groups_after < summary.groups_before
    groups = _groups(db)
    joined = sum(groups[a] == groups[b] for _c, a, b in pairs)
    assert joined >= 0.9 * len(pairs)


def test_group_id_in_every_export(store: Store, db: Database, tmp_path: Path) -> None:
    pairs = _store_pairs(store, [c for c in hand_written() if c.same][:5])
    groups = _groups(db)
    assert len(set(groups.values())) < len(groups)  # some postings share a group
    out = tmp_path / "jobs.csv"
    export_jobs(db, JobQuery(), "csv", out)
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["job_url"]: int(r["group_id"]) for r in rows} == groups
    out = tmp_path / "jobs.jsonl"
    export_jobs(db, JobQuery(), "jsonl", out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["job_url"]: r["group_id"] for r in lines} == groups
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "jobs.parquet"
    export_jobs(db, JobQuery(), "parquet", out)
    table = pq.read_table(out).to_pylist()
    assert {r["job_url"]: r["group_id"] for r in table} == groups
    assert len(pairs) == 5


def _copies(n: int) -> list[tuple[JobRecord, JobRecord, JobRecord]]:
    """Per job: the employer's posting on two boards (title and suffix spelt differently) and an
    agency's copy, each to be written by another worker at the same moment."""
    cases = {c.kind: c for c in hand_written()}
    agency = next(c for k, c in cases.items() if k.startswith("agency-hays"))
    out = []
    for i in range(n):
        shift = (_EPOCH + i * _PAIR_SPACING) - date(2026, 3, 2)
        employer = _record(agency.a, url_suffix=f"#li{i}", shift=shift)
        board = _record(
            posting(
                {
                    "text": agency.a.description,
                    "title": f"{agency.a.title} - {agency.a.city}",
                    "company": f"{agency.a.company}, Inc.",
                    "city": agency.a.city,
                    "region": agency.a.region,
                    "country": agency.a.country,
                    "site": "indeed",
                }
            ),
            url_suffix=f"#in{i}",
            shift=(_EPOCH + i * _PAIR_SPACING) - date(2026, 3, 2),
        )
        copy = _record(agency.b, url_suffix=f"#ag{i}", shift=shift)
        out.append((employer, board, copy))
    return out


def test_concurrent_writers_of_copies_converge(db: Database, settings: Settings) -> None:
    """Three workers write three postings of one job at the same moment, 8 times: the
    employer's two cross-posts share a group once each worker's batch is settled (the one that
    found the employer-and-place key busy groups its posting again after the other committed);
    the agency's copy, which shares no such key, joins them at ingest or, at worst, after
    `jobs regroup`."""
    jobs = _copies(8)
    stores = [Store(db, settings.spool_dir / str(n)) for n in range(3)]
    for trio in jobs:
        barrier = threading.Barrier(3, timeout=30)
        errors: list[BaseException] = []

        def write(
            store: Store,
            record: JobRecord,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                barrier.wait()
                store.save_batch([record])
                store.settle_groups()  # as a worker does at the end of each scrape
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=write, args=(s, r)) for s, r in zip(stores, trio, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
    groups = _groups(db)
    for employer, board, _copy in jobs:
        assert groups[employer.job_url] == groups[board.job_url]
    regroup(db)
    groups = _groups(db)
    for employer, board, copy in jobs:
        assert groups[employer.job_url] == groups[board.job_url] == groups[copy.job_url]


def test_cli_stats_counts_jobs_and_regroup_reports(jf_env: dict[str, str], tmp_path: Path) -> None:
    from tests.cli import jobfleet

    body = " ".join(
        f"Sentence {n} about building payment systems with Rust and Postgres for merchants."
        for n in range(12)
    )
    rows = []
    for i in range(3):  # three jobs, each on LinkedIn and Indeed (spelt the boards' ways)
        common = {"location": "Austin, TX", "description": f"Job {i}. {body}"}
        rows.append(
            {
                **common,
                "site": "linkedin",
                "job_url": f"https://www.linkedin.com/jobs/view/{900 + i}",
                "title": f"Senior Rust Engineer {'ABC'[i]}",
                "company": "Northwind Payments",
            }
        )
        rows.append(
            {
                **common,
                "site": "indeed",
                "job_url": f"https://www.indeed.com/viewjob?jk=nw{i}",
                "title": f"Sr. Rust Engineer {'ABC'[i]} - Austin, TX",
                "company": "Northwind Payments, Inc.",
            }
        )
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = jobfleet(jf_env, "jobs", "import", "--quiet", str(path))
    assert done.returncode == 0, done.stderr
    stats = jobfleet(jf_env, "jobs", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    report = json.loads(stats.stdout)
    assert (report["jobs"], report["postings"], report["total"]) == (3, 6, 6)
    table = jobfleet(jf_env, "jobs", "stats")
    assert "jobs" in table.stdout and "postings" in table.stdout
    again = jobfleet(jf_env, "jobs", "regroup", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "postings": 6,
        "groups_before": 3,
        "groups_after": 3,
        "changed": 0,
    }
    plain = jobfleet(jf_env, "jobs", "regroup")
    assert "regrouped 6 postings: 3 jobs before, 3 after; 0 postings changed group" in plain.stderr

"""Search latency on 1,000,000 postings: jobfleet's search against the plain query, in one run.

    .venv/bin/python bench/bench_search.py --database-url postgresql://postgres@127.0.0.1:5432/jobfleet_bench_1m
    .venv/bin/python bench/bench_search.py --rows 100000          # a quick run on a fresh database

The corpus (bench/search_corpus.py: ~3 KB descriptions with English's rank-frequency law, skill
words in 0.02-9 % of postings, 180 days of dates, cross-posted groups) is built once into the
given database and reused by later runs (a marker table records what was loaded; building 1M
postings takes ~20 minutes on two shared cores, mostly Postgres computing the tsvectors).

Each search runs twice, interleaved: ``engine.jobs.search.search_jobs`` (what the CLI and TUI call)
and the plain query (full-text ``@@`` + filters, ``ORDER BY posted DESC LIMIT 50``, one statement),
after an untimed warm-up pass of both. Both must return the same page (checked for every search).
Terms are classed by the share of postings they match, measured: rare < 0.3 % <= medium <= 5 % <
common. The write-up's example ("rust backend" in the US, last 7 days) is timed on its own. The
merged view (one row per job) is timed too.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench._common import bench_database, percentile, server_version
from bench.search_corpus import SKILLS, Corpus, ensure_corpus
from engine.db.handle import Database
from engine.db.queries import q
from engine.jobs.search import JobQuery, plain_search, query_params, search_jobs
from engine.settings import Settings

EXAMPLE = JobQuery(text="rust backend", country="US", days=7)
FILTERS: list[dict[str, Any]] = [
    {"country": "US"},
    {"country": "US", "days": 7},
    {"days": 7},
    {"country": "DE", "region": "BY"},
    {"city": "Austin"},
    {"site": "indeed", "days": 30},
    {"country": "GB", "remote": True},
    {"days": 1},
    {"country": "US", "region": "CA", "days": 7},
    {},
    {"country": "IN", "site": "linkedin"},
    {"city": "München", "days": 7},
]
TARGETS = {"p95": 15.0, "medium_p95": 25.0, "ratio": 1.5, "example": 5.0}
# The plain query walks the whole date index for some searches (tens of seconds on a busy
# machine): it is cut at this many ms and counted as that (its page is then not compared).
PLAIN_CUT_MS = 3000


def plain_page(conn: psycopg.Connection[Any], query: JobQuery) -> list[int] | None:
    """The plain query's page, or None when it ran past PLAIN_CUT_MS."""
    try:
        rows = conn.execute(q("jobs_search_plain"), query_params(query), prepare=False)
        return [int(r[0]) for r in rows.fetchall()]
    except psycopg.errors.QueryCanceled:
        return None


def share(conn: psycopg.Connection[Any], term: str, total: int) -> float:
    row = conn.execute(
        "SELECT count(*) FROM jobs WHERE search_vector @@ websearch_to_tsquery('english', %s)",
        (term,),
    ).fetchone()
    return (int(row[0]) if row else 0) / total


def pick_terms(url: str, rows: int, seed: int) -> dict[str, list[tuple[str, float]]]:
    """Candidate terms, classed by the share of postings they really match."""
    corpus = Corpus(seed)
    rng = random.Random(seed + 99)
    candidates = [w for w, _ in SKILLS]
    candidates += [corpus.vocab[rng.randint(r, r * 3)] for r in (30, 100, 300, 1000, 3000) * 3]
    candidates += [corpus.vocab[rng.randint(10_000, 29_000)] for _ in range(4)]
    candidates += [
        "rust backend", "kubernetes architect", "payments -senior", '"machine learning"',
        "python kafka", "engineer", "senior", "developer OR engineer", "data", "team",
        "experience", "java spark", "elixir OR erlang", "principal architect",
    ]  # fmt: skip
    classes: dict[str, list[tuple[str, float]]] = {"rare": [], "medium": [], "common": []}
    with psycopg.connect(url) as conn:
        for term in dict.fromkeys(candidates):
            s = share(conn, term, rows)
            cls = "rare" if s < 0.003 else "medium" if s <= 0.05 else "common"
            classes[cls].append((term, s))
    return classes


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run(url: str, terms: dict[str, list[tuple[str, float]]], n: int, seed: int) -> None:
    rng = random.Random(seed)
    plan: list[tuple[str, JobQuery]] = []
    classes = [c for c in terms if terms[c]]
    for i in range(n):
        cls = classes[i % len(classes)]
        term, _ = rng.choice(terms[cls])
        plan.append((cls, JobQuery(text=term, limit=50, **rng.choice(FILTERS))))
    settings = Settings(database_url=url, home=Path("/tmp"))
    fast: dict[str, list[float]] = defaultdict(list)
    plain: dict[str, list[float]] = defaultdict(list)
    grouped: list[float] = []
    differ: list[JobQuery] = []
    slowest: list[tuple[float, float, str, JobQuery]] = []
    cut = 0
    with Database(settings) as db, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"SET statement_timeout = {PLAIN_CUT_MS}")
        for _, query in plan:  # warm-up: every search once each way, untimed
            search_jobs(db, query)
            plain_page(conn, query)
        for cls, query in plan:
            start = time.perf_counter()
            got = search_jobs(db, query)
            ms_fast = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            expected = plain_page(conn, query)
            ms_plain = (time.perf_counter() - start) * 1000
            if expected is None:
                cut += 1
                ms_plain = PLAIN_CUT_MS
            elif [r["id"] for r in got] != expected:
                differ.append(query)
            grouped.append(timed(lambda q=query: search_jobs(db, replace(q, grouped=True))))
            for key in (cls, "all"):
                fast[key].append(ms_fast)
                plain[key].append(ms_plain)
            slowest.append((ms_fast, ms_plain, cls, query))
        example_fast, example_plain = [], []
        for _ in range(30):
            example_fast.append(timed(lambda: search_jobs(db, EXAMPLE)))
            example_plain.append(timed(lambda: plain_search(db, EXAMPLE)))
    print(f"\n{n} searches (limit 50, newest first), milliseconds, jobfleet vs plain query:")
    print(f"  {'class':8} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} | {'plain p50':>9} "
          f"{'p95':>7} | {'p95 ratio':>9}")  # fmt: skip
    for cls in [*classes, "all"]:
        f, p = fast[cls], plain[cls]
        print(
            f"  {cls:8} {len(f):>4} {percentile(f, 50):>7.1f} {percentile(f, 95):>7.1f} "
            f"{max(f):>7.1f} | {percentile(p, 50):>9.1f} {percentile(p, 95):>7.1f} | "
            f"{percentile(p, 95) / percentile(f, 95):>8.2f}x"
        )
    p95 = percentile(fast["all"], 95)
    medium = percentile(fast["medium"], 95)
    ratio = percentile(plain["all"], 95) / p95
    example = percentile(example_fast, 50)
    print(f"\nmerged view (one row per job), same searches: p50 {percentile(grouped, 50):.1f} ms, "
          f"p95 {percentile(grouped, 95):.1f} ms")  # fmt: skip
    print(
        f"write-up example {vars_of(EXAMPLE)}: median of 30 {example:.1f} ms "
        f"(p95 {percentile(example_fast, 95):.1f}) vs plain {percentile(example_plain, 50):.1f} "
        f"ms (p95 {percentile(example_plain, 95):.1f})"
    )
    t = TARGETS
    checks = [
        ("p95 overall", p95, f"<= {t['p95']} ms", p95 <= t["p95"]),
        ("medium terms p95", medium, f"<= {t['medium_p95']} ms", medium <= t["medium_p95"]),
        ("plain p95 / jobfleet p95", ratio, f">= {t['ratio']}x", ratio >= t["ratio"]),
        ("example (median)", example, f"<= {t['example']} ms", example <= t["example"]),
    ]
    print("\ntargets:")
    for name, value, target, ok in checks:
        print(f"  {name:26} {value:7.2f}  {target:10} {'PASS' if ok else 'FAIL'}")
    same = n - cut - len(differ)
    print(f"  identical pages            {same}/{n - cut}  {'PASS' if not differ else 'FAIL'}")
    if cut:
        print(f"  ({cut} plain queries cut at {PLAIN_CUT_MS} ms, counted as {PLAIN_CUT_MS} ms)")
    for query in differ[:5]:
        print(f"    differs: {vars_of(query)}")
    print("slowest five (jobfleet ms, plain ms):")
    for ms_fast, ms_plain, cls, query in sorted(slowest, key=lambda s: s[0], reverse=True)[:5]:
        print(f"  {ms_fast:7.1f} {ms_plain:7.1f}  {cls:6}  {vars_of(query)}")


def vars_of(query: JobQuery) -> dict[str, Any]:
    return {k: v for k, v in vars(query).items() if v not in (None, 0, 50, False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="build the corpus into this database once and reuse it (its jobs table is replaced)",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="postings (default 1M)")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep a fresh database")
    args = parser.parse_args()
    with bench_database(args.database_url, keep=args.keep) as (url, where):
        print(f"PostgreSQL {server_version(url)}, {where}")
        ensure_corpus(url, args.rows, args.seed)
        terms = pick_terms(url, args.rows, args.seed)
        print("terms (share of postings):")
        for cls, found in terms.items():
            print(f"  {cls:7} " + ", ".join(f"{t!r} {s:.2%}" for t, s in found))
        run(url, terms, args.searches, args.seed)


if __name__ == "__main__":
    main()

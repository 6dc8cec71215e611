"""Dashboard responsiveness and database load with 200 nodes.

Measures, in one run on this machine:
  * key press → screen updated: from the key event to the next frame the app hands to its
    terminal driver (the frame's segments are rendered to text, as a real terminal write would),
    for selection moves, paging, a filter keystroke and a re-sort of all cards;
  * a poll applied: every node's heartbeat and counters change each second (a background thread
    plays 200 workers), and the dashboard updates its cards in place; meanwhile keys keep coming
    (selection moves and paging), so some land on a poll's frame;
  * the UI thread's own CPU time from key to frame: what the app itself spends, whatever else
    the machine is doing (on a shared machine the wall-clock figures also carry other processes);
  * the dashboard's database load: queries per second and milliseconds of database time per
    second spent by its polls (counted and timed around each call).

Uses $JOBFLEET_DATABASE_URL's server when set (a scratch database is created and dropped), else
a throwaway embedded server. Run: .venv/bin/python bench/bench_tui.py [--nodes 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from engine.db.embedded import embedded_url, remove_embedded
from engine.db.handle import Database
from engine.settings import Settings
from tui.app import JobfleetApp
from tui.widgets.card_grid import CardGrid

STATUSES = ["running"] * 6 + ["stopped", "backoff", "fatal", "starting"]


@contextmanager
def scratch_database() -> Any:
    root = None
    admin = os.environ.get("JOBFLEET_DATABASE_URL")
    if not admin:
        root = Path(tempfile.mkdtemp(prefix="jf-bench-"))
        admin = embedded_url(root / "pg")
    name = f"jf_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = psycopg.conninfo.conninfo_to_dict(admin)
    params["dbname"] = name
    url = psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]
    try:
        yield url, root
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        if root is not None:
            with suppress(Exception):
                remove_embedded(root / "pg")
            shutil.rmtree(root, ignore_errors=True)


def seed(db: Database, count: int) -> None:
    rng = random.Random(7)
    with db.connection() as conn:
        for i in range(count):
            status = STATUSES[i % len(STATUSES)]
            alive = status in ("running", "starting")
            spec = {
                "name": f"node-{i:03d}",
                "search_term": rng.choice(["python", "data engineer", "nurse", "devops"]),
                "country": rng.choice(["US", "DE", "GB", "FR", "ES"]),
                "locations": ["A", "B", "C"],
                "sites": ["linkedin", "indeed"],
            }
            conn.execute(
                "INSERT INTO nodes (name, spec, desired, status, pid, heartbeat_at, started_at,"
                " jobs_found, jobs_new, locations_total, rss_bytes, restarts, last_error)"
                " VALUES (%s, %s, %s, %s::node_status, %s, now(), now() - interval '1 hour',"
                " %s, %s, 3, %s, %s, %s)",
                (
                    spec["name"],
                    json.dumps(spec),
                    "running" if status != "stopped" else "stopped",
                    status,
                    10_000 + i if alive else None,
                    rng.randint(0, 5000),
                    rng.randint(0, 500),
                    rng.randint(40, 200) * 2**20 if alive else None,
                    rng.randint(0, 3),
                    "scrape child timed out" if status in ("backoff", "fatal") else None,
                ),
            )


def churn(db: Database, stop: threading.Event) -> None:
    """Play the workers: every second each running node heartbeats and finds a few jobs."""
    while not stop.wait(1.0):
        with db.connection() as conn:
            conn.execute(
                "UPDATE nodes SET heartbeat_at = now(), jobs_found = jobs_found + 1 + (id % 3),"
                " jobs_new = jobs_new + (id % 2), rss_bytes = rss_bytes + 4096"
                " WHERE status = 'running'"
            )


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"


async def run(url: str, home: Path, nodes: int, seconds: float) -> dict[str, Any]:
    settings = Settings(database_url=url, home=home)
    db = Database(settings)
    db.migrate()
    seed(db, nodes)
    # As ``jobfleet`` runs it (tui.app.run_app), minus the embedded supervisor.
    app = JobfleetApp(
        settings,
        db=db,
        supervise=False,
        poll_interval=float(os.environ.get("BENCH_POLL", "1.0")),
        freeze_gc=os.environ.get("BENCH_FREEZE_GC", "1") == "1",
    )
    frames: list[float] = []
    frames_cpu: list[float] = []  # the UI thread's CPU clock at each frame
    cpu: dict[str, list[float]] = {}
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            # What a terminal write costs: turn the frame into escape sequences.
            with suppress(Exception):
                "".join(s.text for s in app.console.render(renderable))
            frames.append(time.perf_counter())
            frames_cpu.append(time.thread_time())
        original(screen, renderable)

    app._display = display  # type: ignore[method-assign]
    results: dict[str, Any] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        started = time.perf_counter()
        grid = app.dashboard.query_one(CardGrid)
        while len(grid.nodes) < nodes:
            await pilot.pause(0.01)
        await pilot.pause()
        results["first_show_s"] = time.perf_counter() - started

        async def press(key: str, kind: str) -> float:
            """Wall time from the key to its frame; the UI thread's CPU time goes to ``cpu``."""
            before = len(frames)
            c0 = time.thread_time()
            t0 = time.perf_counter()
            await pilot.press(key)
            while len(frames) == before:
                await asyncio.sleep(0.001)
            cpu.setdefault(kind, []).append(frames_cpu[before] - c0)
            return frames[before] - t0

        async def measure(keys: list[str], kind: str) -> list[float]:
            out = []
            for key in keys:
                out.append(await press(key, kind))
                await pilot.pause(0.02)
            return out

        grid.focus()
        results["move"] = await measure(["right", "down", "left", "down"] * 10, "move")
        results["page"] = await measure(["pagedown", "pagedown", "pageup"] * 5, "page")
        await pilot.press("slash")
        results["filter_key"] = await measure(["1", "backspace"] * 10, "filter_key")
        await pilot.press("enter")
        grid.focus()
        results["sort"] = await measure(["o"] * 12, "sort")

        # Polls applied while 200 nodes change every second, and the load they put on the DB.
        applied: list[float] = []
        original_apply = app.dashboard.apply_snapshot

        async def timed_apply(snap: Any) -> None:
            t0 = time.perf_counter()
            await original_apply(snap)
            applied.append(time.perf_counter() - t0)

        app.dashboard.apply_snapshot = timed_apply  # type: ignore[method-assign]
        stop = threading.Event()
        worker_db = Database(settings)
        thread = threading.Thread(target=churn, args=(worker_db, stop), daemon=True)
        thread.start()
        assert app.data is not None
        app.data.load.reset()
        t0 = time.perf_counter()
        # Keys keep coming while every node changes: some land on the frame of a poll.
        keys = ["right", "down", "left", "up", "pagedown", "pageup"]
        during: list[float] = []
        while time.perf_counter() - t0 < seconds:
            during.append(await press(keys[len(during) % len(keys)], "during_churn"))
            await pilot.pause(0.05)
        calls, db_seconds = app.data.load.reset()
        elapsed = time.perf_counter() - t0
        stop.set()
        thread.join()
        worker_db.close()
        results["poll_apply"] = applied
        results["during_churn"] = during
        results["cpu"] = cpu
        results["queries_per_s"] = calls / elapsed
        results["db_ms_per_s"] = db_seconds * 1000 / elapsed
        results["polls"] = len(applied)
    db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with scratch_database() as (url, _root), tempfile.TemporaryDirectory() as home:
        r = asyncio.run(run(url, Path(home), args.nodes, args.seconds))
    kind = "external" if os.environ.get("JOBFLEET_DATABASE_URL") else "embedded"
    print(f"jobfleet dashboard, {args.nodes} nodes, 160x50, {kind} PostgreSQL")
    print(f"  first poll → {args.nodes} cards shown: {r['first_show_s'] * 1000:.0f} ms")
    if os.environ.get("BENCH_VERBOSE"):
        for k in ("move", "page", "filter_key", "sort", "during_churn"):
            print(k, [round(x * 1000) for x in r[k]])
    kinds = {
        "move": "move selection ",
        "page": "page down/up   ",
        "filter_key": "filter keystroke",
        "sort": "re-sort all    ",
        "during_churn": "during churn   ",
    }
    for kind, label in kinds.items():
        print(f"  key → frame, {label}: {summary(r[kind])}")
    everything = [x for k in kinds for x in r[k]]
    print(f"  key → frame, all keys        : {summary(everything)} ({len(everything)} keys)")
    cpu_all = [x for k in kinds for x in r["cpu"][k]]
    print(f"  UI-thread CPU, key → frame   : {summary(cpu_all)} (other processes excluded)")
    print(f"  poll applied (all changed)   : {summary(r['poll_apply'])} ({r['polls']} polls)")
    print(
        f"  database load: {r['queries_per_s']:.1f} queries/s, "
        f"{r['db_ms_per_s']:.1f} ms of database time per second"
    )


if __name__ == "__main__":
    main()

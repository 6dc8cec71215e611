"""The scrape loop of a worker: one long-lived process per node (``python -m engine.worker ID``).

Spawned by the supervisor in a session of its own, with the database URL and every secret in its
environment (never in argv, which ``ps`` shows). Each cycle walks the node's locations: memory
gate, proxy check, one disposable scrape child (``engine.worker.scrape.run_scrape``), store (spool
first, so a database outage loses nothing), metrics, a randomized delay. The threads that keep it
tied to its supervisor (heartbeat, dead man's switch, stop listener) are in
``engine.worker.lifelines``; SIGTERM stops it too.

It must stay small (the target is 60 MB idle): it never imports pandas or jobspy, and it uses
two connections — one for LISTEN, one shared by heartbeat, events and writes — never a pool.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import psutil
import psycopg

from engine.db.connections import SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable, UserError
from engine.fleet.events import EventWriter, known_secrets, log_text
from engine.fleet.spec import NodeSpec, SpecError, ca_file_problem, load_stored_spec
from engine.protocol import EXIT_CONFIG, EXIT_ONCE, EXIT_RECYCLE, EXIT_STOPPED
from engine.settings import Settings
from engine.worker.children import kill_descendant_groups
from engine.worker.cooldowns import Cooldowns
from engine.worker.lifelines import Lifelines
from engine.worker.proxies import ProxyCheck, check_proxy, resolve_proxy, shown_proxy
from engine.worker.resume import Position, resume_point
from engine.worker.scrape import ScrapeRequest, ScrapeResult, run_scrape

if TYPE_CHECKING:
    from engine.jobs.ingest import Store
    from engine.jobs.record import JobRecord

log = logging.getLogger(__name__)

# A proxy that passed its check is trusted this long before it is checked again.
PROXY_RECHECK_S = 600.0
# When no configured proxy is usable, wait this long before trying again.
PROXY_RETRY_S = 60.0

ScrapeFn = Callable[[ScrapeRequest], ScrapeResult]
ProxyCheckFn = Callable[[str, str | None, float], ProxyCheck]


class Worker:
    """One node's worker: its lifelines, then scrape cycles until something asks it to stop."""

    def __init__(
        self,
        node_id: int,
        settings: Settings,
        db: Database,
        *,
        scrape: ScrapeFn = run_scrape,
        proxy_check: ProxyCheckFn = check_proxy,
        mirror: TextIO | None = None,
    ) -> None:
        self.node_id = node_id
        self.settings = settings
        self.db = db
        self.conn = SharedConnection(db, retry_after=0.5)
        self.events = EventWriter(self.conn, mirror=mirror, flush_interval=0.5)
        self.lifelines = Lifelines(node_id, settings, db, self.conn, self.events)
        self.pid = self.lifelines.pid
        self.stop = self.lifelines.stop
        self._scrape_fn = scrape
        self._proxy_check = proxy_check
        self.cooldowns = Cooldowns()
        self._proxy_ok_at: dict[str, float] = {}
        self._spool_pending = False
        self._proc = self.lifelines.proc
        self.scrapes = 0
        self._unsent = [0, 0]  # found/new not yet added to the row (database away)
        # Whether last_error holds a scrape failure this worker wrote (cleared once every site
        # of a scrape succeeds; an error from elsewhere, a crash reason, is left alone).
        self._scrape_error_shown = False
        # SIGUSR1 (its window closed): finish the scrape under way, then exit.
        self._scraping = False
        self._draining = False
        self.once = False  # run one cycle and exit (jobfleet run-once), from the row

    def _on_drain(self, _signum: int, _frame: object) -> None:
        self._draining = True
        if not self._scraping:
            self.request_stop("outside its active hours")

    def request_stop(self, reason: str, code: int = EXIT_STOPPED) -> None:
        self.lifelines.request_stop(reason, code)

    @property
    def exit_code(self) -> int:
        return self.lifelines.exit_code

    # --- the run ---

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.lifelines.on_signal)
        signal.signal(signal.SIGINT, self.lifelines.on_signal)
        signal.signal(signal.SIGUSR1, self._on_drain)
        try:
            spec, position = self._load()
            ca_problem = ca_file_problem(spec.ca_cert)
            if ca_problem:
                raise SpecError(f"ca_cert: {ca_problem}")
            # Refuses a reference JOBFLEET_SECRET_ENV does not allow (the row may not have come
            # through deploy); registers every value it substitutes as a secret.
            proxies = [resolve_proxy(p, self.settings.secret_env) for p in spec.proxies]
        except (SpecError, UserError) as exc:
            self.events.error("config_error", str(exc), node_id=self.node_id)
            self._record_error(str(exc))
            self.lifelines.exit_code = EXIT_CONFIG
            self._finish()
            return self.exit_code
        self.lifelines.start()
        self.events.info(
            "worker_started",
            f"worker pid {self.pid} started",
            node_id=self.node_id,
            pid=self.pid,
            rss_mb=self._proc.memory_info().rss >> 20,
        )
        try:
            self._cycles(spec, proxies, position)
        except Exception as exc:
            self.events.error(
                "worker_crashed", f"{exc.__class__.__name__}: {exc}", node_id=self.node_id
            )
            self._record_error(f"{exc.__class__.__name__}: {exc}")
            self.lifelines.exit_code = 1
        self._finish()
        return self.exit_code

    def _load(self) -> tuple[NodeSpec, Position]:
        while True:
            try:
                with self.conn.connection() as conn:
                    row = conn.execute(q("worker_row"), {"id": self.node_id}).fetchone()
                break
            except DatabaseUnavailable:
                if self.stop.wait(1.0):
                    raise UserError("stopped before the database answered") from None
        if row is None:
            raise UserError(f"node {self.node_id} does not exist")
        self.once = bool(row.get("run_once"))
        position = Position(
            int(row["cycle"] or 0),
            int(row["locations_done"] or 0),
            int(row["locations_total"] or 0),
            row["current_location"],
        )
        return load_stored_spec(row["spec"]), position

    def _finish(self) -> None:
        self.stop.set()
        kill_descendant_groups()
        self.lifelines.join(timeout=5)
        with (
            contextlib.suppress(DatabaseUnavailable, psycopg.Error),
            self.conn.connection() as conn,
        ):
            conn.execute(
                q("worker_exit"), {"id": self.node_id, "pid": self.pid, "code": self.exit_code}
            )
        self.events.info(
            "worker_exit",
            f"worker pid {self.pid} exiting ({self.lifelines.stop_reason or 'done'})",
            node_id=self.node_id,
            code=self.exit_code,
            scrapes=self.scrapes,
        )
        self.events.close(timeout=3)
        self.conn.close()

    def _record_error(self, message: str | None) -> None:
        """Write last_error, secrets masked (None clears it)."""
        error = None if message is None else log_text(message, 1000)
        with (
            contextlib.suppress(DatabaseUnavailable, psycopg.Error),
            self.conn.connection() as conn,
        ):
            conn.execute(
                q("worker_last_error"), {"id": self.node_id, "pid": self.pid, "error": error}
            )

    def _cycles(self, spec: NodeSpec, proxies: list[str], position: Position) -> None:
        # Imported once the lifelines run: engine.jobs brings engine.geo and pycountry (~2 MB,
        # a tenth of a second) that the first heartbeat and a config error need not wait for.
        from engine.jobs.ingest import Store

        store = Store(
            self.db, self.settings.spool_dir / f"node-{self.node_id}", connections=self.conn
        )
        self._spool_pending = bool(store.pending())
        lived = 0
        locations: list[str | None] = list(spec.locations) or [None]
        cycle, start = resume_point(position, locations)
        if self.once:  # a whole cycle, now
            cycle, start = position.cycle + 1, 0
            self.events.info(
                "run_once", f"running cycle {cycle} once", node_id=self.node_id, cycle=cycle
            )
        elif start:
            self.events.info(
                "cycle_resumed",
                f"resuming cycle {cycle} at location {start + 1} of {len(locations)}",
                node_id=self.node_id,
                cycle=cycle,
                location=locations[start],
            )
        # Spread the first scrapes: a hundred workers started together (after a reboot, a
        # deploy of many nodes) must not all hit the boards, and the CPU, at the same moment.
        if not self.once:
            self.stop.wait(random.uniform(0, spec.delay_min))
        while not self.stop.is_set():
            lived += 1
            began = time.monotonic()
            self._metrics(cycle=cycle, done=start, total=len(locations), location=None)
            for index in range(start, len(locations)):
                location = locations[index]
                if self.stop.is_set():
                    return
                self._scraping = True
                self._scrape_one(spec, proxies, store, cycle, index, len(locations), location)
                self._scraping = False
                if self._draining:
                    self.request_stop("outside its active hours")
                if self.stop.is_set():
                    return
                if self.once and index == len(locations) - 1:
                    self.request_stop("run-once cycle done", EXIT_ONCE)
                    return
                self.stop.wait(random.uniform(spec.delay_min, spec.delay_max))
            start = 0
            if spec.max_cycles and lived >= spec.max_cycles:
                self.events.info(
                    "recycle", f"{lived} cycles done; exiting to be recycled", node_id=self.node_id
                )
                self.request_stop("max cycles reached", EXIT_RECYCLE)
                return
            rest = spec.cycle_minutes * 60 - (time.monotonic() - began)
            if rest > 0:
                self.events.debug(
                    "cycle_wait", f"cycle {cycle} done; next in {rest:.0f} s", node_id=self.node_id
                )
                self.stop.wait(rest)
            cycle += 1

    def _memory_gate(self) -> bool:
        """Wait while available RAM is below the threshold; False if stopped meanwhile."""
        floor = self.settings.min_available_mb * 1024 * 1024
        warned = False
        while not self.stop.is_set():
            available = psutil.virtual_memory().available
            if available >= floor:
                if warned:
                    self.events.info("memory_ok", "memory available again", node_id=self.node_id)
                return True
            if not warned:
                self.events.warning(
                    "memory_low",
                    f"only {available >> 20} MiB available (minimum "
                    f"{self.settings.min_available_mb}); waiting",
                    node_id=self.node_id,
                )
                warned = True
            self.stop.wait(self.settings.memory_wait)
        return False

    def _usable_proxies(self, spec: NodeSpec, proxies: list[str]) -> list[str] | None:
        """Checked proxies; [] when none is configured; None when none configured works."""
        if not proxies:
            return []
        usable = []
        now = time.monotonic()
        for proxy in proxies:
            checked = self._proxy_ok_at.get(proxy)
            if checked is not None and now - checked < PROXY_RECHECK_S:
                usable.append(proxy)
                continue
            result = self._proxy_check(proxy, spec.ca_cert, 10)
            if result.ok:
                self._proxy_ok_at[proxy] = time.monotonic()
                usable.append(proxy)
                self.events.info(
                    "proxy_ok",
                    f"proxy {shown_proxy(proxy)} exits at {result.exit_ip}",
                    node_id=self.node_id,
                    proxy=shown_proxy(proxy),  # which proxy: alerts close per proxy
                )
            else:
                self._proxy_ok_at.pop(proxy, None)
                self.events.error(
                    "proxy_failed",
                    result.error or "proxy check failed",
                    node_id=self.node_id,
                    proxy=shown_proxy(proxy),
                )
                self._record_error(result.error or "proxy check failed")
        return usable or None

    def _run_scrape(self, req: ScrapeRequest) -> ScrapeResult | None:
        """The scrape in a helper thread, so a stop can kill the child at once."""
        scrape = self._scrape_fn
        results: list[ScrapeResult] = []
        errors: list[BaseException] = []

        def target() -> None:
            try:
                results.append(scrape(req))
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=target, name="scrape", daemon=True)
        thread.start()
        while thread.is_alive():
            if self.stop.wait(0.2):
                kill_descendant_groups()
                thread.join(timeout=10)
                return None
        if errors:
            raise errors[0]
        return results[0]

    def _scrape_one(
        self,
        spec: NodeSpec,
        proxies: list[str],
        store: Store,
        cycle: int,
        index: int,
        total: int,
        location: str | None,
    ) -> None:
        if not self._memory_gate():
            return
        while not self.stop.is_set():
            sites = self.cooldowns.available(spec.sites)
            if sites:
                break
            wait = self.cooldowns.next_free_in(spec.sites)
            self.events.info(
                "all_sites_cooling",
                f"every site is cooling down; next in {wait:.0f} s",
                node_id=self.node_id,
            )
            self.stop.wait(wait + 0.1)
        else:
            return
        usable = self._usable_proxies(spec, proxies)
        if usable is None:
            self.events.error(
                "scrape_skipped",
                f"no usable proxy; not scraping {location or 'anywhere'} without one",
                node_id=self.node_id,
            )
            self._record_skipped(store, spec, sites, location, "no usable proxy")
            self.stop.wait(PROXY_RETRY_S)
            return
        if self._spool_pending:
            self._replay(store)
        self._metrics(cycle=cycle, done=index, total=total, location=location, sites=sites)
        req = ScrapeRequest(
            sites=sites,
            search_term=spec.search_term,
            location=location,
            country=spec.country,
            results_wanted=spec.results_wanted,
            hours_old=spec.hours_old,
            proxies=usable,
            ca_cert=spec.ca_cert,
            node_id=self.node_id,
            timeout=self.settings.search_timeout,
            masked=tuple(known_secrets()),
        )
        result = self._run_scrape(req)
        if result is None:
            return
        self.scrapes += 1
        found, new = self._store(store, spec, result, location, usable)
        self._metrics(
            cycle=cycle, done=index + 1, total=total, location=location, found=found, new=new
        )

    def _store(
        self,
        store: Store,
        spec: NodeSpec,
        result: ScrapeResult,
        location: str | None,
        proxies: list[str],
    ) -> tuple[int, int]:
        by_site: dict[str, list[JobRecord]] = {}
        for record in result.records:
            by_site.setdefault(record.site, []).append(record)
        proxy_shown = ", ".join(shown_proxy(p) for p in proxies) or None
        # Loaded with engine.jobs once the lifelines run (see _cycles).
        from engine.jobs.spool import RunInfo

        batches: list[tuple[RunInfo, list[JobRecord]]] = []
        for outcome in result.outcomes:
            if outcome.outcome == "blocked":
                delay = self.cooldowns.blocked(outcome.site)
                self.events.warning(
                    "site_blocked",
                    f"{outcome.site} blocked the scrape; cooling down for {delay:.0f} s",
                    node_id=self.node_id,
                    site=outcome.site,
                    error=outcome.error,
                )
            elif outcome.outcome == "ok":
                self.cooldowns.ok(outcome.site)
            else:
                self.events.warning(
                    f"scrape_{outcome.outcome}",
                    f"{outcome.site}: {outcome.error or outcome.outcome}",
                    node_id=self.node_id,
                    site=outcome.site,
                    location=location,
                )
            run = RunInfo(
                site=outcome.site,
                node_id=self.node_id,
                location=location,
                search_term=spec.search_term,
                started_at=result.started_at,
                outcome=outcome.outcome,
                error=outcome.error,
                proxy=proxy_shown,
            )
            batches.append((run, by_site.get(outcome.site, [])))
        # Every site's batch is spooled before any is stored: the child's result file is gone,
        # and a crash during one site's store must not lose the others.
        found = new = 0
        for (_, records), saved in zip(batches, store.save_scrape(batches), strict=True):
            if saved is not None:
                found += saved.found
                new += saved.new
                continue
            # The batch is in the spool; it goes in when the database is back.
            found += len(records)
            if not self._spool_pending:
                self.events.warning(
                    "store_deferred",
                    "database unavailable; results kept in the spool",
                    node_id=self.node_id,
                )
            self._spool_pending = True
        self._show_scrape_error(result)
        seconds = round((result.finished_at - result.started_at).total_seconds(), 1)
        outcomes = {o.site: o.outcome for o in result.outcomes}
        sites_said = ", ".join(f"{site} {outcome}" for site, outcome in outcomes.items())
        self.events.info(
            "scrape_done",
            f"{location or 'anywhere'}: {found} found, {new} new in {seconds} seconds"
            + (f" ({sites_said})" if sites_said else ""),
            node_id=self.node_id,
            location=location,
            found=found,
            new=new,
            outcomes=outcomes,
            seconds=seconds,
        )
        return found, new

    def _record_skipped(
        self, store: Store, spec: NodeSpec, sites: list[str], location: str | None, why: str
    ) -> None:
        """A scrape that could not even start counts as failed for every site (node health,
        sql/0009, reads scrape_runs; last_error already says why)."""
        started_at = datetime.now(UTC)
        with contextlib.suppress(DatabaseUnavailable):
            for site in sites:
                store.record_run(
                    node_id=self.node_id,
                    site=site,
                    location=location,
                    search_term=spec.search_term,
                    started_at=started_at,
                    outcome="error",
                    error=why,
                )

    def _show_scrape_error(self, result: ScrapeResult) -> None:
        """last_error follows the scrapes: a site's failure is written (masked), and a scrape
        where every site succeeded clears what an earlier scrape of this worker wrote."""
        failed = [o for o in result.outcomes if o.outcome != "ok"]
        if failed:
            # Scrape children mask their errors already; log_text masks the node's secrets too.
            self._record_error("; ".join(f"{o.site}: {o.error or o.outcome}" for o in failed))
            self._scrape_error_shown = True
        elif self._scrape_error_shown:
            self._record_error(None)
            self._scrape_error_shown = False

    def _replay(self, store: Store) -> None:
        try:
            settled = store.replay_spool()
        except DatabaseUnavailable:
            return
        self._spool_pending = bool(store.pending())
        if settled:
            self.events.info(
                "spool_replayed", f"{settled} spooled batches stored", node_id=self.node_id
            )

    def _metrics(
        self,
        *,
        cycle: int,
        done: int,
        total: int,
        location: str | None,
        sites: list[str] | None = None,
        found: int = 0,
        new: int = 0,
    ) -> None:
        self._unsent[0] += found
        self._unsent[1] += new
        try:
            with self.conn.connection() as conn:
                conn.execute(
                    q("worker_metrics"),
                    {
                        "id": self.node_id,
                        "pid": self.pid,
                        "cycle": cycle,
                        "found": self._unsent[0],
                        "new": self._unsent[1],
                        "locations_done": done,
                        "locations_total": total,
                        "current_location": location,
                        "current_site": ",".join(sites) if sites else None,
                        "cooldowns": json.dumps(self.cooldowns.snapshot()),
                        "rss": self._proc.memory_info().rss,
                    },
                )
            self._unsent = [0, 0]
        except DatabaseUnavailable:
            pass  # the next update carries the unsent counts forward

"""The worker: ``python -m engine.worker NODE_ID``, one long-lived process per node.

Spawned by the supervisor in a session of its own, with the database URL and every secret in its
environment (never in argv, which ``ps`` shows). Each cycle walks the node's locations: memory
gate, proxy check, one disposable search child (``engine.search.run_search``), store (spool first,
so a database outage loses nothing), metrics, a randomized delay. A side thread beats the heartbeat
and notices stop requests and a dead supervisor; a second one LISTENs for stops so they take
effect within a second, with the heartbeat's poll as the fallback. SIGTERM stops it too.

It must stay small (the target is 60 MB idle): it never imports pandas or jobspy, and it uses
two connections — one for LISTEN, one shared by heartbeat, events and writes — never a pool.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import psutil
import psycopg

from engine.db.connections import Listener, SharedConnection
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import DatabaseUnavailable, UserError
from engine.fleet.events import EventWriter, add_secrets, log_text
from engine.fleet.spec import NodeSpec, SpecError, load_stored_spec
from engine.protocol import (
    EXIT_CONFIG,
    EXIT_DEAD_MAN,
    EXIT_RECYCLE,
    EXIT_STOPPED,
    EXIT_SUPERSEDED,
)
from engine.redact import mask_url
from engine.settings import Settings
from engine.worker.children import kill_descendant_groups
from engine.worker.proxies import ProxyCheck, check_proxy, proxy_password, resolve_proxy

if TYPE_CHECKING:
    from engine.worker.scrape import SearchRequest, SearchResult

log = logging.getLogger(__name__)

# Per-site cooldown after a blocked answer: base × 2^(strikes-1), capped.
COOLDOWN_BASE_S = 60.0
COOLDOWN_MAX_S = 3600.0
# A proxy that passed its check is trusted this long before it is checked again.
PROXY_RECHECK_S = 600.0
# When no configured proxy is usable, wait this long before trying again.
PROXY_RETRY_S = 60.0
# Until the supervisor has written our pid on the row, a heartbeat matches no row: wait so long.
PID_WAIT_S = 15.0


@dataclass
class Cooldowns:
    """Per-site exponential cooldown after blocked answers; the other sites carry on."""

    base: float = COOLDOWN_BASE_S
    cap: float = COOLDOWN_MAX_S
    clock: Callable[[], float] = time.monotonic
    strikes: dict[str, int] = field(default_factory=dict)
    until: dict[str, float] = field(default_factory=dict)

    def blocked(self, site: str) -> float:
        self.strikes[site] = self.strikes.get(site, 0) + 1
        delay = min(self.cap, self.base * 2 ** (self.strikes[site] - 1))
        self.until[site] = self.clock() + delay
        return delay

    def ok(self, site: str) -> None:
        self.strikes.pop(site, None)
        self.until.pop(site, None)

    def available(self, sites: list[str]) -> list[str]:
        now = self.clock()
        return [s for s in sites if self.until.get(s, 0.0) <= now]

    def next_free_in(self, sites: list[str]) -> float:
        now = self.clock()
        return max(0.0, min((self.until.get(s, 0.0) - now for s in sites), default=0.0))

    def snapshot(self) -> dict[str, float]:
        now = self.clock()
        return {s: round(t - now, 1) for s, t in self.until.items() if t > now}


class _StoreDb:
    """What engine.jobs.ingest needs from a Database, on the worker's single shared connection."""

    def __init__(self, db: Database, conn: SharedConnection) -> None:
        self._db = db
        self._conn = conn

    def connection(self) -> contextlib.AbstractContextManager[psycopg.Connection[Any]]:
        return self._conn.connection()

    @property
    def masked_url(self) -> str:
        return self._db.masked_url

    def friendly(self, exc: BaseException) -> str:
        return self._db.friendly(exc)


class Worker:
    def __init__(
        self,
        node_id: int,
        settings: Settings,
        db: Database,
        *,
        search: Callable[[SearchRequest], SearchResult] | None = None,
        proxy_check: Callable[..., ProxyCheck] = check_proxy,
        mirror: Any = None,
    ) -> None:
        self.node_id = node_id
        self.settings = settings
        self.db = db
        self.pid = os.getpid()
        self.conn = SharedConnection(db, retry_after=0.5)
        self.events = EventWriter(self.conn, mirror=mirror, flush_interval=0.5)
        self._search_fn = search
        self._proxy_check = proxy_check
        self.stop = threading.Event()
        self.exit_code = EXIT_STOPPED
        self.stop_reason: str | None = None
        self.cooldowns = Cooldowns()
        self._proxy_ok_at: dict[str, float] = {}
        self._spool_pending = False
        self._threads: list[threading.Thread] = []
        self._listener: Listener | None = None
        self._proc = psutil.Process()
        self._pid_seen = False
        self._started = time.monotonic()
        self.searches = 0
        self._unsent = [0, 0]  # found/new not yet added to the row (database away)
        # When (monotonic) the supervisor's lease was last renewed, as far as we know.
        self._lease_at = time.monotonic()

    # --- stopping ---

    def request_stop(self, reason: str, code: int = EXIT_STOPPED) -> None:
        if not self.stop.is_set():
            self.stop_reason = reason
            self.exit_code = code
            self.stop.set()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.request_stop(f"signal {signal.Signals(signum).name}")

    # --- side threads ---

    def _beat(self) -> None:
        rss = self._proc.memory_info().rss
        # Taken before the query: the lease seen is then never thought younger than it is.
        asked = time.monotonic()
        with self.conn.connection() as conn:
            row = conn.execute(
                q("worker_heartbeat"), {"id": self.node_id, "pid": self.pid, "rss": rss}
            ).fetchone()
            if row is None:
                current = conn.execute(q("worker_row"), {"id": self.node_id}).fetchone()
        if row is not None:
            self._pid_seen = True
            if row["kill_requested"] or row["stop_requested"] or row["desired"] == "stopped":
                self.request_stop("stop requested")
            host_age = row["host_age_s"]
            if host_age is not None:
                self._lease_at = asked - float(host_age)
            return
        if current is None:
            self.request_stop("node deleted", EXIT_SUPERSEDED)
        elif current["pid"] is not None and current["pid"] != self.pid:
            self.request_stop(f"replaced by pid {current['pid']}", EXIT_SUPERSEDED)
        elif self._pid_seen or time.monotonic() - self._started > PID_WAIT_S:
            self.request_stop("no longer recorded on the node", EXIT_SUPERSEDED)

    def _heartbeat_loop(self) -> None:
        while True:
            try:
                self._beat()
            except (DatabaseUnavailable, psycopg.Error) as exc:
                log.debug("heartbeat failed: %s", exc.__class__.__name__)
            except Exception:  # the heartbeat thread must outlive any surprise
                log.exception("heartbeat failed")
            if self.stop.wait(self.settings.heartbeat_interval):
                return

    def _dead_man_loop(self) -> None:
        """Exit when the supervisor's lease has not been seen renewed for ``dead_man_after``.

        Judged on this process's monotonic clock from the last lease age the database reported,
        so it also fires when the database cannot be reached at all (another host may take the
        node over once the lease is that old). No I/O here: a hung connection cannot delay it.
        Once fired, the worker is gone within ``stop_grace`` (the supervisor taking over counts
        on that)."""
        while not self.stop.wait(min(self.settings.heartbeat_interval, 1.0)):
            stale = time.monotonic() - self._lease_at
            if stale <= self.settings.dead_man_after:
                continue
            self.events.error(
                "dead_man_switch",
                f"the supervisor's lease has not been renewed for {stale:.0f} s; exiting on my own",
                node_id=self.node_id,
            )
            self.request_stop("supervisor gone", EXIT_DEAD_MAN)
            break
        if self.exit_code != EXIT_DEAD_MAN:
            return
        # Leave within stop_grace whatever the rest is doing (a write to a database that hangs).
        time.sleep(self.settings.stop_grace * 0.8)
        kill_descendant_groups()
        os._exit(EXIT_DEAD_MAN)

    def _listen_loop(self) -> None:
        self._listener = Listener(self.db, [f"jobfleet_node_{self.node_id}"], retry_after=1.0)
        while not self.stop.is_set():
            notes = self._listener.wait(0.5)
            if any(n.payload == "stop" for n in notes):
                self.request_stop("stop requested")
            elif notes:  # (re)connected: a stop may have been missed meanwhile
                with contextlib.suppress(DatabaseUnavailable, psycopg.Error):
                    self._beat()
        self._listener.close()

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- the run ---

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            spec, cycle = self._load()
            proxies = [resolve_proxy(p) for p in spec.proxies]
            add_secrets(*(proxy_password(p) for p in proxies))
        except (SpecError, UserError) as exc:
            self.events.error("config_error", str(exc), node_id=self.node_id)
            self._record_error(str(exc))
            self.exit_code = EXIT_CONFIG
            self._finish()
            return self.exit_code
        self._lease_at = time.monotonic()  # just spawned by a live supervisor
        # Not joined at the end (it may be counting down to a hard exit); a daemon dies with us.
        threading.Thread(target=self._dead_man_loop, name="dead-man", daemon=True).start()
        self._start_thread(self._heartbeat_loop, "heartbeat")
        self._start_thread(self._listen_loop, "listen")
        self.events.info(
            "worker_started",
            f"worker pid {self.pid} started",
            node_id=self.node_id,
            pid=self.pid,
            rss_mb=self._proc.memory_info().rss >> 20,
        )
        try:
            self._cycles(spec, proxies, cycle)
        except Exception as exc:
            self.events.error(
                "worker_crashed", f"{exc.__class__.__name__}: {exc}", node_id=self.node_id
            )
            self._record_error(f"{exc.__class__.__name__}: {exc}")
            self.exit_code = 1
        self._finish()
        return self.exit_code

    def _load(self) -> tuple[NodeSpec, int]:
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
        return load_stored_spec(row["spec"]), int(row["cycle"] or 0)

    def _finish(self) -> None:
        self.stop.set()
        kill_descendant_groups()
        for thread in self._threads:
            thread.join(timeout=5)
        with (
            contextlib.suppress(DatabaseUnavailable, psycopg.Error),
            self.conn.connection() as conn,
        ):
            conn.execute(
                q("worker_exit"), {"id": self.node_id, "pid": self.pid, "code": self.exit_code}
            )
        self.events.info(
            "worker_exit",
            f"worker pid {self.pid} exiting ({self.stop_reason or 'done'})",
            node_id=self.node_id,
            code=self.exit_code,
            searches=self.searches,
        )
        self.events.close(timeout=3)
        self.conn.close()

    def _record_error(self, message: str) -> None:
        with (
            contextlib.suppress(DatabaseUnavailable, psycopg.Error),
            self.conn.connection() as conn,
        ):
            conn.execute(
                q("worker_last_error"),
                {"id": self.node_id, "pid": self.pid, "error": log_text(message, 1000)},
            )

    def _cycles(self, spec: NodeSpec, proxies: list[str], cycle: int) -> None:
        from engine.jobs.ingest import Store

        store = Store(
            cast(Database, _StoreDb(self.db, self.conn)),
            self.settings.spool_dir / f"node-{self.node_id}",
        )
        self._spool_pending = bool(store.pending())
        lived = 0
        locations: list[str | None] = list(spec.locations) or [None]
        # Spread the first searches: a hundred workers started together (after a reboot, a
        # deploy of many nodes) must not all hit the boards, and the CPU, at the same moment.
        self.stop.wait(random.uniform(0, spec.delay_min))
        while not self.stop.is_set():
            cycle += 1
            lived += 1
            began = time.monotonic()
            self._metrics(cycle=cycle, done=0, total=len(locations), location=None)
            for index, location in enumerate(locations):
                if self.stop.is_set():
                    return
                self._search_one(spec, proxies, store, cycle, index, len(locations), location)
                if self.stop.is_set():
                    return
                self.stop.wait(random.uniform(spec.delay_min, spec.delay_max))
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
            result = self._proxy_check(proxy, spec.ca_cert, timeout=10)
            if result.ok:
                self._proxy_ok_at[proxy] = time.monotonic()
                usable.append(proxy)
                self.events.info(
                    "proxy_ok",
                    f"proxy {mask_url(proxy)} exits at {result.exit_ip}",
                    node_id=self.node_id,
                )
            else:
                self._proxy_ok_at.pop(proxy, None)
                self.events.error(
                    "proxy_failed", result.error or "proxy check failed", node_id=self.node_id
                )
                self._record_error(result.error or "proxy check failed")
        return usable or None

    def _run_search(self, req: SearchRequest) -> SearchResult | None:
        """The search in a helper thread, so a stop can kill the child at once."""
        search = self._search_fn
        if search is None:
            from engine.worker.scrape import run_search

            search = run_search
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["result"] = search(req)
            except BaseException as exc:
                box["error"] = exc

        thread = threading.Thread(target=target, name="search", daemon=True)
        thread.start()
        while thread.is_alive():
            if self.stop.wait(0.2):
                kill_descendant_groups()
                thread.join(timeout=10)
                return None
        if "error" in box:
            raise box["error"]
        return cast("SearchResult", box.get("result"))

    def _search_one(
        self,
        spec: NodeSpec,
        proxies: list[str],
        store: Any,
        cycle: int,
        index: int,
        total: int,
        location: str | None,
    ) -> None:
        from engine.worker.scrape import SearchRequest

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
                "search_skipped",
                f"no usable proxy; not searching {location or 'anywhere'} without one",
                node_id=self.node_id,
            )
            self.stop.wait(PROXY_RETRY_S)
            return
        if self._spool_pending:
            self._replay(store)
        self._metrics(cycle=cycle, done=index, total=total, location=location, sites=sites)
        req = SearchRequest(
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
        )
        result = self._run_search(req)
        if result is None:
            return
        self.searches += 1
        found, new = self._store(store, spec, result, location, usable)
        self._metrics(
            cycle=cycle, done=index + 1, total=total, location=location, found=found, new=new
        )

    def _store(
        self,
        store: Any,
        spec: NodeSpec,
        result: SearchResult,
        location: str | None,
        proxies: list[str],
    ) -> tuple[int, int]:
        by_site: dict[str, list[Any]] = {}
        for record in result.records:
            by_site.setdefault(record.site, []).append(record)
        proxy_shown = ", ".join(mask_url(p) for p in proxies) or None
        found = new = 0
        for outcome in result.outcomes:
            records = by_site.get(outcome.site, [])
            if outcome.outcome == "blocked":
                delay = self.cooldowns.blocked(outcome.site)
                self.events.warning(
                    "site_blocked",
                    f"{outcome.site} blocked the search; cooling down for {delay:.0f} s",
                    node_id=self.node_id,
                    site=outcome.site,
                    error=outcome.error,
                )
            elif outcome.outcome == "ok":
                self.cooldowns.ok(outcome.site)
            else:
                self.events.warning(
                    f"search_{outcome.outcome}",
                    f"{outcome.site}: {outcome.error or outcome.outcome}",
                    node_id=self.node_id,
                    site=outcome.site,
                    location=location,
                )
            kwargs = dict(
                node_id=self.node_id,
                site=outcome.site,
                location=location,
                search_term=spec.search_term,
                started_at=result.started_at,
                outcome=outcome.outcome,
                error=outcome.error,
                proxy=proxy_shown,
            )
            try:
                if records or outcome.outcome == "ok":
                    saved = store.save_batch(records, **kwargs)
                    found += saved.found
                    new += saved.new
                else:
                    store.record_run(**kwargs)
            except DatabaseUnavailable:
                # The batch is in the spool; it goes in when the database is back.
                found += len(records)
                if not self._spool_pending:
                    self.events.warning(
                        "store_deferred",
                        "database unavailable; results kept in the spool",
                        node_id=self.node_id,
                    )
                self._spool_pending = True
        self.events.info(
            "search_done",
            f"{location or 'anywhere'}: {found} found, {new} new",
            node_id=self.node_id,
            location=location,
            found=found,
            new=new,
            outcomes={o.site: o.outcome for o in result.outcomes},
            seconds=round((result.finished_at - result.started_at).total_seconds(), 2),
        )
        return found, new

    def _replay(self, store: Any) -> None:
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        sys.stderr.write("usage: python -m engine.worker NODE_ID\n")
        return 2
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    settings = Settings()
    db = Database(settings)
    worker = Worker(int(args[0]), settings, db, mirror=sys.stderr)
    return worker.run()

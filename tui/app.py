"""The jobfleet terminal control plane.

On start the app connects in a thread worker (the embedded Postgres may take a second to boot),
then either embeds a supervisor, when no other process holds this host's supervisor lock, or
attaches to the one that does and acts through the database like the CLI. The dashboard is fed by
one poll at a time: each completed poll schedules the next (``set_timer``), so a slow database
slows the refresh rate instead of piling up queries. When the database cannot be reached, at start
or later, the app says so once, shows the countdown to its next attempt in the header, tries again
after 1 s, 2 s, 4 s … up to 30 s, and carries on where it was once the database answers.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from engine.db.connections import Listener
from engine.db.handle import Database, open_database
from engine.errors import DatabaseUnavailable, UserError
from engine.fleet.states import PROCESS_STATES
from engine.protocol import NODES_CHANNEL
from engine.settings import Settings
from tui.commands import FleetCommands
from tui.data import FleetData, FleetSnapshot
from tui.messages import ActionDone, Connected, FleetPolled, RefreshRequested, ShutdownDone
from tui.screens.dashboard import DashboardScreen
from tui.text import clean, describe_error
from tui.widgets.fleet_header import HeaderInfo

if TYPE_CHECKING:
    # The supervisor loads only when this app embeds one (see _connect).
    from engine.supervisor.loop import Supervisor
    from tui.screens.deploy import DeployPreset

log = logging.getLogger(__name__)

NODE_ACTIONS = ("start", "stop", "kill", "restart", "delete", "run_once")

# Waits between attempts to reach an unreachable database: doubling from the first to the last.
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0


def retry_delay(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` failed ones in a row (1, 2, 4 … 30)."""
    return float(min(RETRY_FIRST_S * 2 ** max(failures - 1, 0), RETRY_MAX_S))


def is_database_error(exc: BaseException) -> bool:
    """Whether a failure means "the database is not answering" (worth retrying quietly)."""
    return isinstance(exc, DatabaseUnavailable | psycopg.OperationalError | psycopg.InterfaceError)


class JobfleetApp(App[None]):
    """Node cards, deploy form, live logs and the jobs browser over one jobfleet database."""

    CSS_PATH = "app.tcss"
    TITLE = "jobfleet"
    COMMANDS = App.COMMANDS | {FleetCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            tooltip="Quit; asks whether to leave running workers for adoption or stop them",
            priority=True,
        ),
        Binding("f1", "help", "Help", tooltip="List every key"),
        Binding("question_mark", "help", "Help", show=False),
    ]

    header_info: reactive[HeaderInfo] = reactive(HeaderInfo)

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        demo: bool = False,
        supervise: bool = True,
        clock: Callable[[], datetime] | None = None,
        poll_interval: float = 1.0,
        freeze_gc: bool = False,
        deploy_preset: DeployPreset | None = None,
    ) -> None:
        """``db``: an open Database to use (else one is opened off the UI thread).
        ``supervise=False`` never embeds a supervisor (tests, snapshots, benchmarks).
        ``clock`` fixes "now" for ages and uptimes (deterministic snapshots).
        ``freeze_gc``: after the first poll, exempt everything alive from the garbage collector
        (see :meth:`_freeze_gc`); for a process that runs only this app.
        ``deploy_preset``: values, host and hint for every deploy form (the demo's proxy)."""
        super().__init__()
        self.settings = settings
        self.db: Database | None = db
        self._owns_db = db is None
        self.demo = demo
        self.deploy_preset = deploy_preset
        self.supervise = supervise
        self.clock = clock
        self.poll_interval = poll_interval
        self.freeze_gc = freeze_gc
        self.supervisor: Supervisor | None = None
        self.holder: dict[str, Any] | None = None
        self.data: FleetData | None = None
        self.snapshot: FleetSnapshot | None = None
        self.polls = 0
        self._poll_timer: Timer | None = None
        self._poll_running = False
        self._poll_again = False
        self._shutting_down = False
        # The database outage in progress: failed attempts in a row, when the next one is due.
        self.db_failures = 0
        self._retry_at: float | None = None
        self._retry_timer: Timer | None = None
        self._countdown: Timer | None = None
        self.dashboard = DashboardScreen()
        self.header_info = HeaderInfo(host=settings.host_name, demo=demo)

    def get_default_screen(self) -> DashboardScreen:
        return self.dashboard

    def say(self, text: str, *, severity: str = "information", timeout: float = 4) -> None:
        """Notify without markup: messages often quote text from the outside world."""
        self.notify(text, severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    # --- startup ---

    def on_mount(self) -> None:
        self._connect()

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False)
    def _connect(self) -> None:
        db = self.db if self.db is not None else open_database(self.settings)
        holder = None
        supervisor = None
        if self.supervise:
            # Loaded here, off the UI thread, and only by an app that may embed a supervisor.
            from engine.supervisor.lease import supervisor_holder
            from engine.supervisor.loop import Supervisor

            holder = supervisor_holder(db, self.settings.host_name)
            if holder is None:
                # Adopting and spawning workers takes a while: it runs here, not on the UI thread.
                candidate = Supervisor(self.settings, db)
                try:
                    candidate.start()
                    supervisor = candidate
                except UserError:
                    # Another supervisor took the lock since we looked: attach to it instead.
                    candidate.shutdown(stop_workers=False)
                    holder = supervisor_holder(db, self.settings.host_name) or {}
        self.post_message(Connected(db, supervisor, holder))

    def on_connected(self, message: Connected) -> None:
        self.db = message.db
        self.supervisor = message.supervisor
        self.holder = message.holder
        self.data = FleetData(self.db, now=self.clock)
        if self.supervisor is not None:
            mode = "embedded"
        elif self.holder is not None:
            mode = "attached"
        else:
            mode = "unsupervised"
        holder = ""
        if self.holder:
            holder = f"{self.holder.get('hostname') or self.settings.host_name}"
            if self.holder.get("pid"):
                holder += f" pid {self.holder['pid']}"
        self._database_answered()
        self.header_info = HeaderInfo(
            mode=mode,
            host=self.settings.host_name,
            database=self.db.masked_url,
            holder=holder,
            demo=self.demo,
            own_pid=os.getpid() if self.supervisor is not None else None,
        )
        self._schedule_poll(0)
        self._watch_nodes(self.db)

    # --- polling ---

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_nodes(self, db: Database) -> None:
        """Poll at once when a node's status or desired state changes anywhere (NOTIFY), so
        actions show up without waiting for the next timed poll. Bursts collapse into one."""
        worker = get_current_worker()
        listener = Listener(db, [NODES_CHANNEL])
        try:
            while not worker.is_cancelled:
                if listener.wait(0.5) and not worker.is_cancelled:
                    self.post_message(RefreshRequested())
        finally:
            listener.close()

    def _schedule_poll(self, delay: float) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        # Timer(0) divides by its interval: a tiny delay means "as soon as possible".
        self._poll_timer = self.set_timer(max(delay, 0.01), self._start_poll)

    def _start_poll(self) -> None:
        if self.data is None or self._shutting_down:
            return
        if self._poll_running:
            self._poll_again = True
            return
        self._poll_running = True
        self._poll_again = False
        self._poll(self.data)

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _poll(self, data: FleetData) -> None:
        self.post_message(FleetPolled(data.poll()))

    async def on_fleet_polled(self, message: FleetPolled) -> None:
        snap = message.snapshot
        self.snapshot = snap
        self.polls += 1
        self._database_answered()
        self.header_info = replace(
            self.header_info,
            nodes_by_status=snap.totals.nodes_by_status,
            jobs_today=snap.totals.jobs_today,
            jobs_total=snap.totals.jobs_total,
            jobs_total_estimated=snap.totals.jobs_total_estimated,
            alerts_open=snap.totals.alerts_open,
            alert_latest=snap.totals.alert_latest,
            supervisors=snap.supervisors,
        )
        await self.dashboard.apply_snapshot(snap)
        if self.polls == 1 and self.freeze_gc:
            self._freeze_gc()
        self._poll_running = False
        self._schedule_poll(0 if self._poll_again else self.poll_interval)

    @staticmethod
    def _freeze_gc() -> None:
        """Keep full garbage collections short: they stop the UI for as long as they take.

        A full collection walks every tracked object; with Textual, Rich, psycopg and the engine
        loaded that took 40-60 ms, and one lands every few seconds while cards redraw — a key
        press that meets one waits for it. What is alive once the dashboard shows (modules,
        classes, the widgets) lives as long as the app, so it is moved out of the collector's
        reach (``gc.freeze``) and full collections only walk what came after.
        """
        gc.collect()
        gc.freeze()

    def request_refresh(self) -> None:
        self.post_message(RefreshRequested())

    def on_refresh_requested(self, _: RefreshRequested) -> None:
        if self._poll_running:
            self._poll_again = True
        else:
            self._schedule_poll(0)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """The one place where failed workers are reported (and polling resumes)."""
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        assert error is not None
        log.debug("worker %s failed", worker.name, exc_info=error)
        if worker.group == "poll":
            self._poll_running = False
            if is_database_error(error):
                self._database_failed("Database unreachable", error, lambda: self._schedule_poll(0))
            else:
                self.say(f"Refresh failed: {describe_error(error)}", severity="error")
                self._schedule_poll(max(3.0, self.poll_interval))
        elif worker.group == "startup":
            if self.header_info.mode == "connecting":
                self.header_info = replace(self.header_info, mode="offline")
            self._database_failed("Cannot start", error, self._connect)
        elif worker.group == "shutdown":
            self.say(f"Shutdown failed: {describe_error(error)}", severity="error")
            self.exit()
        else:
            self.say(describe_error(error), severity="error")

    # --- database outages ---

    def _database_failed(self, what: str, error: BaseException, retry: Callable[[], Any]) -> None:
        """Say so once per outage, then retry with a doubling wait, counting down in the header."""
        if self._shutting_down:
            return
        self.db_failures += 1
        if self.db_failures == 1:
            self.say(
                f"{what}: {describe_error(error)} (retrying until it answers)",
                severity="error",
                timeout=10,
            )
        delay = retry_delay(self.db_failures)
        self._retry_at = time.monotonic() + delay

        def attempt() -> None:
            self._retry_timer = None
            if not self._shutting_down:
                self._show_countdown()
                retry()

        if self._retry_timer is not None:
            self._retry_timer.stop()
        self._retry_timer = self.set_timer(delay, attempt)
        if self._countdown is None:
            self._countdown = self.set_interval(1.0, self._show_countdown)
        self._show_countdown()

    def _show_countdown(self) -> None:
        if self._retry_at is None:
            return
        left = max(0, math.ceil(self._retry_at - time.monotonic() - 0.05))
        if self.header_info.retry_in != left:
            self.header_info = replace(self.header_info, retry_in=left)

    def _database_answered(self) -> None:
        """The database answered again: stop counting down and say so (once)."""
        if self.db_failures == 0:
            return
        self.db_failures = 0
        self._retry_at = None
        if self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        self.header_info = replace(self.header_info, retry_in=None)
        self.say("The database answers again.")

    # --- node actions ---

    def node_action(self, action: str, node_id: int, name: str) -> None:
        self.nodes_action(action, [(node_id, name)])

    def nodes_action(self, action: str, targets: list[tuple[int, str]]) -> None:
        """``action`` on each (id, name), one thread for all, one message at the end."""
        if action not in NODE_ACTIONS or self.db is None or not targets:
            return
        self._nodes_action(self.db, action, [(i, clean(n)) for i, n in targets])

    @work(thread=True, group="node-action", exit_on_error=False)
    def _nodes_action(self, db: Database, action: str, targets: list[tuple[int, str]]) -> None:
        # engine.fleet.nodes brings the NodeSpec model: loaded by the first action, not at start.
        from engine.fleet import nodes

        if action == "delete":
            # As `jobfleet rm`: running workers are stopped first, then the nodes go (the
            # question said so, once).
            from engine.fleet.removal import has_worker, remove_nodes

            rows = [nodes.get_node(db, node_id) for node_id, _ in targets]
            working = [r for r in rows if has_worker(r)]
            if working:
                who = targets[0][1] if len(targets) == 1 else f"{len(working)} nodes"
                self.call_from_thread(self.say, f"{who}: stopping workers, then deleting")
            remove_nodes(db, rows, grace=self.settings.stop_grace + 5)
            if len(targets) == 1:
                self.post_message(ActionDone(f"{targets[0][1]}: deleted", targets[0][0]))
            else:
                self.post_message(ActionDone(f"{len(targets)} of {len(targets)} nodes: deleted"))
            return
        calls = {
            "start": nodes.request_start,
            "stop": nodes.request_stop,
            "kill": nodes.request_kill,
            "restart": nodes.request_restart,
            "run_once": nodes.request_run_once,
        }
        done = {"delete": "deleted", "run_once": "one cycle requested"}.get(
            action, f"{action} requested"
        )
        if len(targets) == 1:  # one node: its own error reaches the error handler as it is
            node_id, name = targets[0]
            calls[action](db, node_id)
            self.post_message(ActionDone(f"{name}: {done}", node_id))
            return
        refused: list[str] = []
        for node_id, name in targets:
            try:
                calls[action](db, node_id)
            except UserError as exc:
                refused.append(f"{name}: {clean(str(exc), max_len=120)}")
        text = f"{len(targets) - len(refused)} of {len(targets)} nodes: {done}"
        if refused:
            text += "; refused: " + "; ".join(refused[:3]) + (" …" if len(refused) > 3 else "")
        self.post_message(ActionDone(text))

    def on_action_done(self, message: ActionDone) -> None:
        self.say(message.text)
        self.request_refresh()

    # --- help, hosts and quit ---

    def action_hosts(self) -> None:
        from tui.screens.hosts import HostsScreen

        if self.data is None:
            self.say("Not connected to the database yet.", severity="warning")
        elif not isinstance(self.screen, HostsScreen):
            self.push_screen(HostsScreen(self.data, self.settings.host_name))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.BINDINGS))

    def running_workers(self) -> int:
        """Workers this host's supervisor would stop (other hosts' are not ours to count)."""
        if self.snapshot is None:
            return 0
        own = (None, self.settings.host_name)
        return sum(
            1
            for n in self.snapshot.nodes
            if n.get("status") in PROCESS_STATES and n.get("host") in own
        )

    async def action_quit(self) -> None:
        if self._shutting_down:
            return
        running = self.running_workers()
        if self.supervisor is None or running == 0:
            await self._begin_shutdown(stop_workers=False)
            return
        from tui.screens.quit import QuitScreen

        def chosen(choice: str | None) -> None:
            if choice in ("leave", "stop"):
                self.run_worker(self._begin_shutdown(stop_workers=choice == "stop"))

        self.push_screen(QuitScreen(running, recommend_stop=self.demo), chosen)

    async def _begin_shutdown(self, *, stop_workers: bool) -> None:
        self._shutting_down = True
        if self._poll_timer is not None:
            self._poll_timer.stop()
        if self.supervisor is None:
            self.exit()
            return
        if stop_workers:
            self.say("Stopping workers…", timeout=30)
        self._stop_supervisor(stop_workers)

    @work(thread=True, exclusive=True, group="shutdown", exit_on_error=False)
    def _stop_supervisor(self, stop_workers: bool) -> None:
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            supervisor.shutdown(stop_workers=stop_workers)
        self.post_message(ShutdownDone())

    def on_shutdown_done(self, _: ShutdownDone) -> None:
        self.exit()

    def close_resources(self) -> None:
        """After the app has exited: leave workers for adoption, close what we opened."""
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            supervisor.shutdown(stop_workers=False)
        if self._owns_db and self.db is not None:
            self.db.close()


def run_app(
    settings: Settings, *, demo: bool = False, deploy_preset: DeployPreset | None = None
) -> None:
    """Run the control plane in this terminal until the user quits."""
    app = JobfleetApp(settings, demo=demo, freeze_gc=True, deploy_preset=deploy_preset)
    try:
        app.run()
    finally:
        app.close_resources()

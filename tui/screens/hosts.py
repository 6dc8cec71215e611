"""Hosts: every machine registered on this database, whether its supervisor is alive (it holds the
host's lock and renews its lease, by the database clock), and the nodes it runs.

The table refreshes every couple of seconds while the screen is open: one read at a time in a
thread worker, the next one scheduled when the last has arrived.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from engine.fleet.states import NodeStatus
from tui.data import FleetData
from tui.messages import HostsRead
from tui.text import clean, describe_error, literal
from tui.widgets.fleet_header import FleetHeader

REFRESH_S = 2.0
COLUMNS = ("host", "supervisor", "pid", "lease", "nodes", "running", "cpus", "memory", "version")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def _memory(total: int | None, available: int | None) -> str:
    if not total:
        return "—"
    gib = 1 << 30
    free = f"{available / gib:.1f} free of " if available is not None else ""
    return f"{free}{total / gib:.1f} GiB"


class HostsScreen(Screen[None]):
    """One row per host; this app's own host is marked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,h", "back", "Back", tooltip="Back to the dashboard"),
        Binding("f5", "refresh_hosts", "Refresh", tooltip="Read the hosts again now"),
    ]

    def __init__(self, data: FleetData, own_host: str) -> None:
        super().__init__()
        self.data = data
        self.own_host = own_host
        self.reads = 0
        self.hosts: list[dict[str, Any]] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield FleetHeader()
        yield Static("Reading hosts…", id="hosts-state", markup=False)
        yield DataTable(id="hosts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self._read(self.data)

    @work(thread=True, exclusive=True, group="hosts-read", exit_on_error=False)
    def _read(self, data: FleetData) -> None:
        try:
            self.post_message(HostsRead(data.hosts()))
        except Exception as exc:  # shown on the screen; the next read tries again
            self.post_message(HostsRead([], error=describe_error(exc)))

    def on_hosts_read(self, message: HostsRead) -> None:
        self.reads += 1
        state = self.query_one("#hosts-state", Static)
        if message.error:
            state.update(Text(f"Cannot read the hosts: {message.error}", style="bold red"))
        else:
            self.hosts = list(message.hosts)
            self._fill(message)
        self._timer = self.set_timer(REFRESH_S, lambda: self._read(self.data))

    def _fill(self, message: HostsRead) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for host in message.hosts:
            name = clean(host.get("name"))
            alive = bool(host.get("alive"))
            by_status = host.get("nodes_by_status") or {}
            running = by_status.get(NodeStatus.RUNNING, 0) if isinstance(by_status, dict) else 0
            if alive:
                supervisor = Text("alive", style="bold green")
            elif host.get("locked"):
                supervisor = Text("lease stale", style="bold yellow")
            else:
                supervisor = Text("none", style="bold red")
            table.add_row(
                literal(name + (" (this one)" if name == self.own_host else ""), "bold"),
                supervisor,
                Text(str(host.get("supervisor_pid") or "—") if alive else "—"),
                Text(_age(host.get("lease_age_s"))),
                Text(str(host.get("nodes") or 0)),
                Text(str(running)),
                Text(str(host.get("cpus") or "—")),
                Text(_memory(host.get("mem_total"), host.get("mem_available"))),
                literal(host.get("version") or "—", "dim"),
                key=name,
            )
        alive_count = sum(1 for h in message.hosts if h.get("alive"))
        if not message.hosts:
            text = (
                "No hosts yet: a host registers when jobfleet (or jobfleet --no-ui) starts on it."
            )
        elif alive_count == 0:
            text = (
                "No supervisor is alive: requests wait until 'jobfleet' or 'jobfleet --no-ui' "
                "runs on a host."
            )
        else:
            text = f"{len(message.hosts)} hosts, {alive_count} with a live supervisor."
        self.query_one("#hosts-state", Static).update(Text(text))

    def action_refresh_hosts(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._read(self.data)

    def action_back(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.dismiss()

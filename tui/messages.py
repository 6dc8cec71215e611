"""Messages that carry results from thread workers back to the UI thread.

Dataclasses, so each one's fields and types are stated once. The engine types some of them carry
are imported for the type checker only: their modules load when a screen first needs them, not
when the app starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from engine.db.handle import Database
from tui.data import FleetSnapshot
from tui.widgets.log_view import LogEntry

if TYPE_CHECKING:
    from engine.jobs.history import NodeHistory
    from engine.jobs.search import JobQuery
    from engine.jobs.stats import DailyStats
    from engine.supervisor.loop import Supervisor

# --- the app ---


@dataclass
class Connected(Message):
    """The database answered; ``supervisor`` is set when this app embeds one, ``holder`` names
    the process that holds this host's supervisor lock otherwise."""

    db: Database
    supervisor: Supervisor | None
    holder: dict[str, Any] | None


@dataclass
class FleetPolled(Message):
    """A fresh dashboard poll. Only the newest one matters, so queued ones are replaced."""

    snapshot: FleetSnapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FleetPolled)


@dataclass
class RefreshRequested(Message):
    """Something changed (an action, a notification): poll soon. Bursts collapse into one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshRequested)


@dataclass
class ActionDone(Message):
    """A node action finished; ``text`` is already safe to show (built from clean values)."""

    text: str
    node_id: int | None = None


@dataclass
class ShutdownDone(Message):
    """The embedded supervisor has shut down (workers left or stopped as chosen)."""


# --- the deploy form ---


@dataclass
class FormChecked(Message):
    """Validation result: field name → message ("" for the whole spec under "spec")."""

    errors: dict[str, str]
    submit: bool


@dataclass
class PoolFilled(Message):
    """The largest cities of ``country``, to fill an untouched locations list."""

    country: str
    cities: list[str]


@dataclass
class ProxyChecked(Message):
    """The outcome of a proxy check, as a line safe to show."""

    text: str
    ok: bool


@dataclass
class DeployFailed(Message):
    text: str


@dataclass
class Deployed(Message):
    node_id: int
    # The edit form: what was saved, already safe to show (built from clean values).
    saved: str = ""


# --- the jobs browser ---


@dataclass
class JobsFound(Message):
    """One page of search results (``has_more``: a next page exists)."""

    job_query: JobQuery
    rows: list[dict[str, Any]]
    has_more: bool


@dataclass
class JobsCounted(Message):
    """How many postings match a query (``exact``: counted, else the planner's estimate)."""

    job_query: JobQuery
    total: int
    exact: bool


@dataclass
class JobStatsLoaded(Message):
    """New postings per day by site and by country, for the jobs screen's chart."""

    stats: DailyStats


@dataclass
class ExportDone(Message):
    path: Path
    count: int


@dataclass
class JobLoaded(Message):
    """One job for the detail screen; None when it no longer exists."""

    job: dict[str, Any] | None


# --- the logs screen ---


@dataclass
class LogsArrived(Message):
    """A batch of formatted log entries (history or followed)."""

    entries: list[LogEntry]
    history: bool = False


# --- the hosts screen ---


@dataclass
class HostsRead(Message):
    """Every host (engine.fleet.hosts.list_hosts rows), or why they could not be read."""

    hosts: list[dict[str, Any]]
    error: str = ""


# --- the node screen ---


@dataclass
class NodeHistoryLoaded(Message):
    """A node's row (None once removed) and its history over the window shown."""

    node: dict[str, Any] | None
    history: NodeHistory

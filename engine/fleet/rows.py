"""Node rows as typed values (stdlib only), read with ``psycopg.rows.class_row``.

Each class lists exactly the columns of the query that reads it, in the query's order: a
column renamed in SQL fails at the read (class_row passes columns as keyword arguments), and a
field renamed here fails mypy wherever it is used. Also the markers ``NOW`` and ``Later`` that
``change_state`` understands as field values, kept here so the supervisor's pure planning can
name them without importing the database layer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

# Field value meaning "the database clock, now".
NOW = object()


@dataclass(frozen=True)
class Later:
    """A field value meaning "the database clock plus ``seconds``" (backoff deadlines)."""

    seconds: float


@dataclass(frozen=True)
class NodeRow:
    """A node as the CLI and the TUI list it (the ``nodes_listed`` view, sql/0007, and its
    health from ``node_health``, sql/0009: queries ``list_nodes`` and ``get_node_by_id``)."""

    id: int
    name: str
    status: str
    desired: str
    pid: int | None
    proc_started_at: float | None
    host: str | None
    host_id: int | None
    pinned: bool
    heartbeat_age_s: float | None
    heartbeat_at: datetime | None
    jobs_found: int
    jobs_new: int
    restarts: int
    fast_crashes: int
    last_exit: int | None
    last_error: str | None
    cycle: int
    locations_done: int
    locations_total: int
    current_location: str | None
    current_site: str | None
    rss_bytes: int | None
    started_at: datetime | None
    stopped_at: datetime | None
    status_changed_at: datetime
    stop_requested: bool
    kill_requested: bool
    next_start_at: datetime | None
    cooldowns: dict[str, Any]
    spec: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    run_once: bool  # a run-once cycle is asked for or under way (sql/0014)
    health: str  # ok | degraded | failing | unknown
    health_reason: str

    def as_dict(self) -> dict[str, Any]:
        """Column name → value, in the view's order (for JSON output and the TUI's tables)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SupervisedNodeRow:
    """A node as a supervisor reads it each tick (query ``supervisor_nodes``): ages by the
    database clock, and its host's lease age for judging other hosts' nodes."""

    id: int
    name: str
    status: str
    desired: str
    host_id: int | None
    pinned: bool
    pid: int | None
    proc_started_at: float | None
    stop_requested: bool
    kill_requested: bool
    restarts: int
    fast_crashes: int
    last_exit: int | None
    last_error: str | None
    spec: dict[str, Any]
    rss_bytes: int | None
    host: str | None
    has_heartbeat: bool
    heartbeat_age_s: float | None
    started_age_s: float | None
    status_age_s: float | None
    start_due: bool
    host_age_s: float | None
    run_once: bool
    next_start_at: datetime | None
    db_now: datetime  # the database clock, for active hours (engine.fleet.schedule)

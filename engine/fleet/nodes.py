"""Nodes: deploy, list, look up, and the requests people make (start, stop, kill, restart, rm).

The database is the API: these functions only write rows. A trigger (sql/0003_nodes.sql) sends
NOTIFY so the supervisor that owns the node, and the node's worker for stops, react within a
second. ``change_state`` is the one function that changes ``nodes.status``: it locks the row,
checks the transition against ``engine.fleet.states``, writes the row and an event in one
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from engine.db.connections import ConnectionSource
from engine.db.queries import q
from engine.errors import UserError
from engine.fleet.events import log_event_now
from engine.fleet.history import (
    FieldChange,
    SpecAction,
    changed_by,
    describe_changes,
    record_spec_version,
)
from engine.fleet.rows import NOW, Later, NodeRow
from engine.fleet.spec import NodeSpec, SpecError, check_secret_refs, load_stored_spec
from engine.fleet.states import Desired, NodeStatus, TransitionError, check_transition
from engine.protocol import DEPLOY_LOCK, LOCK_CLASS
from engine.settings import get_settings

# Columns change_state may write besides status (values always go as parameters).
_STATE_FIELDS = frozenset(
    {
        "pid",
        "proc_started_at",
        "host_id",
        "heartbeat_at",
        "started_at",
        "stopped_at",
        "restarts",
        "fast_crashes",
        "next_start_at",
        "last_exit",
        "last_error",
        "stop_requested",
        "kill_requested",
        "current_location",
        "current_site",
        "locations_done",
        "locations_total",
        "rss_bytes",
        "run_once",
    }
)


class UnknownNode(UserError):
    pass


# Node ids are bigint: a larger number cannot name a node (and Postgres would reject it).
MAX_NODE_ID = 2**63 - 1


def deploy(
    db: ConnectionSource,
    spec: NodeSpec,
    *,
    start: bool = True,
    host: str | None = None,
    by: str | None = None,
) -> int:
    """Insert a node (desired=running unless ``start=False``); returns its id. The spec is
    the node's first version in its history, changed ``by`` (default: this user@host).

    ``host`` pins the node to the host of that name (registered now if no supervisor has run
    there yet): only that host's supervisor starts it, and no other host takes it over. Without
    it, the first supervisor to start the node claims it."""
    check_secret_refs(spec, get_settings().secret_env)  # also checked by parse_spec; be sure
    taken = UserError(
        f"a node named {spec.name!r} already exists; choose another name "
        "or remove it first (jobfleet rm)"
    )
    with db.connection() as conn:
        # A failed deploy must not use up a node id (sequences never roll back): every check
        # comes first, and the INSERT draws an id only when the name is free, under a lock.
        conn.execute(q("lock_deploys"), {"class": LOCK_CLASS, "object": DEPLOY_LOCK})
        host_id = None if host is None else _ensure_host(conn, host)
        try:
            row = conn.execute(
                q("insert_node"),
                {
                    "name": spec.name,
                    "spec": json.dumps(spec.stored_dict(), allow_nan=False),
                    "desired": Desired.RUNNING if start else Desired.STOPPED,
                    "locations_total": len(spec.locations),
                    "host_id": host_id,
                },
            ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise taken from None
        if row is None:
            raise taken
        node_id = int(row["id"])
        record_spec_version(conn, node_id, None, spec.stored_dict(), action="deploy", by=by)
        log_event_now(
            conn,
            "info",
            "deployed",
            f"node {spec.name} deployed"
            + (f" on host {host}" if host else "")
            + ("" if start else " (not started)"),
            node_id=node_id,
            spec=spec.display_dict(),
            pinned_host=host,
        )
    return node_id


def _ensure_host(conn: psycopg.Connection[Any], host: str) -> int:
    """The id of the host of that name, registered now if no supervisor has run there yet."""
    host = host.strip()
    if not host or len(host) > 255:
        raise UserError("a host name must be 1 to 255 characters")
    conn.execute(q("ensure_host"), {"hostname": host})
    found = conn.execute(q("host_id_by_name"), {"hostname": host}).fetchone()
    assert found is not None
    return int(found["id"])


def pin_to_host(db: ConnectionSource, node_id: int, host: str) -> bool:
    """Pin a node to the host of that name (as ``deploy(host=...)`` does); True if it moved.

    A worker still running for it elsewhere is killed by its old supervisor, which no longer
    finds the node among its own; the new host's supervisor adopts or cleans the row as it does
    at boot."""
    with db.connection() as conn:
        host_id = _ensure_host(conn, host)
        moved = conn.execute(q("pin_node_to_host"), {"id": node_id, "host_id": host_id}).fetchone()
        if moved:
            log_event_now(conn, "info", "pinned", f"pinned to host {host.strip()}", node_id=node_id)
    return moved is not None


def _row_out(row: NodeRow) -> NodeRow:
    age = row.heartbeat_age_s
    return replace(row, heartbeat_age_s=None if age is None else round(float(age), 3))


def _failing_after(value: int | None) -> int:
    return get_settings().failing_after if value is None else value


def list_nodes(db: ConnectionSource, *, failing_after: int | None = None) -> list[NodeRow]:
    """Every node, with its health judged from its last ``failing_after`` scrapes per site
    (default: the setting)."""
    params = {"failing_after": _failing_after(failing_after)}
    with db.connection() as conn, conn.cursor(row_factory=class_row(NodeRow)) as cur:
        return [_row_out(r) for r in cur.execute(q("list_nodes"), params).fetchall()]


def get_node(db: ConnectionSource, ref: str | int, *, failing_after: int | None = None) -> NodeRow:
    """A node by id or by name; UnknownNode (a UserError) if there is none."""
    with db.connection() as conn, conn.cursor(row_factory=class_row(NodeRow)) as cur:
        node_id: int | None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            node_id = int(ref)
            if not 0 <= node_id <= MAX_NODE_ID:
                raise UnknownNode(f"no node {str(ref)[:100]!r} (see jobfleet nodes)")
        else:
            found = conn.execute(q("get_node_by_name"), {"name": str(ref)}).fetchone()
            node_id = int(found["id"]) if found else None
        row = (
            cur.execute(
                q("get_node_by_id"),
                {"id": node_id, "failing_after": _failing_after(failing_after)},
            ).fetchone()
            if node_id is not None
            else None
        )
    if row is None:
        raise UnknownNode(f"no node {str(ref)[:100]!r} (see jobfleet nodes)")
    return _row_out(row)


def select_nodes(
    db: ConnectionSource,
    names: Sequence[str],
    *,
    all_nodes: bool = False,
    statuses: Collection[NodeStatus] = (),
    match: str | None = None,
    host: str | None = None,
    failing_after: int | None = None,
) -> list[NodeRow]:
    """The nodes a bulk request acts on, by id: those named (ids or names ignoring case; every
    node when none is named and ``all_nodes`` or a filter is given) that pass every filter —
    status among ``statuses``, ``match`` a substring of the name or search term ignoring case,
    on (or pinned to) ``host``. UnknownNode naming every reference that names no node, before
    anything is filtered; UserError when nothing selects (no name, no ``all_nodes``, no filter)."""
    if names and all_nodes:
        raise UserError("name nodes or pass --all, not both")
    filtered = bool(statuses) or match is not None or host is not None
    if not names and not all_nodes and not filtered:
        raise UserError("name one or more nodes (id or name), or pass --all or a filter")
    with db.connection() as conn, conn.cursor(row_factory=class_row(NodeRow)) as cur:
        ids: list[int] | None = None
        if names:
            ids = _resolve_refs(conn, names)
        rows = cur.execute(
            q("select_nodes"),
            {
                "ids": ids,
                "statuses": sorted(s.value for s in statuses) or None,
                "match": match,
                "host": host,
                "failing_after": _failing_after(failing_after),
            },
        ).fetchall()
    return [_row_out(r) for r in rows]


def _resolve_refs(conn: psycopg.Connection[Any], refs: Sequence[str]) -> list[int]:
    """The ids of the nodes ``refs`` name (in their order, once each); UnknownNode naming every
    reference that names none, so that nothing is done when one is mistyped."""

    def is_id(ref: str) -> bool:
        return ref.strip().isascii() and ref.strip().isdigit()

    ids = [int(ref) for ref in refs if is_id(ref) and int(ref) <= MAX_NODE_ID]
    names = [ref for ref in refs if not is_id(ref)]
    found = conn.execute(q("resolve_node_refs"), {"ids": ids, "names": names}).fetchall()
    named = {str(r["ref"]): int(r["id"]) for r in found}
    resolved: list[int] = []
    unknown: list[str] = []
    for ref in refs:
        node_id = named.get(str(int(ref)) if is_id(ref) else ref)
        if node_id is None:
            unknown.append(repr(ref[:100]))
        elif node_id not in resolved:
            resolved.append(node_id)
    if unknown:
        listed = unknown[0] if len(unknown) == 1 else ", ".join(unknown[:-1]) + " or " + unknown[-1]
        tail = "; nothing was done" if len(refs) > 1 else ""
        raise UnknownNode(f"no node {listed} (see jobfleet nodes){tail}")
    return resolved


def _request(
    db: ConnectionSource,
    query: str,
    node_id: int,
    event: str,
    message: str,
    *,
    leaves_fatal: bool = False,
) -> NodeStatus:
    """Record a request; returns the status the node had. ``leaves_fatal``: a FATAL node goes
    to STOPPED (only a start does that)."""
    with db.connection() as conn:
        row = conn.execute(q(query), {"id": node_id}).fetchone()
        if row is None:
            raise UnknownNode(f"no node with id {node_id}")
        status = NodeStatus(row["status"])
        if leaves_fatal and status == NodeStatus.FATAL:
            # A person acted: the node leaves FATAL and the supervisor may start it again.
            change_state(conn, node_id, NodeStatus.STOPPED, reason="start requested after fatal")
        log_event_now(conn, "info", event, message, node_id=node_id)
    return status


def request_start(db: ConnectionSource, node_id: int) -> None:
    _request(db, "request_start", node_id, "start_requested", "start requested", leaves_fatal=True)


def request_stop(db: ConnectionSource, node_id: int) -> None:
    _request(db, "request_stop", node_id, "stop_requested", "stop requested")


def request_kill(db: ConnectionSource, node_id: int) -> None:
    _request(db, "request_kill", node_id, "kill_requested", "kill requested")


def request_restart(db: ConnectionSource, node_id: int) -> None:
    _request(db, "request_restart", node_id, "restart_requested", "restart requested")


def request_run_once(db: ConnectionSource, node_id: int) -> None:
    """Ask for one cycle now (a stopped or scheduled node; UserError otherwise): the supervisor
    starts a worker that runs one whole cycle and exits, and the node goes back to its state."""
    with db.connection() as conn:
        row = conn.execute(q("request_run_once"), {"id": node_id}).fetchone()
        if row is None:
            found = conn.execute(q("lock_node_status"), {"id": node_id}).fetchone()
            if found is None:
                raise UnknownNode(f"no node with id {node_id}")
            status = found["status"]
            if status in ("starting", "running"):
                why = f"is {status}: its worker already runs cycles"
            elif status == "stopping":
                why = "is stopping; ask again once it has stopped"
            else:
                why = f"is {status}; run-once is for a stopped or scheduled node"
            raise UserError(f"node {node_id} {why}")
        log_event_now(conn, "info", "run_once_requested", "one cycle requested", node_id=node_id)


@dataclass(frozen=True)
class SpecEdit:
    """What ``update_spec`` did: the fields it changed, and whether it asked for a restart."""

    node_id: int
    name: str
    changes: list[FieldChange]
    restart_requested: bool


def update_spec(
    db: ConnectionSource,
    node_id: int,
    spec: NodeSpec,
    *,
    restart: bool = True,
    by: str | None = None,
    action: SpecAction = "edit",
) -> SpecEdit:
    """THE way to change a node's spec (a rename included): one transaction writes the spec, a
    version in its history and a ``spec changed`` event, and — when ``restart`` and a worker
    runs for it — the same restart request as ``request_restart``, so its supervisor restarts
    the worker on the new spec. An unchanged spec writes nothing."""
    check_secret_refs(spec, get_settings().secret_env)
    who = by or changed_by()
    new = spec.stored_dict()
    with db.connection() as conn:
        row = conn.execute(q("lock_node_spec"), {"id": node_id}).fetchone()
        if row is None:
            raise UnknownNode(f"no node with id {node_id}")
        changes = record_spec_version(
            conn, node_id, normal_spec(row["spec"]), new, action=action, by=who
        )
        if not changes:
            return SpecEdit(node_id, str(row["name"]), [], False)
        try:
            conn.execute(
                q("edit_node_spec"),
                {
                    "id": node_id,
                    "name": spec.name,
                    "spec": json.dumps(new, allow_nan=False),
                    "locations_total": len(spec.locations),
                },
            )
        except psycopg.errors.UniqueViolation:
            raise UserError(
                f"a node named {spec.name!r} already exists; choose another name"
            ) from None
        log_event_now(
            conn,
            "info",
            "spec_changed",
            f"spec changed: {describe_changes(changes)} (by {who})",
            node_id=node_id,
            fields=[c.field for c in changes],
        )
        runs = row["desired"] == Desired.RUNNING and row["status"] in (
            NodeStatus.STARTING,
            NodeStatus.RUNNING,
        )
        if restart and runs:
            conn.execute(q("request_restart"), {"id": node_id})
            log_event_now(
                conn,
                "info",
                "restart_requested",
                "restart requested (spec changed)",
                node_id=node_id,
            )
    return SpecEdit(node_id, spec.name, changes, restart and runs)


def normal_spec(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored spec with today's defaults for fields added since it was written (so they do
    not show as changes); as it is if it no longer validates."""
    try:
        return load_stored_spec(stored).stored_dict()
    except SpecError:
        return stored


def delete_node(db: ConnectionSource, node_id: int, *, force: bool = False) -> None:
    """Remove a node and its logs. Refused while a worker may still run (stop or kill it first)
    unless ``force``: a worker whose row is gone exits at its next heartbeat, and the supervisor
    kills any worker of a node it no longer finds."""
    with db.connection() as conn:
        row = conn.execute(
            q("force_delete_node" if force else "delete_node"), {"id": node_id}
        ).fetchone()
        if row is None:
            exists = conn.execute(
                q("get_node_by_id"), {"id": node_id, "failing_after": 1}
            ).fetchone()
            if exists is None:
                raise UnknownNode(f"no node with id {node_id}")
            raise UserError(
                f"node {exists['name']} is {exists['status']}; stop or kill it before removing it"
            )


def change_state(
    conn: psycopg.Connection[Any],
    node_id: int,
    new: NodeStatus | str,
    *,
    reason: str | None = None,
    level: str = "info",
    host_id: int | None = None,
    expect: set[NodeStatus] | frozenset[NodeStatus] | None = None,
    **fields: Any,
) -> NodeStatus:
    """THE way to change a node's status. Locks the row, checks the transition (TransitionError
    if impossible), writes status plus ``fields`` and a ``status`` event, in ``conn``'s
    transaction. Returns the previous status. ``fields`` values may be ``NOW`` (database clock).
    ``expect`` optionally narrows the allowed sources (a compare-and-set against races)."""
    unknown = set(fields) - _STATE_FIELDS
    if unknown:
        raise ValueError(f"change_state cannot write {sorted(unknown)}")
    row = conn.execute(q("lock_node_status"), {"id": node_id}).fetchone()
    if row is None:
        raise UnknownNode(f"no node with id {node_id}")
    current = NodeStatus(row["status"])
    if expect is not None and current not in expect:
        raise TransitionError(
            f"node {node_id} is {current}, expected one of {', '.join(sorted(expect))}"
        )
    target = check_transition(current, new)
    assignments = [
        sql.SQL("status = {}::node_status").format(sql.Placeholder("status")),
        sql.SQL("status_changed_at = now()"),
        sql.SQL("updated_at = now()"),
    ]
    params: dict[str, Any] = {"status": target.value, "id": node_id}
    for name, value in sorted(fields.items()):
        if value is NOW:
            assignments.append(sql.SQL("{} = now()").format(sql.Identifier(name)))
        elif isinstance(value, Later):
            assignments.append(
                sql.SQL("{} = now() + make_interval(secs => {})").format(
                    sql.Identifier(name), sql.Placeholder(name)
                )
            )
            params[name] = float(value.seconds)
        else:
            assignments.append(
                sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name))
            )
            params[name] = value
    conn.execute(
        sql.SQL("UPDATE nodes SET {} WHERE id = {}").format(
            sql.SQL(", ").join(assignments), sql.Placeholder("id")
        ),
        params,
    )
    message = f"{current} → {target}" + (f": {reason}" if reason else "")
    log_event_now(
        conn,
        level,
        "status",
        message,
        node_id=node_id,
        host_id=host_id,
        old=current.value,
        new=target.value,
        **({"reason": reason} if reason else {}),
    )
    return current


def jobs_per_hour(
    db: ConnectionSource, node_ids: list[int], hours: int = 24
) -> dict[int, list[int]]:
    """New jobs per hour for each node over the last ``hours`` hours, oldest first."""
    result = {node_id: [0] * hours for node_id in node_ids}
    if not node_ids:
        return result
    with db.connection() as conn:
        rows = conn.execute(q("jobs_per_hour"), {"node_ids": node_ids, "hours": hours}).fetchall()
    for row in rows:
        ago = int(row["hours_ago"])
        if 0 <= ago < hours and row["node_id"] in result:
            result[row["node_id"]][hours - 1 - ago] += int(row["new_jobs"] or 0)
    return result

"""Fleet files: the whole fleet as one YAML file, exported and applied (like pm2's ecosystem
file or ``kubectl apply``).

The format is a YAML list with one mapping per node: every NodeSpec field (``name`` first),
plus ``desired`` (``running`` or ``stopped``; default ``running``) and ``host`` (the host the
node is pinned to; absent or null: any host). Secrets stay ``${VAR}`` references, as in the
database. A JSON file (``.json``) of the same shape is read too.

``plan_fleet`` compares a file with the database (create, update, delete with ``prune``,
unchanged; field diffs for updates); ``apply_plan`` carries a plan out in one transaction: every
entry is validated before anything is written, and any failure leaves the fleet as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from engine.db.connections import ConnectionSource, InTransaction
from engine.db.queries import q
from engine.errors import UserError
from engine.fleet import nodes
from engine.fleet.events import log_event_now
from engine.fleet.history import FieldChange, spec_changes
from engine.fleet.spec import NodeSpec, SpecError, load_stored_spec, parse_spec
from engine.fleet.states import Desired, NodeStatus

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 10_000
# Keys of an entry that are not spec fields.
STATE_KEYS = ("desired", "host")
# At most this many problems are listed when a file is refused.
_SHOWN_PROBLEMS = 10

PlanAction = Literal["create", "update", "delete", "unchanged"]


class FleetFileError(UserError):
    """A fleet file that cannot be applied; the message names each entry and field at fault."""


@dataclass(frozen=True)
class FleetEntry:
    spec: NodeSpec
    desired: Desired = Desired.RUNNING
    host: str | None = None


@dataclass(frozen=True)
class PlanItem:
    action: PlanAction
    name: str
    node_id: int | None = None
    changes: list[FieldChange] = field(default_factory=list)
    entry: FleetEntry | None = None
    # update: the spec changed while a worker runs, so it is restarted; delete: a worker runs.
    running: bool = False

    @property
    def spec_changed(self) -> bool:
        return any(c.field not in STATE_KEYS for c in self.changes)


# --- reading and validating a file -------------------------------------------------------------


def read_fleet_file(path: Path) -> list[FleetEntry]:
    """Parse and validate every entry of a fleet file (FleetFileError listing every problem)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FleetFileError(
                f"{path} is {size >> 20} MiB; a fleet file may hold at most "
                f"{MAX_FILE_BYTES >> 20} MiB"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetFileError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise FleetFileError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    is_json = path.suffix.lower() == ".json"
    try:
        if is_json:
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError, json.JSONDecodeError, RecursionError
        raise FleetFileError(
            f"{path} is not valid {'JSON' if is_json else 'YAML'}: {_first_problem(exc)}; "
            "nothing was changed"
        ) from None
    return parse_fleet(data, str(path))


def parse_fleet(data: Any, source: str = "the fleet file") -> list[FleetEntry]:
    """Validate a loaded fleet file: every entry, before anything is written."""
    if data is None:
        data = []
    if not isinstance(data, list):
        raise FleetFileError(
            f"{source} must hold a list of nodes (one '- name: ...' mapping per node), "
            f"not {_kind(data)}; see 'jobfleet nodes export' for an example"
        )
    if len(data) > MAX_ENTRIES:
        raise FleetFileError(f"{source} lists {len(data)} nodes; at most {MAX_ENTRIES} are allowed")
    entries: list[FleetEntry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(data, start=1):
        label = _label(number, item)
        try:
            entry = _entry(item)
        except UserError as exc:
            problems.append(f"{label}: {str(exc).removeprefix('invalid node spec: ')}")
            continue
        key = entry.spec.name.casefold()
        if key in seen:
            problems.append(
                f"{label}: name: {entry.spec.name!r} is also the name of entry {seen[key]}; "
                "names must be unique (ignoring case)"
            )
            continue
        seen[key] = number
        entries.append(entry)
    if problems:
        shown = problems[:_SHOWN_PROBLEMS]
        if len(problems) > _SHOWN_PROBLEMS:
            shown.append(f"and {len(problems) - _SHOWN_PROBLEMS} more problems")
        raise FleetFileError(
            f"{source} was not applied (nothing was changed); fix "
            + ("this" if len(problems) == 1 else f"these {len(problems)} problems")
            + ":\n  "
            + "\n  ".join(shown)
        )
    return entries


def _entry(item: Any) -> FleetEntry:
    """One entry, validated; UserError naming every field at fault."""
    if not isinstance(item, dict):
        raise UserError(
            f"must be a mapping of spec fields (name: ..., search_term: ...), not {_kind(item)}"
        )
    data = dict(item)
    desired = data.pop("desired", Desired.RUNNING.value)
    host = data.pop("host", None)
    problems: list[str] = []
    if desired not in (Desired.RUNNING.value, Desired.STOPPED.value):
        problems.append("desired: must be running or stopped")
    if host is not None and (
        not isinstance(host, str) or not host.strip() or len(host) > 255 or not host.isprintable()
    ):
        problems.append("host: must be a host name (1 to 255 printable characters), or left out")
    spec: NodeSpec | None = None
    try:
        spec = parse_spec(data)
    except UserError as exc:
        problems.insert(0, str(exc).removeprefix("invalid node spec: "))
    if problems or spec is None:
        raise UserError("; ".join(problems))
    return FleetEntry(spec, Desired(desired), host.strip() if host else None)


def _label(number: int, item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    if isinstance(name, str) and name.strip():
        shown = name.strip()[:60]
        if shown.isprintable():
            return f"entry {number} ({shown!r})"
    return f"entry {number}"


def _kind(value: Any) -> str:
    """What a YAML value is, in the words of the file's author."""
    if isinstance(value, bool):
        return "true/false"
    names: dict[type, str] = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
        type(None): "an empty value",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _first_problem(exc: Exception) -> str:
    """One line about a parse error: YAML's multi-line report squeezed to its gist."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return " ".join(str(exc).split())[:300]


# --- export ----------------------------------------------------------------------------------


def export_fleet(db: ConnectionSource) -> list[dict[str, Any]]:
    """Every node as a fleet-file entry: its spec fields, ``desired``, and ``host`` if pinned."""
    with db.connection() as conn:
        rows = conn.execute(q("fleet_for_file")).fetchall()
    entries = []
    for row in rows:
        try:
            spec = load_stored_spec(row["spec"]).stored_dict()
        except SpecError:
            spec = dict(row["spec"])  # exported as stored: apply says what is wrong with it
        entry: dict[str, Any] = {"name": row["name"], **spec}  # name first
        entry["desired"] = row["desired"]
        if row["pinned_host"]:
            entry["host"] = row["pinned_host"]
        entries.append(entry)
    return entries


def dump_fleet(entries: list[dict[str, Any]]) -> str:
    """YAML text of a fleet file, with a header saying what it is and how to apply it."""
    import yaml

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"# jobfleet fleet file: {len(entries)} node(s), exported {stamp}.\n"
        "# One entry per node: its spec fields, desired (running|stopped) and host (pinned; "
        "absent: any host).\n"
        "# Secrets are ${VAR} references. "
        "Apply with: jobfleet apply -f FILE [--dry-run] [--prune]\n"
    )
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return header + (body if entries else "[]\n")


# --- plan and apply --------------------------------------------------------------------------


def plan_fleet(db: ConnectionSource, entries: list[FleetEntry], *, prune: bool) -> list[PlanItem]:
    """What applying ``entries`` would do, node by node (file order, then deletions)."""
    with db.connection() as conn:
        rows = conn.execute(q("fleet_for_file")).fetchall()
    existing = {str(r["name"]).casefold(): r for r in rows}
    plan: list[PlanItem] = []
    for entry in entries:
        row = existing.pop(entry.spec.name.casefold(), None)
        if row is None:
            plan.append(PlanItem("create", entry.spec.name, entry=entry))
            continue
        changes = spec_changes(nodes.normal_spec(row["spec"]), entry.spec.stored_dict())
        if row["desired"] != entry.desired:
            changes.append(FieldChange("desired", row["desired"], entry.desired.value))
        if row["pinned_host"] != entry.host:
            changes.append(FieldChange("host", row["pinned_host"] or "any", entry.host or "any"))
        runs = row["status"] in (NodeStatus.STARTING, NodeStatus.RUNNING)
        plan.append(
            PlanItem(
                "update" if changes else "unchanged",
                entry.spec.name,
                int(row["id"]),
                changes,
                entry,
                running=runs and row["desired"] == Desired.RUNNING,
            )
        )
    if prune:
        for row in existing.values():
            plan.append(
                PlanItem(
                    "delete",
                    str(row["name"]),
                    int(row["id"]),
                    running=row["status"] in (s.value for s in _WORKER_STATES),
                )
            )
    return plan


_WORKER_STATES = (NodeStatus.STARTING, NodeStatus.RUNNING, NodeStatus.STOPPING)


def apply_plan(db: ConnectionSource, plan: list[PlanItem], *, by: str | None = None) -> None:
    """Carry out a plan in one transaction (all of it, or nothing if anything fails): create,
    update (a changed spec restarts a running worker), delete. Deleted nodes' workers get their
    stop at once (the row's NOTIFY) and their supervisor kills any that is left."""
    with db.connection() as conn:
        tx = InTransaction(conn)
        for item in plan:
            entry = item.entry
            if item.action == "create" and entry is not None:
                nodes.deploy(
                    tx,
                    entry.spec,
                    start=entry.desired == Desired.RUNNING,
                    host=entry.host,
                    by=by,
                )
            elif item.action == "update" and entry is not None and item.node_id is not None:
                _update(tx, item.node_id, item, entry, by)
            elif item.action == "delete" and item.node_id is not None:
                log_event_now(conn, "info", "deleted", f"node {item.name} deleted by apply --prune")
                nodes.delete_node(tx, item.node_id, force=True)


def _update(
    tx: InTransaction, node_id: int, item: PlanItem, entry: FleetEntry, by: str | None
) -> None:
    wants_running = entry.desired == Desired.RUNNING
    if item.spec_changed:
        nodes.update_spec(tx, node_id, entry.spec, restart=wants_running, by=by, action="apply")
    fields = {c.field for c in item.changes}
    if "desired" in fields:
        (nodes.request_start if wants_running else nodes.request_stop)(tx, node_id)
    if "host" in fields:
        if entry.host:
            nodes.pin_to_host(tx, node_id, entry.host)
        elif tx.conn.execute(q("unpin_node"), {"id": node_id}).fetchone():
            log_event_now(
                tx.conn, "info", "unpinned", "unpinned: any host may run it", node_id=node_id
            )

"""Hosts and their supervisors, as the database sees them: who is alive, who runs what.

A request (start, stop, deploy, …) only writes a row; some host's supervisor must act on it. This
module answers "is anyone there?" for the CLI and the TUI without importing the supervisor: a
supervisor is alive when it holds its host's session advisory lock (released by the server the
moment its connection ends, so a crashed supervisor cannot look alive) *and* renews the host's
lease (``hosts.heartbeat_at``, judged by the database clock against ``host_stale_after``; a
supervisor whose loop hangs keeps the lock but lets the lease go stale, and other hosts then take
its nodes over).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.db.connections import ConnectionSource
from engine.db.queries import q
from engine.protocol import HOST_LOCK_BASE, LOCK_CLASS

# ``jobfleet demo`` supervises as host "demo@<host name>": its nodes are pinned there, so no
# other supervisor starts them (their proxy password lives only in the demo's environment), and
# a demo host runs nothing but the nodes pinned to it (it claims no unpinned node and takes none
# over, so quitting the demo never stops anyone else's work).
DEMO_HOST_PREFIX = "demo@"


def demo_host_name(host_name: str) -> str:
    """The host name ``jobfleet demo`` supervises under on the machine called ``host_name``."""
    return host_name if is_demo_host(host_name) else f"{DEMO_HOST_PREFIX}{host_name}"


def is_demo_host(host_name: str) -> bool:
    return host_name.startswith(DEMO_HOST_PREFIX)


def list_hosts(db: ConnectionSource, *, stale_after: float) -> list[dict[str, Any]]:
    """Every registered host with ``alive``, ``locked``, ``lease_fresh``, ``lease_age_s``,
    ``supervisor_pid`` and the count of the nodes it runs (``nodes``, ``nodes_by_status``)."""
    with db.connection() as conn:
        rows = conn.execute(q("list_hosts"), LIST_HOSTS_PARAMS).fetchall()
    return host_rows(rows, stale_after=stale_after)


# The parameters of the list_hosts query, for a caller that runs it itself (in a pipeline).
LIST_HOSTS_PARAMS = {"lock_class": LOCK_CLASS, "lock_base": HOST_LOCK_BASE}


def host_rows(rows: list[dict[str, Any]], *, stale_after: float) -> list[dict[str, Any]]:
    """The list_hosts query's rows as ``list_hosts`` returns them."""
    hosts = []
    for row in rows:
        host = dict(row)
        age = host["lease_age_s"]
        host["lease_age_s"] = None if age is None else round(float(age), 3)
        host["lease_fresh"] = age is not None and float(age) <= stale_after
        host["alive"] = bool(host["locked"]) and host["lease_fresh"]
        host["nodes"] = int(host["nodes"] or 0)
        host["pinned_nodes"] = int(host["pinned_nodes"] or 0)
        host["nodes_by_status"] = {
            str(k): int(v) for k, v in (host["nodes_by_status"] or {}).items()
        }
        hosts.append(host)
    return hosts


@dataclass(frozen=True)
class Supervision:
    """Which hosts have a live supervisor, and so whether a node's requests will be acted on."""

    hosts: tuple[dict[str, Any], ...]

    @property
    def alive_hosts(self) -> list[dict[str, Any]]:
        return [h for h in self.hosts if h["alive"]]

    def host(self, name: str) -> dict[str, Any] | None:
        return next((h for h in self.hosts if h["name"] == name), None)

    def supervises(self, node: dict[str, Any]) -> bool:
        """Whether some live supervisor acts on this node: its own host's for a pinned node,
        any at all for an unpinned one (a live host starts it, or takes it over once its
        host's lease has expired). A demo host runs only the nodes pinned to it."""
        if node.get("pinned") and node.get("host_id") is not None:
            return any(h["id"] == node["host_id"] for h in self.alive_hosts)
        return any(not is_demo_host(str(h["name"])) for h in self.alive_hosts)

    def missing_sentence(self, node: dict[str, Any]) -> str | None:
        """One sentence for a person whose request nobody will act on; None if someone will."""
        if self.supervises(node):
            return None
        if node.get("pinned") and node.get("host"):
            host = str(node["host"])
            if is_demo_host(host):
                return (
                    f"the node belongs to the demo (host {host}), so its status will not change "
                    "until 'jobfleet demo' runs again"
                )
            return (
                f"no supervisor is running for host {host}, so the node's status will not change "
                f"until one starts: run 'jobfleet' or 'jobfleet --no-ui' on host {host} "
                f"(JOBFLEET_HOST_NAME={host})"
            )
        nobody = (
            "only the demo's supervisor is running (it runs only the demo's nodes)"
            if self.alive_hosts
            else "no supervisor is running on any host"
        )
        return (
            f"{nobody}, so the node's status will not change until one starts: run 'jobfleet' "
            "or 'jobfleet --no-ui' on a host"
        )


def supervision(db: ConnectionSource, *, stale_after: float) -> Supervision:
    return Supervision(tuple(list_hosts(db, stale_after=stale_after)))

"""When an alert opens and when it resolves: pure functions over what the database says.

The monitor (``engine.supervisor.alerts.monitor``) reads the facts (nodes with their health and
progress, hosts with their lease, new events) and the open alerts, asks these rules what changed,
and writes the answer. Every alert names its node and host, says what happened and what to do
next; texts that come from the outside (a worker's last error) are masked before they are stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.fleet.events import log_text

KINDS = (
    "node_fatal",
    "node_failing",
    "no_new_postings",
    "proxy_failed",
    "host_lost",
    "supervisor_replaced",
    "spool_waiting",
    "database_unreachable",
)
# Events in node_logs that raise or resolve alerts.
EVENTS = ("proxy_failed", "proxy_ok", "lock_lost")


@dataclass(frozen=True)
class Policy:
    failing_after: int = 3
    no_new_cycles: int = 10
    host_stale_after: float = 30.0
    takeover_after: float = 300.0


@dataclass(frozen=True)
class Open:
    """Open an alert (unless one of this kind and subject is open already). ``resolved`` set:
    it reports a past event and is stored closed at once, with that resolution."""

    kind: str
    subject: str
    level: str
    title: str
    body: str
    node_id: int | None = None
    node_name: str | None = None
    host_name: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    source_log_id: int | None = None
    resolved: str | None = None


@dataclass(frozen=True)
class Resolve:
    """Close the open alert of this kind and subject; ``notify`` says whether that is news."""

    kind: str
    subject: str
    resolution: str
    notify: bool = True


Change = Open | Resolve


@dataclass(frozen=True)
class NodeFacts:
    id: int
    name: str
    status: str
    desired: str
    host: str | None
    last_error: str | None
    health: str
    health_reason: str
    cycle: int
    new_at_cycle: int
    fast_crashes: int = 0


@dataclass(frozen=True)
class HostFacts:
    name: str
    lease_age_s: float | None
    running_nodes: int
    pinned_nodes: int
    demo: bool = False


@dataclass(frozen=True)
class EventFacts:
    id: int
    event: str
    node_id: int | None
    node_name: str | None
    node_host: str | None
    host: str | None  # the host that wrote the event
    message: str
    fields: dict[str, Any] = field(default_factory=dict)


def node_subject(node_id: int) -> str:
    return f"node:{node_id}"


def host_subject(name: str) -> str:
    return f"host:{name}"


def _where(host: str | None) -> str:
    return f"on host {host}" if host else "(not on any host yet)"


def _quoted(text: str | None, limit: int = 500) -> str:
    return log_text((text or "").strip() or "none recorded", limit)


# --- nodes -----------------------------------------------------------------------------------


def node_changes(node: NodeFacts, open_kinds: set[str], policy: Policy) -> list[Change]:
    """What the node's state opens or resolves, given the kinds open for it."""
    changes: list[Change] = []
    subject = node_subject(node.id)
    wanted = node.desired == "running"
    where = _where(node.host)
    ref = node.name

    def resolve_quietly_or(kind: str, recovered: bool, news: str) -> None:
        if kind not in open_kinds:
            return
        if not wanted:
            changes.append(Resolve(kind, subject, f"node {ref} was stopped", notify=False))
        elif recovered:
            changes.append(Resolve(kind, subject, news))

    # FATAL: crashed too often in a row; nothing restarts it until a person acts.
    if node.status == "fatal":
        if "node_fatal" not in open_kinds:
            changes.append(
                Open(
                    "node_fatal",
                    subject,
                    "error",
                    f"jobfleet: node {ref} {where} is FATAL",
                    f"Node {ref} {where} crashed right after starting too many times in a row "
                    f"and will not be restarted. Last error: {_quoted(node.last_error)}.\n"
                    f"Next: read its log (jobfleet logs {ref}), fix the cause (its spec, a "
                    f"missing proxy variable or CA file, the host's memory), then start it "
                    f"again: jobfleet start {ref}",
                    node.id,
                    node.name,
                    node.host,
                    {"status": node.status, "last_error": _quoted(node.last_error)},
                )
            )
    elif "node_fatal" in open_kinds:
        if wanted:
            changes.append(
                Resolve("node_fatal", subject, f"node {ref} {where} is {node.status} again")
            )
        else:
            changes.append(Resolve("node_fatal", subject, f"node {ref} was stopped", notify=False))

    failing = node.health == "failing"
    if failing and wanted and node.status != "fatal":
        if "node_failing" not in open_kinds:
            changes.append(
                Open(
                    "node_failing",
                    subject,
                    "error",
                    f"jobfleet: node {ref} {where} is failing",
                    f"Every site of node {ref} {where} failed its last {policy.failing_after} "
                    f"scrapes: {_quoted(node.health_reason)}. It keeps running but stores "
                    f"nothing.\nNext: see why (jobfleet runs {ref} --since 1h): a blocked or "
                    f"dead proxy, a board that changed or stopped answering; fix its proxies or "
                    f"sites and redeploy it, or stop it: jobfleet stop {ref}",
                    node.id,
                    node.name,
                    node.host,
                    {"health": node.health, "health_reason": _quoted(node.health_reason)},
                )
            )
    else:
        resolve_quietly_or(
            "node_failing",
            node.health == "ok",
            f"node {ref} {where} scrapes again: {_quoted(node.health_reason)}",
        )

    idle_cycles = node.cycle - node.new_at_cycle
    idle = (
        wanted and node.status == "running" and not failing and idle_cycles >= policy.no_new_cycles
    )
    if idle:
        if "no_new_postings" not in open_kinds:
            changes.append(
                Open(
                    "no_new_postings",
                    subject,
                    "warning",
                    f"jobfleet: node {ref} {where} found nothing new in {idle_cycles} cycles",
                    f"Node {ref} {where} has found no new posting in its last {idle_cycles} "
                    f"cycles (cycle {node.cycle}); its scrapes succeed but bring only postings "
                    f"already stored.\nNext: check what it finds (jobfleet runs {ref}); widen "
                    f"its search (terms, locations, hours old) or lengthen its cycle, or stop "
                    f"it if the search is exhausted: jobfleet stop {ref}",
                    node.id,
                    node.name,
                    node.host,
                    {"cycle": node.cycle, "cycles_without_new": idle_cycles},
                )
            )
    else:
        resolve_quietly_or(
            "no_new_postings",
            idle_cycles < policy.no_new_cycles,
            f"node {ref} {where} found new postings again",
        )

    # Proxy alerts open from events; a stopped node's closes here.
    if not wanted and "proxy_failed" in open_kinds:
        changes.append(Resolve("proxy_failed", subject, f"node {ref} was stopped", notify=False))
    return changes


def removed_node_changes(subject: str, open_kinds: Iterable[str]) -> list[Change]:
    """Open alerts of a node that no longer exists: closed without a message."""
    return [Resolve(kind, subject, "the node was removed", notify=False) for kind in open_kinds]


# --- hosts -----------------------------------------------------------------------------------


def host_changes(host: HostFacts, open_kinds: set[str], policy: Policy) -> list[Change]:
    """A host whose supervisor stopped renewing its lease while nodes should run there."""
    subject = host_subject(host.name)
    age = host.lease_age_s
    stale = age is not None and age > policy.host_stale_after
    if stale and host.running_nodes > 0 and not host.demo:
        if "host_lost" in open_kinds:
            return []
        assert age is not None
        pinned = (
            f" {host.pinned_nodes} of them are pinned there and wait for it;"
            if host.pinned_nodes
            else ""
        )
        return [
            Open(
                "host_lost",
                subject,
                "error",
                f"jobfleet: the supervisor on host {host.name} is gone",
                f"The supervisor on host {host.name} has not renewed its lease for {age:.0f} s "
                f"(limit {policy.host_stale_after:g} s): it stopped, hangs, or lost the "
                f"database. {host.running_nodes} nodes that should run there have nobody to "
                f"restart them;{pinned} other hosts take the rest over after about "
                f"{policy.takeover_after:.0f} s.\nNext: check the machine and start the "
                f"supervisor on it again (jobfleet --no-ui, or jobfleet); jobfleet hosts shows "
                f"which supervisors are alive",
                host_name=host.name,
                fields={"lease_age_s": round(age, 1), "nodes": host.running_nodes},
            )
        ]
    if "host_lost" not in open_kinds:
        return []
    if not stale:
        return [Resolve("host_lost", subject, f"the supervisor on host {host.name} is back")]
    return [
        Resolve(
            "host_lost",
            subject,
            f"no node needs host {host.name} any more (taken over or stopped)",
        )
    ]


# --- events ----------------------------------------------------------------------------------


def event_changes(
    ev: EventFacts, open_alerts: dict[tuple[str, str], dict[str, Any]]
) -> list[Change]:
    """Alerts raised or closed by one node_logs event. ``open_alerts``: (kind, subject) of
    every open alert → its fields. A proxy alert closes when the proxy that failed passes its
    check (another proxy of the node passing says nothing about it)."""
    if ev.event == "lock_lost":
        host = ev.host or "an unknown host"
        return [
            Open(
                "supervisor_replaced",
                host_subject(host),
                "error",
                f"jobfleet: the supervisor on host {host} was taken over",
                f"The supervisor on host {host} lost its host lock (its lock connection "
                f"dropped) and another supervisor took the host over, so it left. Its workers "
                f"are now the other supervisor's.\nNext: make sure exactly one supervisor runs "
                f"per host name (jobfleet hosts; JOBFLEET_HOST_NAME must differ between "
                f"machines), and stop the extra one",
                host_name=ev.host,
                source_log_id=ev.id,
                resolved="reported once",
            )
        ]
    if ev.node_id is None:
        return []
    subject = node_subject(ev.node_id)
    name = ev.node_name or f"#{ev.node_id}"
    where = _where(ev.node_host)
    if ev.event == "proxy_failed":
        return [
            Open(
                "proxy_failed",
                subject,
                "warning",
                f"jobfleet: a proxy of node {name} {where} failed its check",
                f"A proxy of node {name} {where} failed its check: {_quoted(ev.message)}. The "
                f"node scrapes through its other proxies; with none left its scrapes fail "
                f"(no usable proxy).\nNext: check the proxy's address, credentials and quota "
                f"(jobfleet logs {name} --level warning); replace it in the node's spec and "
                f"redeploy",
                ev.node_id,
                ev.node_name,
                ev.node_host,
                {"error": _quoted(ev.message), "proxy": ev.fields.get("proxy")},
                source_log_id=ev.id,
            )
        ]
    failed = open_alerts.get(("proxy_failed", subject))
    if ev.event == "proxy_ok" and failed is not None:
        proxy = failed.get("proxy")
        if proxy is not None and proxy != ev.fields.get("proxy"):
            return []
        shown = f"proxy {proxy}" if proxy else "its proxy"
        return [Resolve("proxy_failed", subject, f"{shown} of node {name} passes its check")]
    return []


# --- this host -------------------------------------------------------------------------------


def spool_open(host: str, batches: int, oldest_min: float, limit_min: float) -> Open:
    return Open(
        "spool_waiting",
        host_subject(host),
        "warning",
        f"jobfleet: {batches} spooled batches wait on host {host}",
        f"{batches} batches of scraped postings on host {host} have waited to be stored for "
        f"more than {limit_min:g} minutes (the oldest {oldest_min:.0f} minutes). They are safe "
        f"on disk but not in the database yet.\nNext: check that the database answers and "
        f"accepts writes (jobfleet db status; disk space, locks), then read the store errors "
        f"(jobfleet logs --all --level warning); the supervisor retries them every few minutes",
        host_name=host,
        fields={"batches": batches, "oldest_minutes": round(oldest_min, 1)},
    )


def spool_resolve(host: str) -> Resolve:
    return Resolve("spool_waiting", host_subject(host), f"the spool on host {host} drained")


def outage_open(host: str, seconds: float, limit_s: float) -> Open:
    return Open(
        "database_unreachable",
        host_subject(host),
        "error",
        f"jobfleet: the database was unreachable for {seconds:.0f} s from host {host}",
        f"Host {host} could not reach the database for {seconds:.0f} s (alerts start at "
        f"{limit_s:g} s); it answers again now. Workers kept their results in the spool and "
        f"store them now; nodes were not judged meanwhile.\nNext: look at the database "
        f"server's log and uptime, its disk and the network between them; jobfleet db status",
        host_name=host,
        fields={"seconds": round(seconds, 1)},
        resolved="the database answers again",
    )

"""``jobfleet hosts``: the machines registered on this database and whether their supervisor
is alive (it holds the host's lock and renews its lease, by the database clock)."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.nodes import age_text
from engine.cli.output import info, print_json, print_table
from engine.cli.state import CliState, common_options, pass_state
from engine.fleet.states import NodeStatus as S

JSON_KEYS = (
    "name",
    "alive",
    "supervisor_pid",
    "lease_age_s",
    "lease_fresh",
    "locked",
    "nodes",
    "pinned_nodes",
    "nodes_by_status",
    "version",
    "cpus",
    "mem_total",
    "mem_available",
    "started_at",
    "heartbeat_at",
)


def _host_json(host: dict[str, Any]) -> dict[str, Any]:
    return {key: host.get(key) for key in JSON_KEYS}


def _mib(value: int | None) -> str:
    return "" if value is None else f"{int(value) >> 20}M"


@click.command("hosts")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
def hosts_cmd(state: CliState, as_json: bool) -> None:
    """List the hosts and whether a supervisor runs on each."""
    from engine.fleet.hosts import list_hosts

    hosts = list_hosts(state.db(), stale_after=state.settings.host_stale_after)
    if as_json:
        print_json([_host_json(h) for h in hosts])
        return
    if not hosts:
        info("no hosts yet; a host registers when 'jobfleet' or 'jobfleet --no-ui' starts on it")
        return
    table = []
    for h in hosts:
        running = h["nodes_by_status"].get(S.RUNNING, 0)
        table.append(
            {
                "host": h["name"],
                "supervisor": "alive" if h["alive"] else "none",
                "pid": h["supervisor_pid"] if h["alive"] else None,
                "lease": age_text(h["lease_age_s"]),
                "nodes": h["nodes"],
                "running": running,
                "cpus": h["cpus"],
                "mem": _mib(h["mem_total"]),
                "avail": _mib(h["mem_available"]),
                "version": h["version"],
            }
        )
    print_table(table, list(table[0]))


def register(cli: click.Group) -> None:
    cli.add_command(hosts_cmd)

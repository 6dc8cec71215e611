"""``jobfleet demo``: the simulated boards, three demo nodes scraping them, and a supervisor.

The simulator keeps a stable port and CA under ``$JOBFLEET_HOME/sim`` so a second run gives the
same proxy URL, and the demo nodes are reused (their spec refreshed) instead of added again. The
simulator's proxy asks for a password, which the specs reference as
``${JOBFLEET_PROXY_DEMO_PASS}``: a fresh one per run, in this process's environment only, which
the workers inherit (workers left from an earlier run are restarted to pick it up).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine.cli.launch import load_tui, run_headless
from engine.cli.output import info
from engine.cli.state import CliState, common_options, pass_state
from engine.db.handle import Database
from engine.errors import UserError
from engine.settings import Settings
from engine.sim import SimBoards

if TYPE_CHECKING:
    from engine.fleet.spec import NodeSpec

PASS_ENV = "JOBFLEET_PROXY_DEMO_PASS"
PROXY_USER = "demo"

DEMO_NODES: list[dict[str, Any]] = [
    {
        "name": "demo-python-us",
        "search_term": "python developer",
        "country": "US",
        "locations": ["New York", "Austin", "Seattle"],
    },
    {
        "name": "demo-data-de",
        "search_term": "data engineer",
        "country": "DE",
        "locations": ["Berlin", "Munich"],
    },
    {
        "name": "demo-nurse-gb",
        "search_term": "nurse",
        "country": "GB",
        "locations": ["London", "Manchester"],
        "sites": ["indeed", "linkedin"],
    },
]
DEMO_DEFAULTS: dict[str, Any] = {
    "sites": ["linkedin", "indeed"],
    "results_wanted": 10,
    "hours_old": 168,
    "delay_min": 5,
    "delay_max": 15,
    "cycle_minutes": 2,
    "max_cycles": 20,
}


def sim_dir(settings: Settings) -> Path:
    return settings.home / "sim"


def start_sim(settings: Settings) -> SimBoards:
    """Start the simulator on the port it used last time (or a new one if that is taken)."""
    directory = sim_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    port_file = directory / "port"
    password = os.environ.get(PASS_ENV) or secrets.token_urlsafe(18)
    os.environ[PASS_ENV] = password
    saved = 0
    with contextlib.suppress(OSError, ValueError):
        saved = int(port_file.read_text().strip())
    sim = None
    for port in ([saved] if saved else []) + [0]:
        try:
            sim = SimBoards(port=port, auth=(PROXY_USER, password), ca_dir=directory).start()
            break
        except OSError:
            continue
    if sim is None:
        raise UserError("could not start the simulated job boards (no free port on 127.0.0.1)")
    port_file.write_text(f"{sim.port}\n")
    return sim


def demo_specs(sim: SimBoards) -> list[NodeSpec]:
    # Like the other node commands, the spec model loads when used, not on every `jobfleet`.
    from engine.fleet.spec import parse_spec

    proxy = f"http://{PROXY_USER}:${{{PASS_ENV}}}@{sim.address}"
    return [
        parse_spec({**DEMO_DEFAULTS, **node, "proxies": [proxy], "ca_cert": sim.ca_path})
        for node in DEMO_NODES
    ]


def ensure_demo_nodes(db: Database, sim: SimBoards) -> list[int]:
    """Deploy the demo nodes, or refresh and restart the ones a previous run left."""
    from engine.fleet import nodes  # loaded when used, as in engine.cli.nodes

    existing = {row.name: row for row in nodes.list_nodes(db)}
    ids = []
    for spec in demo_specs(sim):
        row = existing.get(spec.name)
        if row is None:
            ids.append(nodes.deploy(db, spec))
            continue
        nodes.update_spec(db, row.id, spec)
        # A worker from an earlier run holds the old proxy password: restart it.
        nodes.request_restart(db, row.id)
        ids.append(row.id)
    return ids


def run_demo(state: CliState, *, no_ui: bool) -> None:
    settings = state.settings
    db = state.db()
    sim = start_sim(settings)
    try:
        ids = ensure_demo_nodes(db, sim)
        info(f"simulated boards at {sim.address}; demo nodes {', '.join(map(str, ids))}")
        if no_ui:
            # The simulator ends with this process, so its workers would only fail on.
            run_headless(state, stop_workers=True)
        else:
            load_tui()(settings, demo=True)
    finally:
        sim.stop()


@click.command("demo")
@common_options
@click.option("--no-ui", is_flag=True, help="Run the supervisor headless instead of the TUI.")
@pass_state
def demo_cmd(state: CliState, no_ui: bool) -> None:
    """Simulated job boards, three demo nodes scraping them, and the supervisor."""
    run_demo(state, no_ui=no_ui)


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)

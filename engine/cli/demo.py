"""``jobfleet demo``: the simulated boards, three demo nodes scraping them, and a supervisor.

The demo supervises as its own host, ``demo@<host name>`` (``engine.fleet.hosts``), and pins its
nodes there: the simulator's proxy asks for a password, which the specs reference as
``${JOBFLEET_PROXY_DEMO_PASS}`` and which lives only in this process's environment (the workers
inherit it). Any other supervisor would start them without it (exit 78, then FATAL), so none
does: pinned nodes wait for their own host. The demo's supervisor in turn runs nothing but its
own nodes, so quitting it (which stops its workers: the boards die with it) stops nobody
else's work, and ``jobfleet`` may run beside it.

Every run brings the demo nodes back to running, whatever an earlier run or another supervisor
left: it re-pins them, writes the current simulator's address and CA into their specs (the
port is kept in ``$JOBFLEET_HOME/sim`` but may change when it is taken), lets FATAL ones go,
and restarts the rest so their workers hold the new password.
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
from engine.fleet.hosts import demo_host_name
from engine.fleet.states import NodeStatus
from engine.settings import Settings
from engine.sim import SimBoards, search_terms_hint

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


def demo_proxy(sim: SimBoards) -> str:
    """The simulator's proxy as a spec holds it: the password stays a reference."""
    return f"http://{PROXY_USER}:${{{PASS_ENV}}}@{sim.address}"


def demo_specs(sim: SimBoards) -> list[NodeSpec]:
    # Like the other node commands, the spec model loads when used, not on every `jobfleet`.
    from engine.fleet.spec import parse_spec

    return [
        parse_spec({**DEMO_DEFAULTS, **node, "proxies": [demo_proxy(sim)], "ca_cert": sim.ca_path})
        for node in DEMO_NODES
    ]


def ensure_demo_nodes(db: Database, sim: SimBoards, host: str) -> list[int]:
    """Deploy the demo nodes pinned to ``host``, or bring back the ones a previous run left:
    pinned to ``host``, the current simulator in their specs, out of FATAL, (re)started."""
    from engine.fleet import nodes  # loaded when used, as in engine.cli.nodes

    existing = {row.name.casefold(): row for row in nodes.list_nodes(db)}
    ids = []
    for spec in demo_specs(sim):
        row = existing.get(spec.name.casefold())
        if row is None:
            ids.append(nodes.deploy(db, spec, host=host))
            continue
        nodes.pin_to_host(db, row.id, host)
        nodes.update_spec(db, row.id, spec)
        if row.status == NodeStatus.FATAL:
            nodes.request_start(db, row.id)  # a FATAL node waits for a person: the demo is one
        # Clears a backoff wait and the crash streak; a worker from an earlier run holds the
        # old proxy password, so a live one is restarted.
        nodes.request_restart(db, row.id)
        ids.append(row.id)
    return ids


def refuse_second_demo(db: Database, host: str) -> None:
    from engine.supervisor.lease import supervisor_holder  # the supervisor loads when used

    holder = supervisor_holder(db, host)
    if holder is not None:
        pid = f" (pid {holder['pid']})" if holder.get("pid") else ""
        raise UserError(f"a demo is already running on this machine{pid}; quit it first, or use it")


def run_demo(state: CliState, *, no_ui: bool) -> None:
    # JOBFLEET_METRICS_PORT belongs to this machine's real supervisor (whose port it would
    # collide with); the demo serves metrics only when asked on its command line.
    settings = state.settings.model_copy(
        update={
            "host_name": demo_host_name(state.settings.host_name),
            "metrics_port": state.metrics_port,
        }
    )
    db = state.db()
    refuse_second_demo(db, settings.host_name)
    sim = start_sim(settings)
    try:
        ids = ensure_demo_nodes(db, sim, settings.host_name)
        info(
            f"simulated boards at {sim.address} (CA {sim.ca_path}); demo nodes "
            f"{', '.join(map(str, ids))} on host {settings.host_name}"
        )
        info(search_terms_hint())
        if no_ui:
            # The simulator ends with this process, so its workers would only fail on.
            run_headless(state, stop_workers=True, settings=settings)
        else:
            run_demo_tui(settings, sim)
    finally:
        sim.stop()


def run_demo_tui(settings: Settings, sim: SimBoards) -> None:
    run_app = load_tui()
    # Loaded with the UI it belongs to (textual is heavy and --no-ui never needs it).
    from tui.screens.deploy import DeployPreset

    preset = DeployPreset(
        values={"proxies": [demo_proxy(sim)], "ca_cert": sim.ca_path},
        host=settings.host_name,
        hint=(
            f"Demo: the simulated boards' proxy and CA are filled in; a node deployed here runs "
            f"on host {settings.host_name} while the demo runs. {search_terms_hint()}"
        ),
    )
    run_app(settings, demo=True, deploy_preset=preset)


@click.command("demo")
@common_options
@click.option("--no-ui", is_flag=True, help="Run the supervisor headless instead of the TUI.")
@pass_state
def demo_cmd(state: CliState, no_ui: bool) -> None:
    """Simulated job boards, three demo nodes scraping them, and the supervisor."""
    run_demo(state, no_ui=no_ui)


def register(cli: click.Group) -> None:
    cli.add_command(demo_cmd)

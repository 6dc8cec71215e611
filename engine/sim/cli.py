"""``jobfleet sim`` / ``python -m engine.sim``: run the simulated boards in the foreground."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from engine.sim.faults import BOARDS, KINDS, Fault, parse_assignment
from engine.sim.ipecho import DEFAULT_EXIT_IP
from engine.sim.server import SimBoards, search_terms_hint


def _credentials(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        user, sep, password = value.partition(":")
        if not sep or not user:
            raise click.BadParameter("expected USER:PASSWORD", ctx, param)
        pairs.append((user, password))
    return pairs


def _faults(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, Fault]:
    faults = {}
    for value in values:
        try:
            board, fault = parse_assignment(value)
        except ValueError as e:
            raise click.BadParameter(str(e), ctx, param) from None
        faults[board] = fault
    return faults


@click.command(
    "sim",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port (default: any free one)."
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=7,
    show_default=True,
    help="Seed of the job corpus.",
)
@click.option(
    "--auth",
    "auth",
    multiple=True,
    metavar="USER:PASS",
    callback=_credentials,
    envvar="JOBFLEET_SIM_AUTH",
    help=(
        "Require proxy Basic auth; repeat for several credentials. Prefer the environment "
        "variable JOBFLEET_SIM_AUTH (space-separated USER:PASS pairs): argv is visible to other "
        "users in ps."
    ),
)
@click.option(
    "--exit-ip", default=DEFAULT_EXIT_IP, show_default=True, help="Address the IP echo reports."
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="BOARD=KIND[:ARG]",
    callback=_faults,
    help=(
        f"Start with a fault; boards: {', '.join(BOARDS)}; kinds: {', '.join(KINDS)}. "
        "ARG is a response count (linkedin=429:3) or, for slow, DELAY[:COUNT] (indeed=slow:2)."
    ),
)
@click.option(
    "--ca-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the CA here and reuse it across runs (default: a temporary one).",
)
def sim_command(
    host: str,
    port: int,
    seed: int,
    auth: list[tuple[str, str]],
    exit_ip: str,
    faults: dict[str, Fault],
    ca_dir: Path | None,
) -> None:
    """Run simulated LinkedIn and Indeed boards behind a local TLS proxy until Ctrl+C.

    Point jobspy at it with proxies=[PROXY_URL] and ca_cert=CA_FILE. Faults can be changed while
    it runs: POST {"board": "linkedin", "kind": "429", "count": 3} to /_sim/faults on the proxy
    port (DELETE clears them); GET /_sim/counters shows what was served.
    """
    sim = SimBoards(
        seed=seed,
        port=port,
        host=host,
        auth=auth or None,
        exit_ip=exit_ip,
        ca_dir=ca_dir,
        faults=faults,
    )
    try:
        sim.start()
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        click.echo(f"proxy: {sim.masked_proxy_url}")
        click.echo(f"ca: {sim.ca_path}")
        click.echo(f"control: http://{sim.address}/_sim/counters")
        click.echo(search_terms_hint(), err=True)
        for board, (fault, _) in sim.faults.items():
            click.echo(f"fault: {board} {fault.describe()}")
        click.echo("serving; Ctrl+C stops", err=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sim.stop()
        click.echo("stopped", err=True)

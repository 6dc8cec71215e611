"""``jobfleet sim``: the simulated job boards (the command lives in engine.sim.cli)."""

from __future__ import annotations

import click

from engine.cli.state import common_options
from engine.sim.cli import sim_command


def register(cli: click.Group) -> None:
    # --debug (and --database-url/--home, unused here) as on every other command.
    cli.add_command(common_options(sim_command), "sim")

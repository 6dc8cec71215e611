"""``jobfleet sim``: the simulated job boards (the command lives in engine.sim.cli)."""

from __future__ import annotations

import click

from engine.sim.cli import sim_command


def register(cli: click.Group) -> None:
    cli.add_command(sim_command, "sim")

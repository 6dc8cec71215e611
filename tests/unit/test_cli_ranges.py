"""The CLI's integer and number options have bounds, and deploy's are NodeSpec's own."""

from __future__ import annotations

import annotated_types
import click
import pytest

from engine.cli import cli
from engine.cli.nodes import deploy
from engine.fleet.spec import NodeSpec


def _spec_bounds(field: str) -> tuple[float | None, float | None]:
    low = high = None
    for meta in NodeSpec.model_fields[field].metadata:
        if isinstance(meta, annotated_types.Ge):
            low = meta.ge
        if isinstance(meta, annotated_types.Le):
            high = meta.le
    return low, high


@pytest.mark.parametrize(
    "field", ["results_wanted", "hours_old", "cycle_minutes", "max_cycles", "memory_limit_mb"]
)
def test_deploy_bounds_are_the_specs(field: str) -> None:
    option = next(p for p in deploy.params if p.name == field)
    assert isinstance(option.type, click.IntRange | click.FloatRange)
    assert (option.type.min, option.type.max) == _spec_bounds(field)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


def test_every_numeric_option_is_bounded() -> None:
    unbounded = [
        f"{name} {param.name}"
        for name, command in _commands(cli)
        for param in command.params
        if param.type in (click.INT, click.FLOAT)
    ]
    assert unbounded == []

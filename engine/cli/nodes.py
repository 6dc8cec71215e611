"""Placeholder: the commands of this group are being built."""

import click


def register(cli: click.Group) -> None:
    return None


def run_default(state: object, *, no_ui: bool, stop_workers: bool) -> None:
    from engine.errors import UserError

    raise UserError("the supervisor and the terminal UI are not built yet")

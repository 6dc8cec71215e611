"""Placeholder: the commands of this group are being built."""

import click


def register(cli: click.Group) -> None:
    return None

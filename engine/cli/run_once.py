"""``jobfleet run-once``: one cycle of a node now, outside its active hours or while stopped."""

from __future__ import annotations

import click

from engine.cli.nodes import _warn_if_unsupervised
from engine.cli.output import info
from engine.cli.selection import Selection, selection_options
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.fleet.rows import NodeRow
from engine.text import visible_text


@click.command("run-once")
@common_options
@selection_options
@pass_state
def run_once_cmd(state: CliState, /, selection: Selection) -> None:
    """Run one cycle of each node now, then let it go back to its state.

    For stopped nodes and for nodes resting outside their active hours (scheduled): the
    supervisor starts a worker that walks every location once and exits; a stopped node is
    stopped again after it, a scheduled one scheduled. `jobfleet stop` ends the cycle early.
    Refused (exit 1) for a node that is running, starting, or restarting on its own."""
    from engine.fleet import nodes

    rows = selection.rows(state)
    if not rows:
        return
    selection.confirm("run once", rows, always=False)
    db = state.db()
    asked: list[NodeRow] = []
    refused = 0
    for row in rows:
        shown = visible_text(row.name, one_line=True)
        try:
            nodes.request_run_once(db, row.id)
        except UserError as exc:
            refused += 1
            reason = str(exc).removeprefix(f"node {row.id} ")
            info(f"run-once: node {shown} (id {row.id}) {reason}; nothing was done")
            continue
        asked.append(row)
        info(f"run-once: node {shown} (id {row.id}) — one cycle requested")
    _warn_if_unsupervised(state, asked)
    if refused:
        raise click.exceptions.Exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(run_once_cmd)

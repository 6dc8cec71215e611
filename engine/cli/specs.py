"""``jobfleet edit`` (a node's spec, changed in place; deploy's options, from
``engine.cli.spec_options``) and ``jobfleet history`` (its versions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli.nodes import _warn_if_unsupervised
from engine.cli.output import info, print_json, print_line
from engine.cli.spec_options import spec_data, spec_options
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError

# --- edit ------------------------------------------------------------------------------------


@click.command("edit")
@common_options
@click.argument("node")
@spec_options
@click.option(
    "--host",
    metavar="NAME",
    help="Pin the node to this host (its JOBFLEET_HOST_NAME), as deploy --host does.",
)
@click.option(
    "--no-restart",
    is_flag=True,
    help="Do not restart a running worker: it keeps the old spec until its next start.",
)
@click.option("--dry-run", is_flag=True, help="Validate and print the changes; change nothing.")
@pass_state
def edit_cmd(
    state: CliState,
    /,
    node: str,
    spec_file: Path | None,
    host: str | None,
    no_restart: bool,
    dry_run: bool,
    **options: Any,
) -> None:
    """Change a node's spec in place and restart its worker if it runs.

    Takes every deploy option; the fields given replace the node's, the others stay (--file:
    the fields the file holds). The new spec is validated exactly as deploy validates one, and
    nothing changes if it is invalid. Prints the fields that changed; the change is kept in the
    node's history (jobfleet history NODE) and its events.

    \b
    Example:
      jobfleet edit py-us --search "python developer" --results 50
    """
    from engine.fleet import nodes
    from engine.fleet.history import spec_changes
    from engine.fleet.spec import load_stored_spec, parse_spec

    given = any(v not in (None, ()) for v in options.values())
    if not given and spec_file is None and host is None:
        raise UserError(
            "give at least one field to change, e.g. "
            f"jobfleet edit {node[:60]} --results 50 (jobfleet edit -h lists them)"
        )
    db = state.db()
    row = nodes.get_node(db, node)
    shown = f"{row.name} (id {row.id})"
    try:
        current = load_stored_spec(row.spec).stored_dict()
    except UserError:
        current = dict(row.spec)  # invalid as stored: the edit must give a valid one
    data = spec_data(spec_file, options, base=current)
    try:
        spec = parse_spec(data)
    except UserError as exc:
        raise UserError(
            f"{exc}; node {shown} was not changed (fix the option or file and run edit again)"
        ) from None
    if dry_run:
        changes = spec_changes(nodes.normal_spec(row.spec), spec.stored_dict())
        _print_changes(f"would edit node {shown}", [c.describe() for c in changes])
        info("dry run: nothing was changed")
        return
    result = nodes.update_spec(db, row.id, spec, restart=not no_restart)
    moved = host is not None and nodes.pin_to_host(db, row.id, host)
    lines = [c.describe() for c in result.changes]
    if moved:
        lines.append(f"host: pinned to {host}")
    if not lines:
        info(f"node {shown}: no change (the spec is the same)")
        return
    _print_changes(f"edited node {shown}", lines)
    fields = {c.field for c in result.changes}
    if "country" in fields and "locations" not in fields:
        info(
            f"note: the locations stay as they were ({len(spec.locations)}); "
            "pass --location to search places in the new country"
        )
    if result.restart_requested:
        info("restart requested: its supervisor restarts the worker with the new spec")
        _warn_if_unsupervised(state, [nodes.get_node(db, row.id)])
    elif result.changes and row.status in ("starting", "running") and no_restart:
        info("the running worker keeps the old spec until it restarts (jobfleet restart NODE)")


def _print_changes(title: str, lines: list[str]) -> None:
    print_line(title + (":" if lines else ": no change"))
    for line in lines:
        print_line(f"  ~ {line}")


# --- history ---------------------------------------------------------------------------------


@click.command("history")
@common_options
@click.argument("node")
@click.option(
    "-n",
    "limit",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="How many versions to show, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (with full specs).")
@pass_state
def history_cmd(state: CliState, /, node: str, limit: int, as_json: bool) -> None:
    """Show a node's spec history: who changed which fields, and when (newest first).

    The first version is the spec it was deployed with; each edit or apply that changed it adds
    one. Specs hold secrets only as ${VAR} references.
    """
    from engine.fleet import nodes
    from engine.fleet.history import spec_history

    db = state.db()
    row = nodes.get_node(db, node)
    versions = spec_history(db, row.id, limit=limit)
    if as_json:
        print_json(
            [
                {
                    "id": v.id,
                    "changed_at": v.changed_at,
                    "changed_by": v.changed_by,
                    "action": v.action,
                    "changes": v.changes,
                    "old_spec": v.old_spec,
                    "new_spec": v.new_spec,
                }
                for v in versions
            ]
        )
        return
    if not versions:
        info(f"node {row.name} has no recorded versions (deployed before jobfleet kept them)")
        return
    for v in versions:
        when = v.changed_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        line = f"{when}  {v.changed_by}  {v.action}: {v.summary()}"
        print_line(line)


def register(cli: click.Group) -> None:
    cli.add_command(edit_cmd)
    cli.add_command(history_cmd)

"""Fleet files on the command line: ``jobfleet nodes export`` and ``jobfleet apply -f FILE``.

The format and the plan/apply logic live in ``engine.fleet.fleetfile``; this module prints the
plan (like ``kubectl apply``: create, update with field diffs, delete, unchanged), asks before
deleting, and says what happened.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.cli.nodes import _warn_if_unsupervised, list_cmd
from engine.cli.output import info, print_line
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.text import visible_text

if TYPE_CHECKING:
    from engine.fleet.fleetfile import PlanItem

_MARKS = {"create": "+", "update": "~", "delete": "-", "unchanged": "="}


@click.command("export")
@common_options
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file (default: standard output).",
)
@pass_state
def export_cmd(state: CliState, /, out: Path | None) -> None:
    """Write every node's spec, desired state and pinned host as a YAML fleet file.

    Secrets stay ${VAR} references. Apply the file with 'jobfleet apply -f FILE' (here, or into
    another database to copy the fleet).

    \b
    Example:
      jobfleet nodes export --out fleet.yaml
    """
    from engine.fleet.fleetfile import dump_fleet, export_fleet

    entries = export_fleet(state.db())
    text = dump_fleet(entries)
    if out is None:
        sys.stdout.write(text)
        return
    _write_atomically(out, text)
    info(f"wrote {len(entries)} node(s) to {out}")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a full disk leaves the old file)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


@click.command("apply")
@common_options
@click.option(
    "-f",
    "--file",
    "fleet_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The fleet file (YAML, or JSON if it ends in .json).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option(
    "--prune", is_flag=True, help="Also delete the nodes the file does not list (asks first)."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting.")
@pass_state
def apply_cmd(state: CliState, /, fleet_file: Path, dry_run: bool, prune: bool, yes: bool) -> None:
    """Make the fleet match a fleet file: create, update, and with --prune delete nodes.

    Prints the plan first (+ create, ~ update with the fields that change, - delete, = unchanged).
    Every entry is validated before anything is written, and the changes are made in one
    transaction: a bad file changes nothing. An updated node whose worker runs is restarted on
    its new spec by its supervisor. Nodes are matched by name (ignoring case).

    \b
    Format: a YAML list, one entry per node: every spec field (as deploy takes them), plus
    desired: running|stopped (default running) and host: NAME (pinned; absent: any host).
    'jobfleet nodes export' writes one.

    \b
    Examples:
      jobfleet apply -f fleet.yaml --dry-run
      jobfleet apply -f fleet.yaml --prune --yes
    """
    from engine.fleet.fleetfile import apply_plan, plan_fleet, read_fleet_file

    entries = read_fleet_file(fleet_file)
    db = state.db()
    plan = plan_fleet(db, entries, prune=prune)
    _print_plan(plan)
    counts = {a: sum(1 for i in plan if i.action == a) for a in _MARKS}
    summary = (
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged"
    )
    if dry_run:
        info(f"plan: {summary}; dry run: nothing was changed")
        return
    if not counts["create"] and not counts["update"] and not counts["delete"]:
        info("the fleet already matches the file; nothing to do")
        return
    deleting = [i for i in plan if i.action == "delete"]
    if deleting and not yes:
        running = sum(1 for i in deleting if i.running)
        tail = f" ({running} running: their workers will be stopped)" if running else ""
        question = f"delete {len(deleting)} node(s) not in {fleet_file} and their logs{tail}?"
        try:
            click.confirm(question, abort=True)
        except click.Abort:
            raise UserError(
                "not confirmed, so nothing was changed (pass --yes to delete without asking)"
            ) from None
    apply_plan(db, plan)
    restarted = sum(1 for i in plan if i.action == "update" and i.spec_changed and i.running)
    info(
        f"applied: {summary}"
        + (f"; {restarted} running node(s) restart on their new spec" if restarted else "")
    )
    from engine.fleet import nodes

    acted = {i.name.casefold() for i in plan if i.action in ("create", "update")}
    _warn_if_unsupervised(
        state,
        [r for r in nodes.list_nodes(db) if r.name.casefold() in acted and r.desired == "running"],
    )


def _print_plan(plan: list[PlanItem]) -> None:
    if not plan:
        print_line("the file lists no nodes and nothing is pruned")
    for item in plan:
        name = visible_text(item.name, one_line=True)
        ident = f" (id {item.node_id})" if item.node_id is not None else ""
        line = f"{_MARKS[item.action]} {item.action} {name}{ident}"
        if item.action == "delete" and item.running:
            line += " — its worker is stopped"
        print_line(line)
        for change in item.changes:
            print_line(f"    {change.describe()}")


def register(cli: click.Group) -> None:
    if isinstance(list_cmd, click.Group):
        list_cmd.add_command(export_cmd)
    cli.add_command(apply_cmd)

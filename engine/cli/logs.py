"""``jobfleet logs``: a node's events, or everyone's, as one line each in the order they
happened; ``-f`` follows (LISTEN on ``node_logs``, polling as the fallback)."""

from __future__ import annotations

import sys
import time
from typing import Any

import click
import psycopg

from engine.cli.nodes import MAX_LOG_LINES
from engine.cli.output import info
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import DatabaseUnavailable, UserError
from engine.fleet.events import format_event, redact
from engine.text import visible_text


@click.command("logs")
@common_options
@click.argument("node", required=False)
@click.option("--all", "all_nodes", is_flag=True, help="Every node and the supervisors.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events.")
@click.option(
    "--level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Only this level and above.",
)
@click.option(
    "--since",
    metavar="DURATION",
    help="Only events of the last DURATION: a whole number of s, m, h or d (30m, 1h, 7d).",
)
@click.option(
    "--grep",
    "grep",
    metavar="TEXT",
    help="Only events whose name, message or fields contain TEXT (ignoring case, no wildcards).",
)
@click.option(
    "-n",
    "lines",
    type=click.IntRange(0, MAX_LOG_LINES),
    default=50,
    show_default=True,
    help="How many to show.",
)
@pass_state
def logs_cmd(
    state: CliState,
    /,
    node: str | None,
    all_nodes: bool,
    follow: bool,
    level: str | None,
    since: str | None,
    grep: str | None,
    lines: int,
) -> None:
    """Show a node's events (or everyone's with --all), oldest first, in the order they happened.

    On a terminal the level is coloured (NO_COLOR=1 turns it off); piped, lines are plain.

    \b
    Examples:
      jobfleet logs py-us -f                  follow one node
      jobfleet logs --all --since 1h --level warning
      jobfleet logs py-us --grep blocked -n 200
    """
    from engine.cli.runs import parse_duration
    from engine.fleet import nodes
    from engine.fleet.events import (
        LogFollower,
        fetch_logs,
        levels_at_least,
        paint_level,
        wants_colour,
    )

    if node and all_nodes:
        raise UserError(
            f"name a node or pass --all, not both (got {visible_text(node, one_line=True)[:40]!r}"
            " and --all)"
        )
    if not node and not all_nodes:
        raise UserError("name a node (id or name) or pass --all")
    since_s = parse_duration(since) if since else None
    db = state.db()
    node_id = None if all_nodes else nodes.get_node(db, node or "").id
    levels = levels_at_least(level) if level else None
    colour = wants_colour(sys.stdout)

    def show(row: dict[str, Any]) -> None:
        line = format_event(row)
        if all_nodes and row.get("node_name"):
            line = line.replace(
                f"node {row['node_id']} ", f"node {row['node_id']}:{row['node_name']} ", 1
            )
        line = visible_text(redact(line), one_line=True)
        sys.stdout.write((paint_level(line, row["level"]) if colour else line) + "\n")

    rows = fetch_logs(
        db, node_id=node_id, levels=levels, text=grep, since_s=since_s, limit=max(lines, 1)
    )
    if lines == 0:
        rows = []
    for row in rows:
        show(row)
    sys.stdout.flush()
    if not follow:
        if not rows and (since or grep or level):
            info("no events match these filters")
        return
    follower = LogFollower(
        db,
        node_id=node_id,
        levels=levels,
        text=grep,
        after_id=max((r["id"] for r in rows), default=None),
    )
    try:
        while True:
            try:
                batch = follower.poll()
            except (DatabaseUnavailable, psycopg.OperationalError):
                time.sleep(follower.poll_interval)
                continue
            # One batch holds several workers' buffered events: shown in the order they happened.
            for row in sorted(batch, key=lambda r: (r["ts"], r["id"])):
                show(row)
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        follower.close()


def register(cli: click.Group) -> None:
    cli.add_command(logs_cmd)

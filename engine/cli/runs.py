"""``jobfleet runs``: the scrapes of one node or of all of them, newest first, from
``scrape_runs`` (what each board query found, how it ended, and why it failed)."""

from __future__ import annotations

import re
from typing import Any

import click

from engine.cli.output import info, print_json, print_table
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.jobs.runs import MAX_RUNS, OUTCOMES, list_runs

# 30m, 24h, 7d: a whole number and one unit; nothing else (no sums, no fractions, no spaces).
_DURATION = re.compile(r"([0-9]{1,7})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# As far back as `jobs search --days` reaches.
MAX_SINCE_S = 36_500 * 86400
# Errors are cut to this many characters in the table (--json has them whole).
ERROR_WIDTH = 60

JSON_KEYS = (
    "id",
    "started_at",
    "finished_at",
    "seconds",
    "node_id",
    "node_name",
    "site",
    "location",
    "search_term",
    "outcome",
    "found",
    "new",
    "error",
    "proxy",
)


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``30m``, ``24h`` or ``7d`` (s, m, h, d); UserError, one
    sentence, for anything else or anything beyond 36500 days."""
    match = _DURATION.fullmatch(text)
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0
    if not match or not 0 < seconds <= MAX_SINCE_S:
        raise UserError(
            f"--since must be a whole number of s, m, h or d between 1s and 36500d "
            f"(e.g. 30m, 24h, 7d), not {text[:40]!r}"
        )
    return seconds


def shorten(text: str | None, width: int = ERROR_WIDTH) -> str:
    """The first line of ``text``, cut to ``width`` characters; "…" says something was left out."""
    lines = (text or "").strip().splitlines()
    if not lines:
        return ""
    first = lines[0]
    if len(first) <= width and len(lines) == 1:
        return first
    return first[: width - 1].rstrip() + "…"


def _run_json(run: dict[str, Any]) -> dict[str, Any]:
    return {key: run.get(key) for key in JSON_KEYS}


def _node_text(run: dict[str, Any]) -> str:
    if run["node_name"] is not None:
        return str(run["node_name"])
    return "(removed)" if run["node_id"] is None else str(run["node_id"])


@click.command("runs")
@common_options
@click.argument("node", required=False)
@click.option(
    "--since",
    default="24h",
    show_default=True,
    help="How far back: a number and s, m, h or d (30m, 24h, 7d).",
)
@click.option("--site", help="Only this job site.")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only scrapes that ended so.")
@click.option("--limit", type=click.IntRange(1, MAX_RUNS), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
def runs_cmd(
    state: CliState,
    /,
    node: str | None,
    since: str,
    site: str | None,
    outcome: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List scrapes (of NODE, an id or name, or of every node), newest first.

    \b
    Examples:
      jobfleet runs py-us --since 7d --outcome blocked
      jobfleet runs --site indeed --json
    """
    # engine.fleet.nodes loads the spec model: only when a node is named.
    from engine.fleet.nodes import get_node

    since_s = parse_duration(since)
    db = state.db()
    node_id = get_node(db, node).id if node else None
    runs = list_runs(db, since_s=since_s, node_id=node_id, site=site, outcome=outcome, limit=limit)
    if as_json:
        print_json([_run_json(r) for r in runs])
        return
    if not runs:
        info(f"no scrapes in the last {since} matching these filters")
        return
    table = [
        {
            "time": r["started_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            "node": _node_text(r),
            "location": r["location"],
            "site": r["site"],
            "outcome": r["outcome"],
            "found/new": f"{r['found']}/{r['new']}",
            "secs": f"{r['seconds']:.1f}",
            "error": shorten(r["error"]),
        }
        for r in runs
    ]
    print_table(table, list(table[0]))


def register(cli: click.Group) -> None:
    cli.add_command(runs_cmd)

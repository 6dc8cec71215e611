"""Node commands: deploy, nodes, start, stop, kill, restart, rm, logs. They only write rows and
NOTIFY, so they work from any shell while a TUI or a headless supervisor does the process work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli.output import info, literal, print_json, print_table, stdout
from engine.cli.selection import Selection, selection_options
from engine.cli.spec_options import spec_data, spec_options
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.fleet.events import redact
from engine.fleet.rows import NodeRow
from engine.fleet.states import NodeStatus as S
from engine.text import visible_text

MAX_LOG_LINES = 100_000

LIST_KEYS = (
    "id",
    "name",
    "status",
    "desired",
    "pid",
    "host",
    "pinned",
    "heartbeat_age_s",
    "jobs_found",
    "jobs_new",
    "restarts",
    "health",
    "health_reason",
    "last_error",
    "cycle",
    "locations_done",
    "locations_total",
    "current_location",
    "rss_bytes",
    "started_at",
    "stopped_at",
    "last_exit",
    "next_start_at",
    "run_once",
)


# --- deploy -----------------------------------------------------------------------------------


@click.command()
@common_options
@spec_options
@click.option("--no-start", is_flag=True, help="Deploy without starting.")
@click.option(
    "--host",
    "host",
    metavar="NAME",
    help="Run only on this host (its JOBFLEET_HOST_NAME); default: the first host to start it.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON (id, name, warnings…)."
)
@pass_state
def deploy(
    state: CliState,
    /,
    spec_file: Path | None,
    no_start: bool,
    host: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Deploy a node: validate the spec, store it, and say who will start it.

    Prints what happened (`deployed py-us (id 6); supervisor on vm will start it`), and warns
    when a proxy refers to an environment variable not set here or a location is no known place.
    --name, --search and --country are required unless --file gives them.

    \b
    Examples:
      jobfleet deploy --name py-us --search "python developer" --country US \\
          --location "New York, NY" --location "Austin, TX"
      jobfleet deploy --file node.yaml --no-start
    """
    from engine.fleet import nodes
    from engine.fleet.advice import spec_warnings
    from engine.fleet.spec import parse_spec

    spec = parse_spec(spec_data(spec_file, options))
    doubts = spec_warnings(spec)
    db = state.db()
    node_id = nodes.deploy(db, spec, start=not no_start, host=host)
    row = nodes.get_node(db, node_id)
    starter = None if no_start else _starter(state, row)
    if as_json:
        print_json(
            {
                "id": node_id,
                "name": spec.name,
                "desired": row.desired,
                "host": row.host,
                "pinned": row.pinned,
                "started_by": starter,
                "warnings": doubts,
            }
        )
    else:
        shown = visible_text(spec.name, one_line=True)
        if no_start:
            what = f"not started; start it with 'jobfleet start {shown}'"
        elif starter:
            what = f"supervisor on {starter} will start it"
        else:
            what = "it starts when a supervisor runs"
        stdout.print(literal(f"deployed {shown} (id {node_id}); {what}"))
    for doubt in doubts:
        info(f"jobfleet: warning: {doubt}")
    if not no_start:
        _warn_if_unsupervised(state, [row])


def _starter(state: CliState, row: NodeRow) -> str | None:
    """The host whose supervisor will start the node (its own when pinned), or None."""
    from engine.fleet.hosts import is_demo_host, supervision

    found = supervision(state.db(), stale_after=state.settings.host_stale_after)
    if not found.supervises(row.as_dict()):
        return None
    if row.pinned and row.host:
        return str(row.host)
    names = [str(h["name"]) for h in found.alive_hosts if not is_demo_host(str(h["name"]))]
    return names[0] if len(names) == 1 else f"one of {', '.join(names)}"


# --- list and control ---------------------------------------------------------------------------


def _warn_if_unsupervised(state: CliState, rows: list[NodeRow]) -> None:
    """A request only writes a row: say so when no live supervisor will ever act on it — once per
    reason, not once per node (one absent supervisor leaves them all waiting)."""
    if not rows:
        return
    from engine.fleet.hosts import supervision

    found = supervision(state.db(), stale_after=state.settings.host_stale_after)
    warnings: list[str] = []
    for row in rows:
        sentence = found.missing_sentence(row.as_dict())
        if sentence and sentence not in warnings:
            warnings.append(sentence)
    for sentence in warnings:
        info(f"jobfleet: warning: {sentence}")


def _row_for_json(row: NodeRow, supervised: bool) -> dict[str, Any]:
    from engine.fleet.spec import load_stored_spec

    columns = row.as_dict()
    out = {key: columns[key] for key in LIST_KEYS}
    out["supervisor_alive"] = supervised
    if row.last_error:
        out["last_error"] = redact(row.last_error)
    try:
        out["spec"] = load_stored_spec(row.spec).display_dict()
    except UserError:
        out["spec"] = None
    return out


# The columns of `jobfleet nodes` by terminal width (piped: all of them, tab-separated).
WIDE_COLUMNS = (
    "id", "name", "status", "desired", "host", "pid", "beat", "cycle", "loc", "found", "new",
    "restarts", "health", "rss", "sup", "last error",
)  # fmt: skip
NARROW_COLUMNS = (
    "id", "name", "status", "desired", "host", "beat", "found", "new", "health", "sup",
    "last error",
)  # fmt: skip


def _node_columns(table: list[dict[str, Any]]) -> list[str]:
    from engine.cli.output import stdout as out
    from engine.cli.output import terminal_width

    if not out.is_terminal or terminal_width() >= 120:
        return list(WIDE_COLUMNS)
    columns = list(NARROW_COLUMNS)
    if all(row["sup"] == "yes" for row in table):
        columns.remove("sup")  # the line on stderr already names the live supervisors
    return columns


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h"


@click.group("nodes", invoke_without_command=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
def list_cmd(state: CliState, as_json: bool) -> None:
    """List the nodes with their status and live metrics (`nodes export`: the fleet file)."""
    if click.get_current_context().invoked_subcommand is not None:
        return  # `jobfleet nodes export`: the subcommand does the work
    from engine.fleet import nodes
    from engine.fleet.hosts import supervision

    db = state.db()
    rows = nodes.list_nodes(db)
    found = supervision(db, stale_after=state.settings.host_stale_after)
    if as_json:
        print_json([_row_for_json(r, found.supervises(r.as_dict())) for r in rows])
        return
    from engine.fleet.schedule import window_of
    from engine.fleet.states import PROCESS_STATES

    table = []
    for r in rows:
        # pid, heartbeat and RSS belong to a live worker: a stopped node's old ones would lie.
        live = r.status in PROCESS_STATES
        error = redact(r.last_error or "").strip().splitlines()
        once = " (once)" if r.run_once and live else ""
        table.append(
            {
                "id": r.id,
                "name": r.name,
                "status": f"{r.status}{once}",
                "desired": r.desired,
                # The host it runs on (or is pinned to); "any" = the first supervisor to start it.
                "host": r.host or "any",
                "pid": r.pid if live else None,
                "beat": age_text(r.heartbeat_age_s) if live else "",
                "cycle": r.cycle,
                "loc": f"{r.locations_done}/{r.locations_total}",
                "found": r.jobs_found,
                "new": r.jobs_new,
                "restarts": r.restarts,
                "health": r.health,
                "rss": f"{r.rss_bytes >> 20}M" if r.rss_bytes and live else "",
                # Whether a live supervisor will act on this node (its own host's when pinned).
                "sup": "yes" if found.supervises(r.as_dict()) else "NO",
                "last error": error[0] if error else "",
            }
        )
    if not table:
        info("no nodes yet; deploy one with 'jobfleet deploy' or try 'jobfleet demo'")
        return
    alive = found.alive_hosts
    if alive:
        names = ", ".join(f"{h['name']} (pid {h['supervisor_pid']})" for h in alive)
        info(f"supervisors alive: {names}")
    else:
        info(
            "jobfleet: warning: no supervisor is running on any host, so requests wait; "
            "run 'jobfleet' or 'jobfleet --no-ui' on a host"
        )
    print_table(table, _node_columns(table), cut=("last error",))
    # Why, for the nodes that need a look (a reason is too long for a column at 120 columns).
    for r in rows:
        if r.health in ("degraded", "failing"):
            stdout.print(literal(f"{r.name}: {r.health}: {r.health_reason}", one_line=True))
        if r.status == S.FATAL and r.last_error:
            stdout.print(literal(f"{r.name}: fatal: {redact(r.last_error)}", one_line=True))
        window = window_of(r.spec)
        if r.status == S.SCHEDULED and window is not None:
            opens = r.next_start_at
            when = f"next start {window.local(opens)}" if opens else "next start unknown"
            stdout.print(literal(f"{r.name}: scheduled {window.describe()}; {when}", one_line=True))


def _control(name: str, doc: str, action: str, confirm: bool = False) -> click.Command:
    @click.command(name, help=doc)
    @common_options
    @selection_options
    @pass_state
    def command(state: CliState, selection: Selection) -> None:
        from engine.fleet import nodes

        rows = selection.rows(state)
        if not rows:
            return
        selection.confirm(name, rows, always=confirm)
        db = state.db()
        waiting: list[NodeRow] = []
        for row in rows:
            getattr(nodes, action)(db, row.id)
            info(f"{name}: node {row.name} (id {row.id}) — request recorded")
            already_down = action in ("request_stop", "request_kill") and row.status in (
                S.STOPPED,
                S.FATAL,
            )
            if not already_down:
                waiting.append(row)
        _warn_if_unsupervised(state, waiting)

    return command


@click.command("rm")
@common_options
@selection_options
@pass_state
def rm_cmd(state: CliState, /, selection: Selection) -> None:
    """Remove nodes and their logs, stopping their workers first (scraped postings stay).

    Asks once (unless --yes), saying when a worker will be stopped; the TUI's Delete asks the
    same question and does the same.
    """
    from engine.fleet.removal import has_worker, remove_nodes

    rows = selection.rows(state)
    if not rows:
        return
    working = sum(1 for r in rows if has_worker(r))
    logs = " and its logs" if len(rows) == 1 else " and their logs"
    if working == 1 and len(rows) == 1:
        logs += " (its worker will be stopped first)"
    elif working:
        logs += f" ({working} running worker{'s' if working > 1 else ''} will be stopped first)"
    selection.confirm("remove", rows, always=True, tail=logs)
    remove_nodes(
        state.db(),
        rows,
        grace=state.settings.stop_grace + 5,
        removed=lambda row: info(f"removed node {row.name} (id {row.id})"),
    )


_SELECTING = (
    "\n\nName nodes by id or name, or pass --all; --status, --match and --host narrow the"
    " selection (all must hold). Asks before acting on several nodes found by --all or a filter."
    "\n\n\b\nExamples:\n  jobfleet stop py-us py-de\n  jobfleet start --status fatal --yes"
    "\n  jobfleet restart --match python --host vm"
)


def register(cli: click.Group) -> None:
    cli.add_command(deploy)
    cli.add_command(list_cmd)
    cli.add_command(
        _control("start", "Start nodes (also ones that went FATAL)." + _SELECTING, "request_start")
    )
    cli.add_command(
        _control(
            "stop",
            "Stop nodes (SIGTERM, then SIGKILL after the grace)." + _SELECTING,
            "request_stop",
        )
    )
    cli.add_command(
        _control(
            "kill",
            "Kill nodes' workers at once (SIGKILL)." + _SELECTING,
            "request_kill",
            confirm=True,
        )
    )
    cli.add_command(
        _control(
            "restart", "Stop nodes' workers and start fresh ones." + _SELECTING, "request_restart"
        )
    )
    cli.add_command(rm_cmd)

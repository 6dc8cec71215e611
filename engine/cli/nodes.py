"""Node commands: deploy, nodes, start, stop, kill, restart, rm, logs. They only write rows and
NOTIFY, so they work from any shell while a TUI or a headless supervisor does the process work."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from engine.cli.output import info, literal, print_json, print_table, stdout
from engine.cli.spec_options import spec_data, spec_options
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.fleet.events import format_event, redact
from engine.fleet.rows import NodeRow
from engine.fleet.states import Desired
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
@pass_state
def deploy(
    state: CliState, /, spec_file: Path | None, no_start: bool, host: str | None, **options: Any
) -> None:
    """Deploy a node and print its id."""
    from engine.fleet import nodes
    from engine.fleet.spec import parse_spec

    spec = parse_spec(spec_data(spec_file, options))
    db = state.db()
    node_id = nodes.deploy(db, spec, start=not no_start, host=host)
    stdout.print(str(node_id), markup=False, highlight=False)
    if not no_start:
        _warn_if_unsupervised(state, [nodes.get_node(db, node_id)])


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


def _settled(status: str, desired: str) -> bool:
    """Whether the list should show no "→desired": the node is there or on its way."""
    if desired == Desired.RUNNING:
        return status in (S.STARTING, S.RUNNING, S.BACKOFF, S.FATAL)
    return status in (S.STOPPED, S.STOPPING, S.FATAL)


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

    table = []
    for r in rows:
        wanted = "" if _settled(r.status, r.desired) else f"→{r.desired}"
        if r.run_once and r.status in (S.STARTING, S.RUNNING, S.STOPPING):
            wanted = " (once)"
        table.append(
            {
                "id": r.id,
                "name": r.name,
                "status": f"{r.status}{wanted}",
                # The host it runs on (or is pinned to); "any" = the first supervisor to start it.
                "host": r.host or "any",
                "pid": r.pid,
                "beat": age_text(r.heartbeat_age_s),
                "cycle": r.cycle,
                "loc": f"{r.locations_done}/{r.locations_total}",
                "found": r.jobs_found,
                "new": r.jobs_new,
                "restarts": r.restarts,
                "health": r.health,
                "rss": f"{r.rss_bytes >> 20}M" if r.rss_bytes else "",
                # Whether a live supervisor will act on this node (its own host's when pinned).
                "sup": "yes" if found.supervises(r.as_dict()) else "NO",
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
    print_table(table, list(table[0]))
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


def _parse_statuses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    """``--status fatal --status exited,backoff`` → the NodeStatus set (UserError if unknown)."""
    wanted: set[S] = set()
    for value in values:
        for part in value.split(","):
            word = part.strip().lower()
            if not word:
                continue
            try:
                wanted.add(S(word))
            except ValueError:
                choices = ", ".join(s.value for s in S)
                raise UserError(
                    f"--status {part.strip()[:40]!r} is not a node status; choose from {choices}"
                ) from None
    return frozenset(wanted)


def _selection_options(func: Any) -> Any:
    """The nodes a control command acts on: names, --all, filters (combined with AND)."""
    options = [
        click.argument("node_refs", metavar="[NODE]...", nargs=-1),
        click.option("--all", "all_nodes", is_flag=True, help="Every node (with filters: those)."),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            callback=_parse_statuses,
            metavar="STATUS[,STATUS]",
            help="Only nodes in this status (repeatable, or a comma list).",
        ),
        click.option(
            "--match",
            metavar="TEXT",
            help="Only nodes whose name or search term contains TEXT (ignoring case).",
        ),
        click.option("--host", metavar="NAME", help="Only nodes on (or pinned to) host NAME."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _select(
    state: CliState,
    node_refs: tuple[str, ...],
    all_nodes: bool,
    statuses: frozenset[S],
    match: str | None,
    host: str | None,
) -> list[NodeRow]:
    from engine.fleet import nodes

    return nodes.select_nodes(
        state.db(), node_refs, all_nodes=all_nodes, statuses=statuses, match=match, host=host
    )


def _confirm(verb: str, rows: list[NodeRow], *, always: bool, bulk: bool, tail: str = "") -> None:
    """One question for the whole request: always for kill and rm, and for any request that
    --all or a filter made act on more than one node."""
    if not always and not (bulk and len(rows) > 1):
        return
    if len(rows) == 1:
        shown = visible_text(rows[0].name, one_line=True)
        click.confirm(f"{verb} node {shown} (id {rows[0].id}){tail}?", abort=True)
        return
    names = ", ".join(visible_text(r.name, one_line=True) for r in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    click.confirm(f"{verb} {len(rows)} nodes ({names}{more}){tail}?", abort=True)


def _nothing_selected() -> None:
    info("no node matches; nothing was done")


def _control(name: str, doc: str, action: str, confirm: bool = False) -> click.Command:
    @click.command(name, help=doc)
    @common_options
    @_selection_options
    @pass_state
    def command(
        state: CliState,
        node_refs: tuple[str, ...],
        all_nodes: bool,
        statuses: frozenset[S],
        match: str | None,
        host: str | None,
        yes: bool,
    ) -> None:
        from engine.fleet import nodes

        rows = _select(state, node_refs, all_nodes, statuses, match, host)
        if not rows:
            _nothing_selected()
            return
        bulk = all_nodes or bool(statuses) or match is not None or host is not None
        if not yes:
            _confirm(name, rows, always=confirm, bulk=bulk)
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
@_selection_options
@pass_state
def rm_cmd(
    state: CliState,
    /,
    node_refs: tuple[str, ...],
    all_nodes: bool,
    statuses: frozenset[S],
    match: str | None,
    host: str | None,
    yes: bool,
) -> None:
    """Remove nodes (killing their workers first) and their logs."""
    from engine.fleet import nodes
    from engine.fleet.states import PROCESS_STATES

    rows = _select(state, node_refs, all_nodes, statuses, match, host)
    if not rows:
        _nothing_selected()
        return
    if not yes:
        _confirm(
            "remove",
            rows,
            always=True,
            bulk=True,
            tail=" and its logs" if len(rows) == 1 else " and their logs",
        )
    db = state.db()
    # Kill every worker first, then wait for them together: one grace for all, not one each.
    running = [r.id for r in rows if r.status in PROCESS_STATES]
    for node_id in running:
        nodes.request_kill(db, node_id)
    deadline = time.monotonic() + state.settings.stop_grace + 5
    while running and time.monotonic() < deadline:
        running = [i for i in running if nodes.get_node(db, i).status in PROCESS_STATES]
        if running:
            time.sleep(0.2)
    for row in rows:
        # Forced if no supervisor acted: the worker exits when it finds its row gone.
        nodes.delete_node(db, row.id, force=True)
        info(f"removed node {row.name} (id {row.id})")


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
    lines: int,
) -> None:
    """Show a node's events (or --all)."""
    from engine.fleet import nodes
    from engine.fleet.events import LogFollower, fetch_logs, levels_at_least

    if not node and not all_nodes:
        raise UserError("name a node (id or name) or pass --all")
    db = state.db()
    node_id = None if all_nodes else nodes.get_node(db, node or "").id
    levels = levels_at_least(level) if level else None

    def show(row: dict[str, Any]) -> None:
        line = format_event(row)
        if all_nodes and row.get("node_name"):
            line = line.replace(
                f"node {row['node_id']} ", f"node {row['node_id']}:{row['node_name']} ", 1
            )
        sys.stdout.write(visible_text(redact(line), one_line=True) + "\n")

    rows = fetch_logs(db, node_id=node_id, levels=levels, limit=max(lines, 1))
    for row in rows:
        show(row)
    sys.stdout.flush()
    if not follow:
        return
    follower = LogFollower(
        db, node_id=node_id, levels=levels, after_id=rows[-1]["id"] if rows else None
    )
    try:
        for row in follower.follow():
            show(row)
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        follower.close()


_SELECTING = (
    "\n\nName nodes by id or name, or pass --all; --status, --match and --host narrow the"
    " selection (all must hold). Asks before acting on several nodes found by --all or a filter."
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
    cli.add_command(logs_cmd)

"""Node commands: deploy, nodes, start, stop, kill, restart, rm, logs. They only write rows and
NOTIFY, so they work from any shell while a TUI or a headless supervisor does the process work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from engine.cli.output import info, literal, print_json, print_table, stdout
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.fleet.events import redact
from engine.fleet.rows import NodeRow
from engine.fleet.states import NodeStatus as S
from engine.text import visible_text

# The bounds of deploy's numeric options are NodeSpec's own (tests/unit/test_cli_ranges.py keeps
# them equal); stating them here lets click answer before the spec model loads.
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


def _parse_delay(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition("-")
    try:
        low = float(lo)
        high = float(hi) if sep else low
    except ValueError:
        raise UserError(
            f"--delay must look like MIN-MAX in seconds (e.g. 30-90), not {text[:40]!r}"
        ) from None
    return low, high


def _read_spec_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # yaml.YAMLError or json.JSONDecodeError (a ValueError)
        problem = _first_problem(exc)
        raise UserError(f"{path} is not valid {_format_name(path)}: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold one mapping of spec fields")
    return data


@click.command()
@common_options
@click.option(
    "--file",
    "spec_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the spec from a YAML or JSON file (other options override it).",
)
@click.option("--name")
@click.option("--search", "search_term", help="Search term.")
@click.option("--country", help="Country (ISO code or name).")
@click.option("--sites", help="Comma-separated job sites (default linkedin,indeed).")
@click.option(
    "--location",
    "locations",
    multiple=True,
    help="A location to search (repeatable; default: the country's largest cities).",
)
@click.option(
    "--proxy", "proxies", multiple=True, help="Proxy URL (repeatable); passwords as ${ENV_VAR}."
)
@click.option(
    "--results", "results_wanted", type=click.IntRange(1, 1000), help="Results per search."
)
@click.option("--hours-old", type=click.IntRange(1, 24 * 365), help="Max age of postings, hours.")
@click.option("--delay", help="Random delay between searches, MIN-MAX seconds.")
@click.option(
    "--cycle-minutes",
    type=click.FloatRange(0, 7 * 24 * 60),
    help="Minimum duration of one cycle.",
)
@click.option(
    "--max-cycles",
    type=click.IntRange(1, 1_000_000),
    help="Cycles before the worker is recycled.",
)
@click.option("--ca-cert", help="CA certificate for a TLS-intercepting proxy.")
@click.option("--memory-limit-mb", type=click.IntRange(64, 65536), help="Memory limit, MiB.")
@click.option(
    "--schedule",
    metavar="CRON",
    help="Active hours as a cron expression: the node runs during every minute it matches "
    "('* 8-20 * * 1-5' = 08:00-20:59 Mon-Fri) and rests, scheduled, outside them.",
)
@click.option(
    "--active",
    metavar="HH:MM-HH:MM",
    help="Active hours every day, end excluded; 22:00-06:00 crosses midnight.",
)
@click.option(
    "--timezone",
    metavar="ZONE",
    help="IANA time zone of --schedule or --active (e.g. Europe/Berlin; default UTC).",
)
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

    data: dict[str, Any] = _read_spec_file(spec_file) if spec_file else {}
    delay = options.pop("delay")
    if delay:
        data["delay_min"], data["delay_max"] = _parse_delay(delay)
    for key, value in options.items():
        if value is None or value == ():
            continue
        data[key] = list(value) if isinstance(value, tuple) else value
    spec = parse_spec(data)
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


@click.command("nodes")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
def list_cmd(state: CliState, as_json: bool) -> None:
    """List the nodes with their status and live metrics."""
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
    """Remove nodes and their logs, stopping their workers first (scraped postings stay).

    Asks once (unless --yes), saying when a worker will be stopped; the TUI's Delete asks the
    same question and does the same.
    """
    from engine.fleet.removal import has_worker, remove_nodes

    rows = _select(state, node_refs, all_nodes, statuses, match, host)
    if not rows:
        _nothing_selected()
        return
    if not yes:
        working = sum(1 for r in rows if has_worker(r))
        logs = " and its logs" if len(rows) == 1 else " and their logs"
        if working == 1 and len(rows) == 1:
            logs += " (its worker will be stopped first)"
        elif working:
            logs += f" ({working} running worker{'s' if working > 1 else ''} will be stopped first)"
        _confirm("remove", rows, always=True, bulk=True, tail=logs)
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


def _format_name(path: Path) -> str:
    return "YAML" if path.suffix.lower() in (".yaml", ".yml") else "JSON"


def _first_problem(exc: Exception) -> str:
    """One line about a parse error: YAML's multi-line report squeezed to its gist."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split())

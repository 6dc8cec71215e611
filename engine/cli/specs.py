"""Node specs on the command line: the spec options deploy and edit share, ``jobfleet edit``
and ``jobfleet history``.

The spec options are defined once here (``spec_options``) and given to both commands, so a
spec field that gains a flag gains it for deploy and edit alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from engine.cli.output import info, literal, print_json, stdout
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError

# --- the spec options, shared by deploy and edit ---------------------------------------------

# The bounds of the numeric options are NodeSpec's own (tests/unit/test_cli_ranges.py keeps
# them equal); stating them here lets click answer before the spec model loads.
SPEC_OPTIONS = [
    click.option(
        "--file",
        "spec_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Read spec fields from a YAML or JSON file (options given override it).",
    ),
    click.option("--name"),
    click.option("--search", "search_term", help="Search term."),
    click.option("--country", help="Country (ISO code or name)."),
    click.option("--sites", help="Comma-separated job sites (default linkedin,indeed)."),
    click.option(
        "--location",
        "locations",
        multiple=True,
        help="A location to search (repeatable; default: the country's largest cities).",
    ),
    click.option(
        "--proxy", "proxies", multiple=True, help="Proxy URL (repeatable); passwords as ${ENV_VAR}."
    ),
    click.option(
        "--results", "results_wanted", type=click.IntRange(1, 1000), help="Results per search."
    ),
    click.option(
        "--hours-old", type=click.IntRange(1, 24 * 365), help="Max age of postings, hours."
    ),
    click.option("--delay", help="Random delay between searches, MIN-MAX seconds."),
    click.option(
        "--cycle-minutes",
        type=click.FloatRange(0, 7 * 24 * 60),
        help="Minimum duration of one cycle.",
    ),
    click.option(
        "--max-cycles",
        type=click.IntRange(1, 1_000_000),
        help="Cycles before the worker is recycled.",
    ),
    click.option("--ca-cert", help="CA certificate for a TLS-intercepting proxy."),
    click.option("--memory-limit-mb", type=click.IntRange(64, 65536), help="Memory limit, MiB."),
]


def spec_options(func: Any) -> Any:
    """Add every spec option (and --file); the command receives ``spec_file`` and the rest as
    keyword arguments, which ``spec_data`` turns into spec fields."""
    for option in reversed(SPEC_OPTIONS):
        func = option(func)
    return func


def spec_data(
    spec_file: Path | None, options: dict[str, Any], base: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Spec fields: ``base`` (edit: the node's current spec), then the file's fields, then the
    options given. Consumes the spec options from ``options``."""
    data: dict[str, Any] = dict(base or {})
    if spec_file:
        data.update(read_spec_file(spec_file))
    delay = options.pop("delay", None)
    if delay:
        data["delay_min"], data["delay_max"] = parse_delay(delay)
    for key, value in options.items():
        if value is None or value == ():
            continue
        data[key] = list(value) if isinstance(value, tuple) else value
    return data


def parse_delay(text: str) -> tuple[float, float]:
    lo, sep, hi = text.partition("-")
    try:
        low = float(lo)
        high = float(hi) if sep else low
    except ValueError:
        raise UserError(
            f"--delay must look like MIN-MAX in seconds (e.g. 30-90), not {text[:40]!r}"
        ) from None
    return low, high


def read_spec_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # yaml.YAMLError or json.JSONDecodeError (a ValueError)
        problem = first_problem(exc)
        raise UserError(f"{path} is not valid {_format_name(path)}: {problem}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold one mapping of spec fields")
    return data


def _format_name(path: Path) -> str:
    return "YAML" if path.suffix.lower() in (".yaml", ".yml") else "JSON"


def first_problem(exc: Exception) -> str:
    """One line about a parse error: YAML's multi-line report squeezed to its gist."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split())


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
    if result.restart_requested:
        info("restart requested: its supervisor restarts the worker with the new spec")
        from engine.cli.nodes import _warn_if_unsupervised

        _warn_if_unsupervised(state, [nodes.get_node(db, row.id)])
    elif result.changes and row.status in ("starting", "running") and no_restart:
        info("the running worker keeps the old spec until it restarts (jobfleet restart NODE)")


def _print_changes(title: str, lines: list[str]) -> None:
    stdout.print(title + (":" if lines else ": no change"), markup=False, highlight=False)
    for line in lines:
        stdout.print(f"  ~ {line}", markup=False, highlight=False)


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
        stdout.print(literal(line, one_line=True))


def register(cli: click.Group) -> None:
    cli.add_command(edit_cmd)
    cli.add_command(history_cmd)

"""The spec options ``jobfleet deploy`` and ``jobfleet edit`` share, and reading them into
spec fields.

They are defined once here (``spec_options``) and given to both commands, so a spec field that
gains a flag gains it for deploy and edit alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

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
    click.option("--name", help="Node name (unique ignoring case; edit renames the node)."),
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
    click.option(
        "--schedule",
        metavar="CRON",
        help="Active hours as a cron expression: the node runs during every minute it matches "
        "('* 8-20 * * 1-5' = 08:00-20:59 Mon-Fri) and rests, scheduled, outside them.",
    ),
    click.option(
        "--active",
        metavar="HH:MM-HH:MM",
        help="Active hours every day, end excluded; 22:00-06:00 crosses midnight.",
    ),
    click.option(
        "--timezone",
        metavar="ZONE",
        help="IANA time zone of --schedule or --active (e.g. Europe/Berlin; default UTC).",
    ),
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

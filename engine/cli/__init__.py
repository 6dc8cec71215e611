"""The ``jobfleet`` command line.

Every command takes ``--database-url``, ``--home`` and ``--debug`` (also before the command name).
Errors a user can cause print one sentence on stderr and exit non-zero; ``--debug`` shows the
traceback. Each command group lives in its own module and registers itself here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import psycopg

from engine import __version__
from engine.errors import UserError
from engine.redact import mask_text
from engine.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """What every command needs: settings (with command-line overrides) and a lazy database."""

    database_url: str | None = None
    home: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _db: Any = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides: dict[str, Any] = {}
            if self.database_url is not None:
                overrides["database_url"] = self.database_url
            if self.home is not None:
                overrides["home"] = self.home
            self._settings = Settings(**overrides)
        return self._settings

    def db(self, *, migrate: bool = True) -> Any:
        """The database, checked and migrated (opened once per command)."""
        if self._db is None:
            from engine.db.handle import open_database

            self._db = open_database(self.settings, migrate=migrate)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    state = ctx.ensure_object(CliState)
    if value is not None and value is not False:
        setattr(state, param.name or "", value)
    return value


def common_options(func: F) -> F:
    """Add --database-url/--home/--debug to a command (they may also go before the command)."""
    options = [
        click.option(
            "--database-url",
            metavar="URL",
            expose_value=False,
            callback=_remember,
            help="PostgreSQL URL (default: $JOBFLEET_DATABASE_URL, else the embedded server).",
        ),
        click.option(
            "--home",
            type=click.Path(path_type=Path, file_okay=False),
            expose_value=False,
            callback=_remember,
            help="Data directory (default: $JOBFLEET_HOME, else the user data dir).",
        ),
        click.option(
            "--debug",
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Show tracebacks on errors.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


pass_state = click.make_pass_decorator(CliState, ensure=True)


class JobfleetGroup(click.Group):
    """Turns user errors into one sentence and a non-zero exit; keeps secrets out of messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            state = ctx.find_object(CliState)
            if state is not None and state.debug:
                raise
            from engine.cli.output import error

            if isinstance(exc, UserError):
                error(mask_text(str(exc)))
                ctx.exit(1)
            if isinstance(exc, psycopg.OperationalError):
                first = (str(exc).strip().splitlines() or ["connection failed"])[0]
                error(f"the database stopped answering: {mask_text(first)}")
                ctx.exit(1)
            error(
                f"unexpected {exc.__class__.__name__}: {mask_text(str(exc))} "
                "(run again with --debug for the traceback)"
            )
            ctx.exit(70)
        finally:
            state = ctx.find_object(CliState)
            if state is not None and ctx.parent is None:
                state.close()


@click.group(
    cls=JobfleetGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", "-V", prog_name="jobfleet")
@common_options
@click.option("--no-ui", is_flag=True, help="Run the supervisor headless in the foreground.")
@click.option(
    "--stop-workers",
    is_flag=True,
    help="With --no-ui: stop the workers on exit instead of leaving them for adoption.",
)
@click.pass_context
def cli(ctx: click.Context, no_ui: bool, stop_workers: bool) -> None:
    """jobfleet keeps many job-board scrapers running and stores every posting once in Postgres.

    Run without a command to open the terminal control plane (it embeds the supervisor when no
    other one runs on this host); --no-ui runs the supervisor headless.
    """
    if ctx.invoked_subcommand is not None:
        return
    from engine.cli import nodes

    nodes.run_default(ctx.ensure_object(CliState), no_ui=no_ui, stop_workers=stop_workers)


def _register_all() -> None:
    from engine.cli import db, jobs, nodes, serve, sim

    for module in (db, jobs, nodes, sim, serve):
        module.register(cli)


_register_all()


def main(argv: list[str] | None = None) -> None:
    # Keep the real database URL out of `ps`: children get it through the environment.
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="jobfleet")


__all__ = ["CliState", "cli", "common_options", "main", "pass_state"]

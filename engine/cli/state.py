"""What every command shares: the common options and the state they fill (settings, database).

Command modules import these from here, not from the ``engine.cli`` package, which imports the
command modules to register them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.cli.output import info
from engine.db.handle import Database, open_database
from engine.redact import mask_url
from engine.settings import Settings, dotenv_supplied

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """What every command needs: settings (with command-line overrides) and a lazy database."""

    database_url: str | None = None
    home: Path | None = None
    debug: bool = False
    metrics_port: int | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _db: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides: dict[str, Any] = {}
            if self.database_url is not None:
                overrides["database_url"] = self.database_url
            if self.home is not None:
                overrides["home"] = self.home
            if self.metrics_port is not None:
                overrides["metrics_port"] = self.metrics_port
            self._settings = Settings(**overrides)
            _report_dotenv(self._settings, overridden=tuple(overrides))
        return self._settings

    def db(self, *, migrate: bool = True) -> Database:
        """The database, checked and migrated (opened once per command)."""
        if self._db is None:
            self._db = open_database(self.settings, migrate=migrate)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


_dotenv_reported = False


def _report_dotenv(settings: Settings, *, overridden: tuple[str, ...]) -> None:
    """Say once on stderr when a ``.env`` in the current directory chose the database or the
    data directory: a file planted in a directory someone runs jobfleet from could otherwise
    point it at another server unnoticed. The URL's password is masked."""
    global _dotenv_reported
    if _dotenv_reported:
        return
    found = dotenv_supplied(("database_url", "home"), overridden=overridden)
    if found is None:
        return
    _dotenv_reported = True
    path, names = found
    shown = []
    for name in names:
        if name == "database_url" and settings.database_url is not None:
            shown.append(
                f"JOBFLEET_DATABASE_URL={mask_url(settings.database_url.get_secret_value())}"
            )
        elif name == "home":
            shown.append(f"JOBFLEET_HOME={settings.home}")
    info(f"jobfleet: settings from {path}: {', '.join(shown)}")


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
            help=(
                "PostgreSQL URL (default: $JOBFLEET_DATABASE_URL, else the embedded server). "
                "Prefer the environment variable for a URL with a password: argv is visible "
                "to other users in ps."
            ),
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

"""``jobfleet serve``: the terminal UI in a web browser, through textual-serve, on 127.0.0.1.

Every browser session runs its own ``jobfleet`` process. The database URL and the data directory
reach those processes through the environment (inherited by textual-serve's subprocesses), never
on a command line, where ``ps`` would show a password to every user of the machine.

Only the holder of the token printed at start, from this server's own origin, gets in (see
``engine.cli.serve_guard``).
"""

from __future__ import annotations

import os
import shlex
import sys

import click

from engine.cli.state import CliState, common_options, pass_state

HOST = "127.0.0.1"


def app_command() -> str:
    """The shell command textual-serve runs per session (no secrets in it)."""
    return f"{shlex.quote(sys.executable)} -m engine"


def serve_environment(state: CliState) -> dict[str, str]:
    """What the served processes must inherit to reach the same database and home."""
    settings = state.settings
    env = {"JOBFLEET_HOME": str(settings.home), "JOBFLEET_HOST_NAME": settings.host_name}
    if settings.database_url is not None:
        env["JOBFLEET_DATABASE_URL"] = settings.database_url.get_secret_value()
    return env


@click.command("serve")
@common_options
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 to serve the web UI on.",
)
@pass_state
def serve(state: CliState, port: int) -> None:
    """Serve the control plane to a web browser on 127.0.0.1 (one jobfleet per session).

    Prints the one URL that gets in: it carries a fresh access token.
    """
    # Imported here: textual-serve and aiohttp load only for this command.
    from engine.cli.serve_guard import GuardedServer, ServeAccess

    os.environ.update(serve_environment(state))
    GuardedServer(app_command(), ServeAccess(port=port, host=HOST), title="jobfleet").serve()


def register(cli: click.Group) -> None:
    cli.add_command(serve)

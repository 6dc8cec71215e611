"""The ``jobfleet`` command line.

Every command takes ``--database-url``, ``--home`` and ``--debug`` (also before the command name).
Errors a user can cause print one sentence on stderr and exit non-zero; ``--debug`` shows the
traceback. Each command group lives in its own module, which defines its commands at module level
and adds them to the root group in ``register(cli)``; this package calls every ``register``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
import psycopg

from engine import __version__
from engine.cli import (
    alerts,
    db,
    demo,
    fleet,
    hosts,
    jobs,
    launch,
    logs,
    nodes,
    run_once,
    runs,
    serve,
    sim,
    specs,
)
from engine.cli.output import error
from engine.cli.state import CliState, common_options, pass_state
from engine.errors import UserError
from engine.redact import mask_text


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
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        # Every command's -h shows its options' defaults (click marks required ones itself).
        "show_default": True,
    },
    epilog=(
        "\b\nExamples:\n"
        "  jobfleet demo                   simulated boards, three nodes, the control plane\n"
        "  jobfleet deploy --name py-us --search 'python developer' --country US\n"
        "  jobfleet nodes                  what every node is doing\n"
        "  jobfleet logs py-us -f          follow one node's events\n"
        "\n"
        "Run 'jobfleet COMMAND -h' for a command's options and examples. Shell completion "
        '(click\'s): eval "$(_JOBFLEET_COMPLETE=bash_source jobfleet)" in ~/.bashrc (zsh: '
        "zsh_source, fish: fish_source)."
    ),
)
@click.version_option(__version__, "--version", "-V", prog_name="jobfleet")
@common_options
@click.option("--no-ui", is_flag=True, help="Run the supervisor headless in the foreground.")
@click.option(
    "--stop-workers",
    is_flag=True,
    help="With --no-ui: stop the workers on exit instead of leaving them for adoption.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help=(
        "Serve Prometheus metrics on this port from the supervisor (default: "
        "$JOBFLEET_METRICS_PORT; unset: none), on 127.0.0.1 unless $JOBFLEET_METRICS_HOST says "
        "otherwise."
    ),
)
@click.pass_context
def cli(ctx: click.Context, no_ui: bool, stop_workers: bool, metrics_port: int | None) -> None:
    """jobfleet keeps many job-board scrapers running and stores every posting once in Postgres.

    Run without a command to open the terminal control plane (it embeds the supervisor when no
    other one runs on this host); --no-ui runs the supervisor headless.
    """
    state = ctx.ensure_object(CliState)
    if metrics_port is not None:
        state.metrics_port = metrics_port
    if ctx.invoked_subcommand is not None:
        return
    launch.run_default(state, no_ui=no_ui, stop_workers=stop_workers)


for command_module in (
    alerts,
    db,
    demo,
    hosts,
    jobs,
    logs,
    nodes,
    specs,
    fleet,
    run_once,
    runs,
    serve,
    sim,
):
    command_module.register(cli)


def main(argv: list[str] | None = None) -> None:
    # Keep the real database URL out of `ps`: children get it through the environment.
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="jobfleet")


__all__ = ["CliState", "cli", "common_options", "main", "pass_state"]

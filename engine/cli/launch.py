"""Starting the control plane: the terminal UI, or the supervisor headless in the foreground.

Used by the bare ``jobfleet`` command and by ``jobfleet demo``.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from engine.cli.output import info
from engine.cli.state import CliState
from engine.db.handle import Database
from engine.errors import UserError
from engine.fleet.events import format_event, paint_level, redact, wants_colour
from engine.settings import Settings
from engine.text import visible_text


def load_tui() -> Callable[..., None]:
    try:
        from tui.app import run_app
    except ImportError as exc:
        raise UserError(
            f"the terminal UI cannot be loaded ({exc}); run 'jobfleet --no-ui' for the headless "
            "supervisor"
        ) from None
    return run_app


def run_headless(state: CliState, *, stop_workers: bool, settings: Settings | None = None) -> None:
    """The supervisor in the foreground, events on stderr, until SIGTERM/SIGINT.

    ``settings``: instead of the command's (the demo supervises under a host name of its own).
    """
    from engine.supervisor.loop import Supervisor

    settings = settings if settings is not None else state.settings
    db = state.db()
    supervisor = Supervisor(settings, db, mirror=sys.stderr)
    previous = {}

    def stop(signum: int, _frame: Any) -> None:
        supervisor.request_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, stop)
    follower_stop = threading.Event()
    try:
        supervisor.acquire()
        # The supervisor prints its own events; the nodes' events (workers, status changes)
        # come from node_logs, so what the workers say shows here too.
        threading.Thread(
            target=_echo_node_events, args=(db, follower_stop), name="echo", daemon=True
        ).start()
        info(
            f"supervising host {settings.host_name} (database {db.masked_url}); "
            "Ctrl-C to leave" + (" and stop the workers" if stop_workers else "")
        )
        supervisor.run_forever()
    finally:
        follower_stop.set()
        try:
            if supervisor.host_id is not None:
                supervisor.shutdown(stop_workers=stop_workers)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _echo_node_events(db: Database, stop: threading.Event) -> None:
    from engine.fleet.events import LogFollower

    follower = LogFollower(db, poll_interval=1.0)
    colour = wants_colour(sys.stderr)
    try:
        for row in follower.follow(stop.is_set):
            if row.get("node_id") is not None:
                line = visible_text(redact(format_event(row)), one_line=True)
                sys.stderr.write((paint_level(line, row["level"]) if colour else line) + "\n")
                sys.stderr.flush()
    except Exception:  # never take the supervisor down for an echo
        return
    finally:
        follower.close()


def run_default(state: CliState, *, no_ui: bool, stop_workers: bool) -> None:
    if no_ui:
        run_headless(state, stop_workers=stop_workers)
        return
    load_tui()(state.settings)

"""Live logs of one node or of all of them: history on open, then new rows as they arrive.

A thread worker opens a LogFollower (LISTEN on ``node_logs`` with polling as the fallback) and
posts each batch back as a message; leaving the screen cancels the worker, which closes its
connection. Filtering happens in memory over the bounded buffer, which is kept in the events'
own time order (workers write in batches, so rows of several nodes arrive out of order).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, Static
from textual.worker import get_current_worker

from engine.db.handle import Database
from tui.keys import ORDERED_KEYS, OrderedKeys
from tui.messages import LogsArrived
from tui.text import clean
from tui.widgets.fleet_header import FleetHeader
from tui.widgets.log_view import LEVELS, LogView, format_row

HISTORY_ROWS = 1000


class LogsScreen(OrderedKeys, Screen[None]):
    """Follows ``node_logs`` for one node (``node_id``) or for everything (``None``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ORDERED_KEYS,  # Tab, Shift+Tab, Home, End keep their order in a burst (tmux, SSH)
        Binding("escape", "back", "Back", tooltip="Back to the dashboard"),
        Binding("f", "toggle_follow", "Pause/follow", tooltip="Pause or resume following"),
        Binding("v", "cycle_level", "Level", tooltip="Cycle the lowest level shown"),
        Binding("slash", "filter", "Filter", tooltip="Filter lines by text"),
        Binding("w", "toggle_wrap", "Wrap", tooltip="Wrap long lines, or scroll them sideways"),
        Binding("end", "to_end", "End", show=False, tooltip="Jump to the newest line"),
    ]

    def __init__(
        self, db: Database, *, node_id: int | None = None, node_name: str | None = None
    ) -> None:
        super().__init__()
        self.db = db
        self.node_id = node_id
        self.node_name = node_name
        self.following = True
        self.received = 0

    def compose(self) -> ComposeResult:
        yield FleetHeader()
        title = f"Logs of {clean(self.node_name)}" if self.node_id is not None else "All logs"
        with Horizontal(id="log-bar"):
            yield Static(title, id="log-title", markup=False)
            yield Select[str](
                [(f"≥ {lv}", lv) for lv in LEVELS],
                value="debug",
                allow_blank=False,
                id="log-level",
                compact=True,
            )
            yield Input(placeholder="/ filter text", id="log-text", compact=True)
            yield Static("following", id="log-state")
        yield LogView(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LogView).focus()
        self._follow(self.db, self.node_id, self._names())

    def _names(self) -> dict[int, str]:
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is None:
            return {}
        return {int(n["id"]): clean(n.get("name")) for n in snapshot.nodes}

    @work(thread=True, exclusive=True, group="logs-follow", exit_on_error=False)
    def _follow(self, db: Database, node_id: int | None, names: dict[int, str]) -> None:
        from engine.fleet.events import LogFollower, fetch_logs

        worker = get_current_worker()
        history = fetch_logs(db, node_id=node_id, after_id=0, limit=HISTORY_ROWS)
        self.post_message(LogsArrived([format_row(r, names) for r in history], history=True))
        last_id = int(history[-1]["id"]) if history else 0
        follower = LogFollower(db, node_id=node_id, after_id=last_id, poll_interval=1.0)
        try:
            while not worker.is_cancelled:
                rows = follower.poll(0.5)
                if rows and not worker.is_cancelled:
                    self.post_message(LogsArrived([format_row(r, names) for r in rows]))
        finally:
            follower.close()

    def on_logs_arrived(self, message: LogsArrived) -> None:
        view = self.query_one(LogView)
        self.received += len(message.entries)
        if self.following or message.history:
            view.add_entries(message.entries)
        else:
            # Paused: keep them (bounded) so resuming shows everything, but do not scroll.
            view.keep_entries(message.entries)

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        view = self.query_one(LogView)
        state = self.query_one("#log-state", Static)
        state.update("following" if self.following else "paused")
        if self.following:
            view.set_filter()
            view.scroll_end(animate=False)

    @on(Select.Changed, "#log-level")
    def _level(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.query_one(LogView).set_filter(min_level=event.value)

    @on(Input.Changed, "#log-text")
    def _text(self, event: Input.Changed) -> None:
        self.query_one(LogView).set_filter(text=event.value.strip())

    @on(Input.Submitted, "#log-text")
    def _text_done(self) -> None:
        self.query_one(LogView).focus()

    def action_cycle_level(self) -> None:
        select = self.query_one("#log-level", Select)
        current = select.value if isinstance(select.value, str) else "debug"
        select.value = LEVELS[(LEVELS.index(current) + 1) % len(LEVELS)]

    def action_filter(self) -> None:
        self.query_one("#log-text", Input).focus()

    def action_toggle_wrap(self) -> None:
        view = self.query_one(LogView)
        wrapped = view.toggle_wrap()
        self.notify("long lines wrap" if wrapped else "long lines scroll sideways", timeout=2)
        view.scroll_end(animate=False)

    def action_to_end(self) -> None:
        self.query_one(LogView).scroll_end(animate=False)

    def action_back(self) -> None:
        if self.query_one("#log-text", Input).has_focus:
            self.query_one(LogView).focus()
            return
        self.workers.cancel_group(self, "logs-follow")
        self.dismiss()

"""Quitting while workers run: leave them for adoption (the default) or stop them."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

QuitChoice = str  # "leave" | "stop"


class QuitScreen(ModalScreen[QuitChoice | None]):
    """Returns "leave", "stop", or None when the user changes their mind."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Stay in jobfleet"),
        Binding("l", "choose('leave')", "Leave running", tooltip="Quit; workers keep running"),
        Binding("s", "choose('stop')", "Stop workers", tooltip="Stop every worker, then quit"),
    ]

    def __init__(self, running: int, *, recommend_stop: bool = False) -> None:
        """``recommend_stop``: Stop gets the focus (the demo's boards die with the app)."""
        super().__init__()
        self.running = running
        self.recommend_stop = recommend_stop

    def compose(self) -> ComposeResult:
        plural = "worker is" if self.running == 1 else "workers are"
        with Vertical(classes="dialog"):
            yield Label(
                f"{self.running} {plural} running. Leave them running (the next jobfleet "
                "adopts them), or stop them before quitting?",
                markup=False,
                classes="question",
            )
            with Horizontal(classes="buttons"):
                yield Button("Leave running (l)", id="leave", variant="primary")
                yield Button("Stop workers (s)", id="stop", variant="warning")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#stop" if self.recommend_stop else "#leave", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        self.dismiss(choice if choice in ("leave", "stop") else None)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)

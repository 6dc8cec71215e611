"""Quitting while workers run: leave them for adoption (the default) or stop them.

In the demo the default is the other way round: the simulated boards stop with the app, so its
workers would only fail against a dead proxy."""

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
        """``recommend_stop``: Stop comes first and has the focus, so Enter stops the workers
        (the demo: its boards die with the app)."""
        super().__init__()
        self.running = running
        self.recommend_stop = recommend_stop

    def compose(self) -> ComposeResult:
        plural = "worker is" if self.running == 1 else "workers are"
        if self.recommend_stop:
            question = (
                f"{self.running} demo {plural} running. The simulated job boards stop with the "
                "demo, so stop the workers too (the next 'jobfleet demo' starts them again)?"
            )
        else:
            question = (
                f"{self.running} {plural} running. Leave them running (the next jobfleet "
                "adopts them), or stop them before quitting?"
            )
        leave = Button(
            "Leave running (l)",
            id="leave",
            variant="default" if self.recommend_stop else "primary",
        )
        stop = Button("Stop workers (s)", id="stop", variant="warning")
        with Vertical(classes="dialog"):
            yield Label(question, markup=False, classes="question")
            with Horizontal(classes="buttons"):
                yield from (stop, leave) if self.recommend_stop else (leave, stop)
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

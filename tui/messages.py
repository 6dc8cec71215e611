"""Messages that carry results from thread workers back to the UI thread."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from tui.data import FleetSnapshot


class Connected(Message):
    """The database answered; ``supervisor`` is set when this app embeds one."""

    def __init__(self, db: Any, supervisor: Any, holder: dict[str, Any] | None) -> None:
        super().__init__()
        self.db = db
        self.supervisor = supervisor
        self.holder = holder


class FleetPolled(Message):
    """A fresh dashboard poll. Only the newest one matters, so queued ones are replaced."""

    def __init__(self, snapshot: FleetSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FleetPolled)


class RefreshRequested(Message):
    """Something changed (an action, a notification): poll soon. Bursts collapse into one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshRequested)


class ActionDone(Message):
    """A node action finished; ``text`` is already safe to show (built from clean values)."""

    def __init__(self, text: str, node_id: int | None = None) -> None:
        super().__init__()
        self.text = text
        self.node_id = node_id


class ShutdownDone(Message):
    """The embedded supervisor has shut down (workers left or stopped as chosen)."""

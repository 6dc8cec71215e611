"""Shared helpers of the TUI tests: a test-configured app and condition waits (no sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from tui.app import JobfleetApp

WAIT_S = 15.0


def make_app(settings: Any, db: Any, **kw: Any) -> JobfleetApp:
    """The app on the test's database: no embedded supervisor, fast polls."""
    kw.setdefault("supervise", False)
    kw.setdefault("poll_interval", 0.2)
    return JobfleetApp(settings, db=db, **kw)


async def wait_for(pilot: Pilot[Any], condition: Callable[[], Any], what: str) -> Any:
    """Let the app run until ``condition()`` is truthy; fail (not hang) after a generous cap."""
    deadline = time.monotonic() + WAIT_S
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await pilot.pause(0.05)

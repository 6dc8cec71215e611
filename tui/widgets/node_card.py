"""One node at a glance: identity, status, progress, process health and a jobs-per-hour line.

A card is a single widget that renders its own text (no child widgets), so 200 of them mount
quickly and a poll that changes one node repaints one card: :meth:`NodeCard.show` compares what
would be drawn with what is drawn and refreshes only on a difference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from tui.text import clean, fmt_bytes, fmt_duration, fmt_int, seconds_between, sparkline

STATUS_STYLE: dict[str, str] = {
    "running": "bold green",
    "starting": "bold cyan",
    "stopping": "bold yellow",
    "stopped": "dim",
    "exited": "bold dark_orange",
    "backoff": "bold yellow",
    "fatal": "bold red",
    "lost": "bold magenta",
}
STATUS_ICON: dict[str, str] = {
    "running": "●",
    "starting": "◐",
    "stopping": "◑",
    "stopped": "○",
    "exited": "✕",
    "backoff": "↻",
    "fatal": "‼",
    "lost": "?",
}


# Statuses whose card shows live ages (uptime, heartbeat age) that change with the clock.
LIVE_STATUSES = frozenset({"running", "starting", "stopping", "lost"})


def node_spec(node: dict[str, Any]) -> dict[str, Any]:
    spec = node.get("spec")
    return spec if isinstance(spec, dict) else {}


def card_lines(
    node: dict[str, Any], spark: list[int] | None, now: datetime | None, width: int
) -> Text:
    """The card's content as literal Text (every value from the database is cleaned)."""
    spec = node_spec(node)
    status = str(node.get("status") or "stopped")
    desired = str(node.get("desired") or "")
    inner = max(10, width)

    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(f"{STATUS_ICON.get(status, '·')} ", STATUS_STYLE.get(status, ""))
    head.append(clean(node.get("name")), "bold")
    head.append("  ")
    head.append(status, STATUS_STYLE.get(status, ""))
    if desired and desired != status and status not in ("starting", "stopping"):
        head.append(f" → {desired}", "italic")

    what = Text(no_wrap=True, overflow="ellipsis")
    what.append(clean(spec.get("search_term")) or "—", "italic")
    what.append(" · ")
    what.append(clean(spec.get("country")) or "—")
    what.append(" · ")
    sites = spec.get("sites") or []
    what.append(clean(",".join(str(s) for s in sites)) if isinstance(sites, list) else "—", "dim")

    progress = Text(no_wrap=True, overflow="ellipsis")
    progress.append("jobs ")
    progress.append(fmt_int(node.get("jobs_found")), "bold")
    progress.append(" / ")
    progress.append(f"{fmt_int(node.get('jobs_new'))} new", "green")
    progress.append(
        f" · loc {fmt_int(node.get('locations_done'))}/{fmt_int(node.get('locations_total'))}"
    )
    current = node.get("current_location")
    if current:
        progress.append(" @ ")
        progress.append(clean(current))

    process = Text(no_wrap=True, overflow="ellipsis")
    pid = node.get("pid")
    process.append(f"pid {pid}" if pid else "no process", "" if pid else "dim")
    uptime = age = None
    if status in LIVE_STATUSES:
        uptime = seconds_between(now, node.get("started_at"))
    if status in LIVE_STATUSES:
        # Against the poll's clock (the database's, or a fixed one in tests), not this host's.
        age = seconds_between(now, node.get("heartbeat_at"))
        if age is None:
            age = node.get("heartbeat_age_s")
    process.append(f" · rss {fmt_bytes(node.get('rss_bytes'))}")
    process.append(f" · up {fmt_duration(uptime)}")

    health = Text(no_wrap=True, overflow="ellipsis")
    health.append(f"hb {fmt_duration(age)}")
    restarts = int(node.get("restarts") or 0)
    health.append(f" · restarts {restarts}", "bold yellow" if restarts else "")
    health.append(" · ")
    # New jobs per hour, newest on the right; as many hours as the card has room for.
    health.append(sparkline(spark, max(0, inner - health.cell_len)), "cyan")

    error = Text(no_wrap=True, overflow="ellipsis")
    last_error = node.get("last_error")
    if last_error:
        error.append("! ", "bold red")
        error.append(clean(last_error, max_len=500), "red")
    else:
        error.append("no errors", "dim")

    return Text("\n", no_wrap=True, overflow="ellipsis").join(
        [head, what, progress, process, health, error]
    )


class NodeCard(Widget):
    """A card for one node; click selects it, double click opens its logs."""

    DEFAULT_CSS = """
    NodeCard {
        height: 8;
        border: round $panel-lighten-2;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    class Clicked(Message):
        def __init__(self, card: NodeCard, double: bool) -> None:
            super().__init__()
            self.card = card
            self.double = double

    def __init__(self, node: dict[str, Any], spark: list[int] | None, now: datetime | None) -> None:
        super().__init__(id=f"node-{int(node['id'])}")
        self.node_id = int(node["id"])
        self.node: dict[str, Any] = node
        self.spark: list[int] = list(spark or [])
        self.now = now
        self._status = ""
        self._apply_status()
        self.tooltip = (
            "Click to select, double-click for logs. The bars are new jobs per hour, "
            "newest on the right."
        )

    def _apply_status(self) -> None:
        status = str(self.node.get("status") or "stopped")
        if status != self._status:
            if self._status:
                self.remove_class(f"-{self._status}")
            self.add_class(f"-{status}")
            self._status = status

    @staticmethod
    def _second(now: datetime | None) -> datetime | None:
        return now.replace(microsecond=0) if now is not None else None

    def show(self, node: dict[str, Any], spark: list[int] | None, now: datetime | None) -> bool:
        """Take new data; repaint only when something visible changed. Returns whether it did."""
        spark = list(spark or [])
        # heartbeat_age_s differs on every poll; what is drawn derives from heartbeat_at and now.
        live = str(node.get("status")) in LIVE_STATUSES
        same = (
            spark == self.spark
            and (not live or self._second(now) == self._second(self.now))
            and {**node, "heartbeat_age_s": None} == {**self.node, "heartbeat_age_s": None}
        )
        self.node, self.spark, self.now = node, spark, now
        if same:
            return False
        self._apply_status()
        self.refresh()
        return True

    def render(self) -> RenderableType:
        return card_lines(self.node, self.spark, self.now, self.content_size.width)

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Clicked(self, double=event.chain >= 2))

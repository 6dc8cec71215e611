"""One node at a glance: identity, status, progress, process health and a jobs-per-hour line.

A card is not a widget: :class:`tui.widgets.card_grid.CardGrid` draws every card itself, line by
line, so 200 nodes mount nothing and scrolling renders only the cards that come into view. This
module says what a card shows (:func:`card_texts`), whether a new row changes it
(:func:`card_changed`) and how it is drawn into strips of terminal cells (:func:`draw_card`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from engine.fleet.states import NodeStatus
from tui.text import clean, fmt_bytes, fmt_duration, fmt_int, seconds_between, sparkline

S = NodeStatus

# Keyed by NodeStatus (a str): rows hold the plain value, which finds the same entry.
# tests/tui/test_card_grid.py checks that every status has a style and an icon.
STATUS_STYLE: dict[str, str] = {
    S.RUNNING: "bold green",
    S.STARTING: "bold cyan",
    S.STOPPING: "bold yellow",
    S.STOPPED: "dim",
    S.EXITED: "bold dark_orange",
    S.BACKOFF: "bold yellow",
    S.FATAL: "bold red",
    S.LOST: "bold magenta",
    S.SCHEDULED: "bold blue",
}
STATUS_ICON: dict[str, str] = {
    S.RUNNING: "●",
    S.STARTING: "◐",
    S.STOPPING: "◑",
    S.STOPPED: "○",
    S.EXITED: "✕",
    S.BACKOFF: "↻",
    S.FATAL: "‼",
    S.LOST: "?",
    S.SCHEDULED: "◷",
}


# Health judged from the node's recent scrapes (sql/0009): only the two that need a look are
# shown; "ok" and "unknown" (no scrape yet) leave the card as it was.
HEALTH_STYLE: dict[str, str] = {"degraded": "bold yellow", "failing": "bold red"}


def shown_health(node: dict[str, Any]) -> str | None:
    """``degraded`` or ``failing`` when the card should say so, else None."""
    health = str(node.get("health") or "")
    return health if health in HEALTH_STYLE else None


# Statuses whose card shows live ages (uptime, heartbeat age) that change with the clock.
LIVE_STATUSES = frozenset({S.RUNNING, S.STARTING, S.STOPPING, S.LOST})
# On the way to what was asked for: the card shows no "→desired" for these.
CHANGING_STATUSES = frozenset({S.STARTING, S.STOPPING})


def node_spec(node: dict[str, Any]) -> dict[str, Any]:
    spec = node.get("spec")
    return spec if isinstance(spec, dict) else {}


CARD_HEIGHT = 8  # a border line, six lines of content, a border line
CONTENT_LINES = CARD_HEIGHT - 2
# Border and padding columns: "│ " on the left, " │" on the right.
CARD_CHROME = 4

ROUND_BORDER = ("╭", "─", "╮", "│", "╰", "╯")
DOUBLE_BORDER = ("╔", "═", "╗", "║", "╚", "╝")


MARK = "✔ "  # before the name of a card marked for a bulk action (space)


def next_start_text(node: dict[str, Any]) -> str:
    """``next start 03-30 08:00 CEST`` for a scheduled node (in its window's zone), else ""."""
    opens = node.get("next_start_at")
    if str(node.get("status")) != S.SCHEDULED or not isinstance(opens, datetime):
        return ""
    from engine.fleet.schedule import window_of

    window = window_of(node_spec(node))
    local = opens.astimezone(window.tz) if window is not None else opens
    return f"next start {local:%a %m-%d %H:%M %Z}"


def card_texts(
    node: dict[str, Any],
    spark: list[int] | None,
    now: datetime | None,
    width: int,
    *,
    marked: bool = False,
) -> list[Text]:
    """The card's content lines as literal Text (every value from the database is cleaned)."""
    spec = node_spec(node)
    status = str(node.get("status") or S.STOPPED)
    desired = str(node.get("desired") or "")
    inner = max(10, width)

    head = Text(no_wrap=True, overflow="ellipsis")
    if marked:
        head.append(MARK, "bold reverse")
    head.append(f"{STATUS_ICON.get(status, '·')} ", STATUS_STYLE.get(status, ""))
    head.append(clean(node.get("name")), "bold")
    head.append("  ")
    head.append(status, STATUS_STYLE.get(status, ""))
    if node.get("run_once") and status in (S.STARTING, S.RUNNING, S.STOPPING):
        head.append(" (once)", "italic")
    elif desired and desired != status and status not in CHANGING_STATUSES | {S.SCHEDULED}:
        head.append(f" → {desired}", "italic")
    health_shown = shown_health(node)
    if health_shown:
        head.append(" · ")
        head.append(health_shown, HEALTH_STYLE[health_shown])

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
    resting = next_start_text(node)
    if resting:
        process.append(resting, STATUS_STYLE[S.SCHEDULED])
    else:
        process.append(f"pid {pid}" if pid else "no process", "" if pid else "dim")
    uptime = age = None
    if status in LIVE_STATUSES:
        uptime = seconds_between(now, node.get("started_at"))
    if status in LIVE_STATUSES:
        # Against the poll's clock (the database's, or a fixed one in tests), not this host's.
        age = seconds_between(now, node.get("heartbeat_at"))
        if age is None:
            age = node.get("heartbeat_age_s")
    if not resting:  # a resting node has no process to speak of
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
    if health_shown and status != S.FATAL:
        # Why, per site ("linkedin: 3 timeouts in a row; indeed ok"); the error itself is in
        # last_error, shown by the node's screen.
        error.append("! ", HEALTH_STYLE[health_shown])
        error.append(clean(node.get("health_reason"), max_len=500), HEALTH_STYLE[health_shown])
    elif last_error:
        error.append("! ", "bold red")
        error.append(clean(last_error, max_len=500), "red")
    else:
        error.append("no errors", "dim")

    return [head, what, progress, process, health, error]


def card_lines(
    node: dict[str, Any],
    spark: list[int] | None,
    now: datetime | None,
    width: int,
    *,
    marked: bool = False,
) -> Text:
    """The card's content as one literal Text, a line per row (what tests read)."""
    lines = card_texts(node, spark, now, width, marked=marked)
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


def _second(now: datetime | None) -> datetime | None:
    return now.replace(microsecond=0) if now is not None else None


def card_changed(
    old: dict[str, Any],
    old_spark: list[int],
    old_now: datetime | None,
    new: dict[str, Any],
    new_spark: list[int],
    new_now: datetime | None,
) -> bool:
    """Whether a card showing ``old`` would look different showing ``new``."""
    if new_spark != old_spark:
        return True
    # Live cards show ages (uptime, heartbeat) that tick with the poll's clock, whole seconds.
    if str(new.get("status")) in LIVE_STATUSES and _second(new_now) != _second(old_now):
        return True
    # heartbeat_age_s differs on every poll; what is drawn derives from heartbeat_at and now.
    return {**new, "heartbeat_age_s": None} != {**old, "heartbeat_age_s": None}


def draw_card(
    console: Console,
    lines: list[Text],
    width: int,
    *,
    border: Style,
    fill: Style,
    double: bool,
) -> list[Strip]:
    """The card as ``CARD_HEIGHT`` strips of exactly ``width`` cells: a border around the lines.

    ``fill`` is the card's own style (its background, the text colour); each line's spans are
    drawn over it, so a span without a background keeps the card's.
    """
    tl, h, tr, v, bl, br = DOUBLE_BORDER if double else ROUND_BORDER
    width = max(CARD_CHROME + 1, width)
    inner = width - CARD_CHROME
    edge, pad = Segment(v, border), Segment(" ", fill)
    strips = [Strip([Segment(tl + h * (width - 2) + tr, border)], width)]
    for text in lines[:CONTENT_LINES]:
        line = text.copy()
        line.truncate(inner, overflow="ellipsis", pad=True)
        body = Strip(line.render(console), inner).apply_style(fill)
        strips.append(Strip([edge, pad, *body, pad, edge], width))
    blank = Segment(" " * inner, fill)
    strips.extend(
        Strip([edge, pad, blank, pad, edge], width) for _ in range(CONTENT_LINES - len(lines))
    )
    strips.append(Strip([Segment(bl + h * (width - 2) + br, border)], width))
    return strips

"""One node over time: charts of the last 24 hours or 7 days (new postings, scrape outcomes per
site, scrape durations, memory), its spec, its recent scrapes and its recent failures.

The numbers come from :mod:`engine.jobs.history` in a thread worker and are re-read every
``REFRESH_S`` seconds after the previous read finished. Charts are drawn by textual-plotext;
scraped text (locations, errors) goes through :func:`tui.text.literal`, never into markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from engine.db.handle import Database
from tui.messages import NodeHistoryLoaded
from tui.text import clean, count_ticks, fmt_bytes, literal
from tui.widgets.fleet_header import FleetHeader
from tui.widgets.node_card import STATUS_STYLE, node_spec

if TYPE_CHECKING:
    from engine.jobs.history import NodeHistory

REFRESH_S = 30.0
WINDOW_ORDER = ("24h", "7d")
WINDOW_WORDS = {"24h": "last 24 hours", "7d": "last 7 days"}
# plotext's colour names for the chart, rich's for text.
OUTCOME_COLOURS = {"ok": "green", "blocked": "orange", "timeout": "yellow", "error": "red"}
OUTCOME_STYLES = {"ok": "green", "blocked": "dark_orange", "timeout": "yellow", "error": "red"}
MIB = 1 << 20


def _axis(
    history: NodeHistory, bucket_s: int, count: int, width: int
) -> tuple[list[float], list[str]]:
    """Ticks for a time axis of ``count`` buckets on a plot ``width`` cells wide: x is hours
    before the window's end, labelled with the local time of day (or the date over a week);
    as many labels as fit without touching."""
    span_h = bucket_s / 3600
    fmt = "%H:%M" if history.window.label == "24h" else "%m-%d"
    labels_fit = max(2, min(5, (width - 8) // 10))
    every = max(1, -(-count // (labels_fit - 1)))
    ticks: list[float] = []
    labels: list[str] = []
    for i in range(count, -1, -every):
        ticks.insert(0, -(count - i) * span_h)
        labels.insert(0, history.bucket_start(i, bucket_s).astimezone().strftime(fmt))
    return ticks, labels


def _xs(count: int, bucket_s: int) -> list[float]:
    """The x of each bucket: its start, in hours before the window's end."""
    span_h = bucket_s / 3600
    return [-(count - i) * span_h for i in range(count)]


def spec_table(node: dict[str, Any]) -> Table:
    """The spec as label/value rows; proxies only counted (their URLs may carry secrets)."""
    spec = node_spec(node)
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    status = str(node.get("status") or "")
    locations = [clean(x) for x in spec.get("locations") or []]
    shown = ", ".join(locations[:4]) + (f" … (+{len(locations) - 4})" if len(locations) > 4 else "")
    sites = spec.get("sites") or []
    rows: list[tuple[str, Text]] = [
        (
            "Status",
            Text(f"{status} (wanted: {clean(node.get('desired'))})", STATUS_STYLE.get(status, "")),
        ),
        ("Host", literal(node.get("host") or "any")),
        ("Search", literal(spec.get("search_term"), "italic")),
        ("Country", literal(spec.get("country") or "—")),
        ("Locations", Text(shown or "—")),
        ("Sites", literal(", ".join(str(s) for s in sites) if isinstance(sites, list) else "—")),
    ]
    if spec.get("results_wanted") is not None:
        hours = spec.get("hours_old")
        age = f", at most {hours} h old" if hours else ""
        rows.append(("Per search", Text(f"{spec['results_wanted']} results{age}")))
    if spec.get("delay_min") is not None and spec.get("delay_max") is not None:
        rows.append(("Delays", Text(f"{spec['delay_min']}–{spec['delay_max']} s")))
    if spec.get("max_cycles"):
        rows.append(("Recycled", Text(f"after {spec['max_cycles']} cycles")))
    limit = spec.get("memory_limit_mb")
    memory = fmt_bytes(node.get("rss_bytes")) + (f" (limit {limit} MiB)" if limit else "")
    rows += [
        ("Memory", Text(memory)),
        ("Proxies", Text(str(len(spec.get("proxies") or [])))),
        ("Restarts", Text(str(node.get("restarts") or 0))),
    ]
    error = node.get("last_error")
    if error:
        rows.append(("Last error", literal(error, "red", max_len=300)))
    for label, value in rows:
        table.add_row(label, value)
    return table


class NodeDetailScreen(Screen[None]):
    """A node's history; ``t`` switches between the last 24 hours and the last 7 days."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", tooltip="Back to the dashboard"),
        Binding("t", "toggle_window", "24 h / 7 d", tooltip="Charts over 24 hours or 7 days"),
        Binding("l", "logs", "Logs", tooltip="Live logs of this node"),
        Binding("f5", "reload", "Refresh", show=False, tooltip="Read the history again"),
    ]

    def __init__(
        self,
        db: Database,
        node: dict[str, Any],
        *,
        now: datetime | None = None,
        window: str = "24h",
    ) -> None:
        super().__init__()
        self.db = db
        self.node = node
        self.node_id = int(node["id"])
        # A fixed clock (tests); None reads the database's.
        self.fixed_now = now
        self.window = window
        self.history: NodeHistory | None = None
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield FleetHeader()
        yield Static("", id="node-title")
        with VerticalScroll(id="node-body"):
            with Grid(id="node-charts"):
                yield PlotextPlot(id="chart-new")
                yield PlotextPlot(id="chart-outcomes")
                yield PlotextPlot(id="chart-duration")
                yield PlotextPlot(id="chart-rss")
            with Horizontal(id="node-tables"):
                yield Static("", id="node-spec")
                runs: DataTable[Any] = DataTable(id="node-runs", cursor_type="row")
                yield runs
            yield Static("", id="node-errors")
        yield Footer()

    def on_mount(self) -> None:
        runs = self.query_one("#node-runs", DataTable)
        for key, label in (
            ("time", "Time"),
            ("site", "Site"),
            ("location", "Location"),
            ("outcome", "Outcome"),
            ("found", "Found/new"),
            ("secs", "Secs"),
        ):
            runs.add_column(label, key=key)
        self._show_title()
        self.query_one("#node-spec", Static).update(spec_table(self.node))
        self.query_one("#node-body").focus()
        self.action_reload()

    # --- loading ---

    def action_reload(self) -> None:
        self._load(self.db, self.node_id, self.window, self.fixed_now)

    @work(thread=True, exclusive=True, group="node-history", exit_on_error=False)
    def _load(self, db: Database, node_id: int, window: str, now: datetime | None) -> None:
        from engine.errors import UserError
        from engine.fleet.nodes import get_node
        from engine.jobs.history import node_history

        try:
            node: dict[str, Any] | None = get_node(db, node_id).as_dict()
        except UserError:
            node = None  # removed meanwhile: the history stays readable
        self.post_message(NodeHistoryLoaded(node, node_history(db, node_id, window, now=now)))

    def on_node_history_loaded(self, message: NodeHistoryLoaded) -> None:
        if message.history.window.label != self.window:
            return  # a read for the window shown before the toggle
        self.loads += 1
        if message.node is not None:
            self.node = message.node
            self.query_one("#node-spec", Static).update(spec_table(self.node))
        self.history = message.history
        self._show_title()
        self._draw(message.history)
        self.set_timer(REFRESH_S, self.action_reload)

    def action_toggle_window(self) -> None:
        self.window = WINDOW_ORDER[(WINDOW_ORDER.index(self.window) + 1) % len(WINDOW_ORDER)]
        self._show_title()
        self.action_reload()

    # --- drawing ---

    def _show_title(self) -> None:
        title = Text(" ")
        title.append(clean(self.node.get("name")), "bold")
        status = str(self.node.get("status") or "")
        title.append(f"  {status}", STATUS_STYLE.get(status, ""))
        title.append(f"  · {WINDOW_WORDS[self.window]} (t: ")
        title.append(WINDOW_WORDS[WINDOW_ORDER[(WINDOW_ORDER.index(self.window) + 1) % 2]])
        title.append(")")
        history = self.history
        if history is not None and history.window.label == self.window:
            title.append(
                f"  · {history.total_scrapes} scrapes, {history.total_new} new postings", "dim"
            )
        self.query_one("#node-title", Static).update(title)

    def _draw(self, history: NodeHistory) -> None:
        self._draw_charts(history)
        self._fill_runs(history)
        self._fill_errors(history)

    def _draw_charts(self, history: NodeHistory) -> None:
        self._draw_new(history)
        self._draw_outcomes(history)
        self._draw_duration(history)
        self._draw_rss(history)

    def on_resize(self) -> None:
        # The time axes carry as many labels as the plots' width allows.
        if self.history is not None:
            self.call_after_refresh(self._draw_charts, self.history)

    def _time_plot(self, widget_id: str, title: str) -> Any:
        plot = self.query_one(widget_id, PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title(title)
        return plot, plt

    def _draw_new(self, history: NodeHistory) -> None:
        bucket_s = history.window.bucket_s
        per = "hour" if bucket_s == 3600 else f"{bucket_s // 3600} h"
        plot, plt = self._time_plot("#chart-new", f"New postings per {per}")
        count = history.buckets
        plt.bar(_xs(count, bucket_s), history.new, width=0.8 * bucket_s / 3600, color="cyan")
        plt.xticks(*_axis(history, bucket_s, count, plot.size.width))
        ticks = count_ticks(max(history.new, default=0))
        plt.yticks(ticks)
        plt.ylim(0, ticks[-1])
        plot.refresh()

    def _draw_outcomes(self, history: NodeHistory) -> None:
        from engine.jobs.history import OUTCOMES

        plot = self.query_one("#chart-outcomes", PlotextPlot)
        # Any: textual-plotext's stub of stacked_bar lacks plotext's labels and colour list.
        plt: Any = plot.plt
        plt.clear_figure()
        plt.title("Scrapes per site and outcome")
        sites = sorted(history.outcomes)
        if sites:
            present = [o for o in OUTCOMES if any(history.outcomes[s].get(o) for s in sites)]
            plt.stacked_bar(
                [clean(s) for s in sites],
                [[history.outcomes[s].get(o, 0) for s in sites] for o in present],
                labels=present,
                color=[OUTCOME_COLOURS[o] for o in present],
            )
            plt.yticks(count_ticks(max(sum(history.outcomes[s].values()) for s in sites)))
        else:
            plt.bar(["no scrapes"], [0])
        plot.refresh()

    def _draw_duration(self, history: NodeHistory) -> None:
        bucket_s = history.window.bucket_s
        plot, plt = self._time_plot("#chart-duration", "Scrape duration, s (mean, longest)")
        count = history.buckets
        xs = _xs(count, bucket_s)
        points = [
            (x, a, m)
            for x, a, m in zip(xs, history.avg_s, history.max_s, strict=True)
            if a is not None
        ]
        if points:
            plt.scatter(
                [p[0] for p in points],
                [p[2] or 0 for p in points],
                marker="x",
                color="red",
                label="longest",
            )
            plt.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="braille",
                color="cyan",
                label="mean",
            )
        plt.xticks(*_axis(history, bucket_s, count, plot.size.width))
        plt.xlim(xs[0], 0)
        top = max([p[2] or 0 for p in points], default=0)
        plt.ylim(0, max(1.0, top * 1.1))
        plot.refresh()

    def _draw_rss(self, history: NodeHistory) -> None:
        bucket_s = history.window.rss_bucket_s
        plot, plt = self._time_plot("#chart-rss", "Worker memory (RSS), MiB")
        count = len(history.rss)
        xs = _xs(count, bucket_s)
        points = [(x, v / MIB) for x, v in zip(xs, history.rss, strict=True) if v is not None]
        if points:
            plt.plot(
                [p[0] for p in points], [p[1] for p in points], marker="braille", color="magenta"
            )
        plt.xticks(*_axis(history, bucket_s, count, plot.size.width))
        plt.xlim(xs[0], 0)
        plt.ylim(0, max(1.0, max((p[1] for p in points), default=0) * 1.1))
        plot.refresh()

    def _fill_runs(self, history: NodeHistory) -> None:
        table = self.query_one("#node-runs", DataTable)
        table.clear()
        for run in history.recent_runs:
            outcome = str(run["outcome"])
            table.add_row(
                Text(run["started_at"].astimezone().strftime("%m-%d %H:%M:%S")),
                literal(run["site"]),
                literal(run["location"] or "—", max_len=40),
                Text(outcome, OUTCOME_STYLES.get(outcome, "")),
                Text(f"{run['found']}/{run['new']}"),
                Text(f"{run['seconds']:.1f}"),
            )

    def _fill_errors(self, history: NodeHistory) -> None:
        errors = history.recent_errors
        text = Text("Recent failed scrapes\n", "bold")
        if not errors:
            text.append("none", "dim")
        for i, run in enumerate(errors):
            if i:
                text.append("\n")
            text.append(run["started_at"].astimezone().strftime("%m-%d %H:%M "), "dim")
            text.append(f"{clean(run['site'])} ", "bold")
            text.append(f"{clean(run['location'])} " if run["location"] else "")
            text.append(str(run["outcome"]), OUTCOME_STYLES.get(str(run["outcome"]), ""))
            if run["error"]:
                text.append(": ")
                text.append(clean(run["error"], max_len=200), "red")
        self.query_one("#node-errors", Static).update(text)

    # --- keys ---

    def action_logs(self) -> None:
        from tui.screens.logs import LogsScreen

        self.app.push_screen(
            LogsScreen(self.db, node_id=self.node_id, node_name=clean(self.node.get("name")))
        )

    def action_back(self) -> None:
        self.dismiss()

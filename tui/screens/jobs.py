"""The jobs browser: full-text search with the CLI's filters, a paged table sortable by column,
the total count, a chart of new postings per day (``g``), export (``e``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static
from textual_plotext import PlotextPlot

from engine.db.handle import Database
from tui.keys import ORDERED_KEYS, OrderedKeys
from tui.messages import ExportDone, JobsCounted, JobsFound, JobStatsLoaded
from tui.text import clean, count_ticks, literal
from tui.widgets.fleet_header import FleetHeader

if TYPE_CHECKING:
    # engine.jobs.search loads when the first search runs, not when the screen opens.
    from engine.jobs.search import JobQuery
    from engine.jobs.stats import DailySeries, DailyStats

PAGE_SIZE = 50
# Below this width the remote and type columns give their room to the others (the location
# still says "(remote)").
WIDE = 110
# From this width the boards a job is also on get a column of their own.
ALSO_ON_WIDE = 130
# Sorting by a column for the first time: newest, best paid and remote first; text A→Z.
FIRST_DESCENDING = frozenset({"posted", "salary", "remote"})
STATS_DAYS = 30
CHART_COLOURS = ("cyan", "green", "yellow", "magenta", "blue", "gray")
_INTERVAL = {"yearly": "/yr", "monthly": "/mo", "weekly": "/wk", "daily": "/d", "hourly": "/h"}


def location_text(row: dict[str, Any]) -> str:
    parts = [clean(row.get(k)) for k in ("city", "region", "country") if row.get(k)]
    text = ", ".join(parts)
    if row.get("is_remote"):
        text = f"{text} (remote)" if text else "remote"
    return text or clean(row.get("location_raw"))


def _amount(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}"


def salary_short(row: dict[str, Any]) -> str:
    """A salary in a table cell: "120k–150k USD/yr", "45 EUR/h", "—"."""
    low, high = row.get("salary_min"), row.get("salary_max")
    amounts = [_amount(float(v)) for v in (low, high) if v is not None]
    if not amounts:
        return "—"
    span = amounts[0] if len(set(amounts)) == 1 else "–".join(amounts)
    currency = clean(row.get("salary_currency"))
    interval = _INTERVAL.get(str(row.get("salary_interval") or ""), "")
    return f"{span} {currency}{interval}" if currency else f"{span}{interval}"


def remote_text(row: dict[str, Any]) -> Text:
    value = row.get("is_remote")
    if value is None:
        return Text("—", "dim")
    return Text("yes", "green") if value else Text("no")


class JobsScreen(OrderedKeys, Screen[None]):
    """Search what the nodes scraped; Enter opens a job."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ORDERED_KEYS,  # Tab, Shift+Tab, Home, End keep their order in a burst (tmux, SSH)
        Binding("escape", "back", "Back", tooltip="Back to the dashboard"),
        Binding("slash", "focus_search", "Search", tooltip="Type a full-text search"),
        Binding("pagedown,right_square_bracket", "page(1)", "Next page", tooltip="Next page"),
        Binding("pageup,left_square_bracket", "page(-1)", "Prev page", tooltip="Previous page"),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column (or click a header)"),
        Binding("c", "clear_filters", "Clear filters", tooltip="Empty every filter and the sort"),
        Binding("g", "toggle_stats", "Chart", tooltip="New postings per day by site and country"),
        Binding("o", "open_url", "Open URL", tooltip="Open the highlighted job's web address"),
        Binding("e", "export('csv')", "Export", tooltip="Export every matching job (asks how)"),
        Binding("E", "export('jsonl')", "Export JSONL", show=False, tooltip="Export as JSONL"),
        Binding("f5", "search", "Refresh", show=False, tooltip="Run the search again"),
        Binding(
            "a",
            "toggle_postings",
            "All postings",
            tooltip="One row per job (its boards merged) or one row per posting",
        ),
    ]

    def __init__(self, db: Database, *, now: datetime | None = None) -> None:
        super().__init__()
        self.db = db
        # A fixed clock for the chart's days (tests); None reads the database's.
        self.fixed_now = now
        self.page = 0
        self.rows: list[dict[str, Any]] = []
        self.has_more = False
        self.searches = 0
        self.query_in_effect: JobQuery | None = None
        # One row per job (postings of one job on several boards merged), or every posting.
        self.all_postings = False
        self.sort = "posted"
        self.descending = True
        # Matches of the current filters (None while counting) and whether counted exactly.
        self.total: int | None = None
        self.total_exact = True
        self.stats: DailyStats | None = None
        self._columns: tuple[str, ...] = ()
        self._counting: JobQuery | None = None

    def compose(self) -> ComposeResult:
        from engine.fleet.spec import site_choices

        yield FleetHeader()
        with Horizontal(id="job-filters"):
            yield Input(placeholder="/ search title, company, text", id="q", compact=True)
            yield Input(placeholder="country", id="country", compact=True)
            yield Input(placeholder="city", id="city", compact=True)
            yield Select[str](
                [(s, s) for s in site_choices()], prompt="site", id="site", compact=True
            )
            yield Select[str](
                [("remote only", "yes"), ("on-site only", "no")],
                prompt="remote/on-site",
                id="remote",
                compact=True,
            )
            yield Input(placeholder="days", id="days", type="integer", compact=True)
        with Horizontal(id="job-stats"):
            yield PlotextPlot(id="stats-site")
            yield PlotextPlot(id="stats-country")
        table: DataTable[Any] = DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="pager")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#job-stats").display = False
        self._set_columns(self.size.width)
        self.query_one(DataTable).focus()
        self.action_search()

    # --- columns ---

    @staticmethod
    def _column_widths(total: int) -> list[tuple[str, str, int]]:
        """Fixed columns for the short values; title, company and location share the rest
        2:1:1. Narrow screens drop the remote and type columns, and show the other boards of a
        job in its site cell ("linkedin +2") rather than in a column of their own."""
        fixed = [("salary", "Salary", 15), ("posted", "Posted", 10), ("site", "Site", 11)]
        if total >= WIDE:
            fixed = [("remote", "Remote", 6), ("type", "Type", 10), *fixed]
        if total >= ALSO_ON_WIDE:
            fixed.append(("also", "Also on", 16))
        # Each column has one cell of padding on both sides, plus room for a scrollbar.
        used = sum(w for _, _, w in fixed) + 2 * (len(fixed) + 3) + 2
        free = max(30, total - used)
        company = location = max(8, free // 4)
        title = max(12, free - company - location)
        shared = [("title", "Title", title), ("company", "Company", company)]
        return [*shared, ("location", "Location", location), *fixed]

    def _label(self, key: str, label: str) -> Text:
        if key != self.sort:
            return Text(label)
        return Text(f"{label} {'▼' if self.descending else '▲'}", "bold")

    def _set_columns(self, width: int) -> None:
        """(Re)build the columns for ``width``; rows are drawn again when the set changed."""
        table = self.query_one(DataTable)
        layout = self._column_widths(width)
        keys = tuple(key for key, _, _ in layout)
        if keys != self._columns:
            table.clear(columns=True)
            for key, label, column_width in layout:
                table.add_column(self._label(key, label), key=key, width=column_width)
            self._columns = keys
            self._fill()
            return
        for key, label, column_width in layout:
            column = table.columns.get(key)  # type: ignore[call-overload]
            if column is not None:
                column.width = column_width
                column.auto_width = False
                column.label = self._label(key, label)
        table.refresh(layout=True)

    def on_resize(self) -> None:
        if self._columns:
            self._set_columns(self.size.width)

    def _cells(self, row: dict[str, Any]) -> dict[str, Text]:
        posted = row.get("date_posted")
        return {
            "title": literal(row.get("title"), "bold", max_len=200),
            "company": literal(row.get("company"), max_len=100),
            "location": literal(location_text(row), max_len=100),
            "remote": remote_text(row),
            "type": literal(row.get("job_type") or "—", max_len=30),
            "salary": Text(salary_short(row)),
            "posted": Text(posted.isoformat() if posted else "—"),
            "site": literal(self._site_text(row), "dim"),
            "also": literal(", ".join(row.get("also_on") or []), "dim"),
        }

    def _site_text(self, row: dict[str, Any]) -> str:
        also = row.get("also_on") or []
        if not also or "also" in self._columns:
            return str(row.get("site") or "")
        return f"{row.get('site')} +{len(also)}"

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            cells = self._cells(row)
            table.add_row(*(cells[key] for key in self._columns), key=str(row["id"]))

    # --- searching ---

    def build_query(self) -> JobQuery:
        from engine.jobs.search import JobQuery

        def text(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Input).value.strip()
            return value or None

        site = self.query_one("#site", Select).value
        remote = self.query_one("#remote", Select).value
        days = text("days")
        return JobQuery(
            text=text("q"),
            country=text("country"),
            city=text("city"),
            site=site if isinstance(site, str) else None,
            remote={"yes": True, "no": False}.get(remote) if isinstance(remote, str) else None,
            days=int(days) if days and days.lstrip("-").isdigit() else None,
            limit=PAGE_SIZE + 1,
            offset=self.page * PAGE_SIZE,
            grouped=not self.all_postings,
            sort=self.sort,
            descending=self.descending,
        )

    def action_search(self, *, recount: bool = True) -> None:
        query = self.build_query()
        self._search(self.db, query)
        if recount:
            self.total = None
            self._counting = query
            self._count(self.db, query)

    @work(thread=True, exclusive=True, group="jobs-search", exit_on_error=False)
    def _search(self, db: Database, query: JobQuery) -> None:
        from engine.jobs.search import search_jobs

        rows = search_jobs(db, query)
        self.post_message(JobsFound(query, rows[:PAGE_SIZE], len(rows) > PAGE_SIZE))

    @work(thread=True, exclusive=True, group="jobs-count", exit_on_error=False)
    def _count(self, db: Database, query: JobQuery) -> None:
        from engine.jobs.search import count_jobs

        total, exact = count_jobs(db, query)
        self.post_message(JobsCounted(query, total, exact))

    def on_jobs_found(self, message: JobsFound) -> None:
        self.rows, self.has_more = message.rows, message.has_more
        self.query_in_effect = message.job_query
        self.searches += 1
        self._fill()
        self._show_pager()

    def on_jobs_counted(self, message: JobsCounted) -> None:
        if message.job_query is not self._counting:
            return  # counted for filters since replaced (a newer count follows)
        self.total, self.total_exact = message.total, message.exact
        self._show_pager()

    def total_text(self) -> str:
        if self.total is None:
            return "counting…"
        if self.total_exact:
            return f"{self.total:,} {'postings' if self.all_postings else 'jobs'}"
        return f"about {self.total:,} postings"  # the planner's estimate counts postings

    def _show_pager(self) -> None:
        first = self.page * PAGE_SIZE + 1
        if self.rows:
            span = f"rows {first}–{first + len(self.rows) - 1} of {self.total_text()}"
        else:
            span = "no matching jobs" if self.page == 0 else "no more rows"
        more = " · ] next" if self.has_more else ""
        back = " · [ previous" if self.page else ""
        unit = "postings" if self.all_postings else "jobs"
        self.query_one("#pager", Static).update(
            Text(
                f" {unit} · page {self.page + 1} · {span}{more}{back} · Enter: details"
                " · a: jobs/postings · s: sort"
            )
        )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.page = 0
        self.action_search()
        self.query_one(DataTable).focus()

    @on(Select.Changed)
    def _select_changed(self) -> None:
        if self.is_mounted:
            self.page = 0
            self.action_search()

    def action_page(self, delta: int) -> None:
        if delta > 0 and not self.has_more:
            return
        if delta < 0 and self.page == 0:
            return
        self.page += delta
        self.action_search(recount=False)

    def action_toggle_postings(self) -> None:
        self.all_postings = not self.all_postings
        self.page = 0
        self.action_search()

    def action_focus_search(self) -> None:
        self.query_one("#q", Input).focus()

    def action_clear_filters(self) -> None:
        for widget_id in ("q", "country", "city", "days"):
            self.query_one(f"#{widget_id}", Input).value = ""
        with self.prevent(Select.Changed):
            self.query_one("#site", Select).clear()
            self.query_one("#remote", Select).clear()
        self.sort, self.descending, self.page = "posted", True, 0
        self._set_columns(self.size.width)
        self.query_one(DataTable).focus()
        self.action_search()

    # --- sorting ---

    def sort_by(self, key: str) -> None:
        """Sort by ``key``; again by the same key reverses the order."""
        if key == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = key, key in FIRST_DESCENDING
        self.page = 0
        self._set_columns(self.size.width)
        self.action_search(recount=False)

    def action_cycle_sort(self) -> None:
        columns = [key for key in self._columns if key != "also"] or ["posted"]
        at = columns.index(self.sort) if self.sort in columns else -1
        self.sort_by(columns[(at + 1) % len(columns)])

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        # Not "also": a list of boards has no order.
        if event.column_key.value not in (None, "also"):
            self.sort_by(str(event.column_key.value))

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
            return
        self.dismiss()

    # --- detail, URL ---

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from tui.screens.job_detail import JobDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(JobDetailScreen(self.db, int(event.row_key.value)))

    def highlighted(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_open_url(self) -> None:
        from tui.screens.job_detail import open_posting

        row = self.highlighted()
        if row is None:
            self.app.notify("No job is highlighted.", markup=False)
            return
        open_posting(self.app, str(row.get("job_url") or ""))

    # --- the chart ---

    def action_toggle_stats(self) -> None:
        panel = self.query_one("#job-stats")
        panel.display = not panel.display
        if panel.display:
            self._load_stats(self.db, self.fixed_now)

    @work(thread=True, exclusive=True, group="jobs-stats", exit_on_error=False)
    def _load_stats(self, db: Database, now: datetime | None) -> None:
        from engine.jobs.stats import postings_per_day

        self.post_message(JobStatsLoaded(postings_per_day(db, STATS_DAYS, now=now)))

    def on_job_stats_loaded(self, message: JobStatsLoaded) -> None:
        self.stats = message.stats
        self._draw_stats("#stats-site", "New postings per day by site", message.stats.by_site)
        self._draw_stats("#stats-country", "by country", message.stats.by_country)

    def _draw_stats(self, widget_id: str, title: str, series: DailySeries) -> None:
        plot = self.query_one(widget_id, PlotextPlot)
        # Any: textual-plotext's stub of stacked_bar lacks plotext's labels and colour list.
        plt: Any = plot.plt
        plt.clear_figure()
        top = series.top(len(CHART_COLOURS))
        days = top.days
        xs = list(range(len(days)))
        if top.series:
            plt.stacked_bar(
                xs,
                list(top.series.values()),
                labels=[clean(k) for k in top.series],
                color=list(CHART_COLOURS[: len(top.series)]),
            )
            plt.title(f"{title} (UTC, {len(days)} days)")
        else:
            plt.title(f"{title}: none in {len(days)} days")
        plt.yticks(count_ticks(max(top.totals(), default=0)))
        step = max(1, len(days) // 4)
        ticks = list(range(len(days) - 1, -1, -step))[::-1]
        plt.xticks(ticks, [days[i].strftime("%m-%d") for i in ticks])
        plot.refresh()

    # --- export ---

    def action_export(self, fmt: str) -> None:
        from tui.screens.export_dialog import ExportChoice, ExportDialog

        settings = getattr(self.app, "settings", None)
        home = settings.home if settings is not None else Path.home()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        query = self.build_query()
        matching = f"the {self.total_text()} matching these filters"

        def chosen(choice: ExportChoice | None) -> None:
            if choice is None:
                return
            self.app.notify(f"Exporting to {choice.path}…", markup=False)
            self._export(self.db, query, choice.fmt, choice.path)

        self.app.push_screen(
            ExportDialog(Path(home) / "exports", f"jobs-{stamp}", fmt, matching), chosen
        )

    @work(thread=True, group="jobs-export", exit_on_error=False)
    def _export(self, db: Database, query: JobQuery, fmt: str, out: Path) -> None:
        from engine.jobs.export import export_jobs

        out.parent.mkdir(parents=True, exist_ok=True)
        count = export_jobs(db, query, fmt, out)
        self.post_message(ExportDone(out, count))

    def on_export_done(self, message: ExportDone) -> None:
        self.app.notify(
            f"Exported {message.count:,} jobs to {message.path}", markup=False, timeout=8
        )

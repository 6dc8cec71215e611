"""The jobs browser: full-text search with the CLI's filters, a paged table, export."""

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

from engine.db.handle import Database
from tui.messages import ExportDone, JobsFound
from tui.text import clean, literal
from tui.widgets.fleet_header import FleetHeader

if TYPE_CHECKING:
    # engine.jobs.search loads when the first search runs, not when the screen opens.
    from engine.jobs.search import JobQuery

PAGE_SIZE = 50


def location_text(row: dict[str, Any]) -> str:
    parts = [clean(row.get(k)) for k in ("city", "region", "country") if row.get(k)]
    text = ", ".join(parts)
    if row.get("is_remote"):
        text = f"{text} (remote)" if text else "remote"
    return text or clean(row.get("location_raw"))


class JobsScreen(Screen[None]):
    """Search what the nodes scraped; Enter opens a job."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the dashboard"),
        Binding("slash", "focus_search", "Search", tooltip="Type a full-text search"),
        Binding("pagedown,right_square_bracket", "page(1)", "Next page", tooltip="Next page"),
        Binding("pageup,left_square_bracket", "page(-1)", "Prev page", tooltip="Previous page"),
        Binding("e", "export('csv')", "Export CSV", tooltip="Export every matching job as CSV"),
        Binding("E", "export('jsonl')", "Export JSONL", show=False, tooltip="Export as JSONL"),
        Binding("f5", "search", "Refresh", show=False, tooltip="Run the search again"),
        Binding(
            "a",
            "toggle_postings",
            "All postings",
            tooltip="One row per job (its boards merged) or one row per posting",
        ),
    ]

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.page = 0
        self.rows: list[dict[str, Any]] = []
        self.has_more = False
        self.searches = 0
        self.query_in_effect: JobQuery | None = None
        # One row per job (postings of one job on several boards merged), or every posting.
        self.all_postings = False

    def compose(self) -> ComposeResult:
        from engine.fleet.spec import site_choices

        yield FleetHeader()
        with Horizontal(id="job-filters"):
            yield Input(placeholder="/ search title, company, description", id="q", compact=True)
            yield Input(placeholder="country", id="country", compact=True)
            yield Input(placeholder="city", id="city", compact=True)
            yield Select[str](
                [(s, s) for s in site_choices()], prompt="site", id="site", compact=True
            )
            yield Select[str]([("remote only", "yes")], prompt="remote?", id="remote", compact=True)
            yield Input(placeholder="days", id="days", type="integer", compact=True)
        table: DataTable[Any] = DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="pager")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in self._column_widths(self.size.width):
            table.add_column(label, key=key, width=width)
        table.focus()
        self.action_search()

    @staticmethod
    def _column_widths(total: int) -> list[tuple[str, str, int]]:
        """Fixed posted/site columns, the boards a job is also on; the rest shared 2:1:1 by
        title, company and location."""
        # Each column has one cell of padding on both sides, plus room for a scrollbar.
        free = max(30, total - 2 * 6 - 2 - 10 - 10 - 16)
        company = location = max(8, free // 4)
        title = max(12, free - company - location)
        return [
            ("title", "Title", title),
            ("company", "Company", company),
            ("location", "Location", location),
            ("posted", "Posted", 10),
            ("site", "Site", 10),
            ("also", "Also on", 16),
        ]

    def on_resize(self) -> None:
        table = self.query_one(DataTable)
        if not table.columns:
            return
        for key, _, width in self._column_widths(self.size.width):
            column = table.columns.get(key)  # type: ignore[call-overload]
            if column is not None:
                column.width = width
                column.auto_width = False
        table.refresh(layout=True)

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
            remote=True if remote == "yes" else None,
            days=int(days) if days and days.lstrip("-").isdigit() else None,
            limit=PAGE_SIZE + 1,
            offset=self.page * PAGE_SIZE,
            grouped=not self.all_postings,
        )

    def action_search(self) -> None:
        self._search(self.db, self.build_query())

    @work(thread=True, exclusive=True, group="jobs-search", exit_on_error=False)
    def _search(self, db: Database, query: JobQuery) -> None:
        from engine.jobs.search import search_jobs

        rows = search_jobs(db, query)
        self.post_message(JobsFound(query, rows[:PAGE_SIZE], len(rows) > PAGE_SIZE))

    def on_jobs_found(self, message: JobsFound) -> None:
        self.rows, self.has_more = message.rows, message.has_more
        self.query_in_effect = message.job_query
        self.searches += 1
        table = self.query_one(DataTable)
        table.clear()
        for row in message.rows:
            posted = row.get("date_posted")
            table.add_row(
                literal(row.get("title"), "bold", max_len=200),
                literal(row.get("company"), max_len=100),
                literal(location_text(row), max_len=100),
                Text(posted.isoformat() if posted else "—"),
                literal(row.get("site"), "dim"),
                literal(", ".join(row.get("also_on") or []), "dim"),
                key=str(row["id"]),
            )
        first = self.page * PAGE_SIZE + 1
        if message.rows:
            span = f"rows {first}–{first + len(message.rows) - 1}"
        else:
            span = "no matching jobs" if self.page == 0 else "no more rows"
        more = " · ] next page" if self.has_more else ""
        back = " · [ previous" if self.page else ""
        unit = "postings" if self.all_postings else "jobs"
        self.query_one("#pager", Static).update(
            Text(
                f" {unit} · page {self.page + 1} · {span}{more}{back} · Enter: details"
                " · a: jobs/postings · e: export"
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
        self.action_search()

    def action_toggle_postings(self) -> None:
        self.all_postings = not self.all_postings
        self.page = 0
        self.action_search()

    def action_focus_search(self) -> None:
        self.query_one("#q", Input).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
            return
        self.dismiss()

    # --- detail ---

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from tui.screens.job_detail import JobDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(JobDetailScreen(self.db, int(event.row_key.value)))

    # --- export ---

    def action_export(self, fmt: str) -> None:
        settings = getattr(self.app, "settings", None)
        home = settings.home if settings is not None else Path.home()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(home) / "exports" / f"jobs-{stamp}.{fmt}"
        self.app.notify(f"Exporting to {out}…", markup=False)
        self._export(self.db, self.build_query(), fmt, out)

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

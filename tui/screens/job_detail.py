"""One job: its fields, its URL, and the description rendered as Markdown.

Descriptions are untrusted. They are rendered as Markdown (that is what jobspy produces), but
links are never followed on click (only an http(s) URL is opened, and only by an explicit key),
control characters are removed, and very long descriptions are cut so a hostile posting cannot
make the screen unusable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from engine.db.handle import Database
from tui.messages import JobLoaded
from tui.text import clean, literal

MAX_DESCRIPTION = 30_000


def safe_markdown(text: object) -> str:
    body = clean(text, one_line=False)
    if len(body) > MAX_DESCRIPTION:
        body = body[:MAX_DESCRIPTION] + "\n\n… (description cut)"
    return body


def browser_missing(environ: Mapping[str, str] | None = None) -> str | None:
    """Why no web browser can open here (an SSH session, no display), or None."""
    env = os.environ if environ is None else environ
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"):
        return "SSH session"
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return "no graphical display"
    return None


def open_posting(app: App[Any], url: str) -> str:
    """Open a posting's URL where a browser can show it, else copy it (OSC 52) and show it;
    returns what was done, in words (also notified)."""
    if not (url.startswith(("https://", "http://")) and clean(url) == url):
        said = "This job has no web address that can be opened."
    elif app.is_web:
        app.open_url(url)  # textual-serve: the browser tab on the other end opens it
        said = f"Opened in your browser: {url}"
    elif (why := browser_missing()) is not None:
        app.copy_to_clipboard(url)
        said = (
            f"No browser here ({why}): the URL was copied to your clipboard (OSC 52, if your "
            f"terminal allows it). URL: {url}"
        )
    else:
        app.open_url(url)
        said = f"Asked the web browser to open {url}"
    app.notify(said, markup=False, timeout=12)
    return said


def salary_text(job: dict[str, Any]) -> str:
    low, high = job.get("salary_min"), job.get("salary_max")
    if low is None and high is None:
        return "—"
    span = " – ".join(f"{v:,.0f}" for v in (low, high) if v is not None)
    units = ("salary_currency", "salary_interval")
    extra = " ".join(clean(job.get(k)) for k in units if job.get(k))
    return f"{span} {extra}".strip()


class JobDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", tooltip="Back to the results"),
        Binding(
            "o",
            "open_url",
            "Open URL",
            tooltip="Open the posting in a web browser (over SSH: copy and show the URL)",
        ),
    ]

    def __init__(self, db: Database, job_id: int) -> None:
        super().__init__()
        self.db = db
        self.job_id = job_id
        self.job: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="job-detail"):
            yield Static("Loading…", id="job-fields")
            yield Markdown("", id="job-description", open_links=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#job-detail").focus()
        self._load(self.db, self.job_id)

    @work(thread=True, exclusive=True, group="job-detail", exit_on_error=False)
    def _load(self, db: Database, job_id: int) -> None:
        from engine.jobs.search import get_job, group_postings

        job = get_job(db, job_id)
        if job is not None:
            job["group_postings"] = group_postings(db, job["group_id"])
        self.post_message(JobLoaded(job))

    async def on_job_loaded(self, message: JobLoaded) -> None:
        job = self.job = message.job
        fields = self.query_one("#job-fields", Static)
        if job is None:
            fields.update(Text("This job no longer exists."))
            return
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        place = ", ".join(clean(job.get(k)) for k in ("city", "region", "country") if job.get(k))
        posted = job.get("date_posted")
        rows = [
            ("Title", literal(job.get("title"), "bold")),
            ("Company", literal(job.get("company"))),
            ("Location", literal(place or job.get("location_raw"))),
            ("Remote", Text("yes" if job.get("is_remote") else "no")),
            ("Posted", Text(posted.isoformat() if posted else "—")),
            ("Site", literal(job.get("site"))),
            ("Type", literal(job.get("job_type") or "—")),
            ("Salary", Text(salary_text(job))),
            ("URL", literal(job.get("job_url"), "underline")),
        ]
        others = [p for p in job.get("group_postings") or [] if p["id"] != job.get("id")]
        if others:
            rows.append(("Also on", Text(f"{len(others)} other posting(s) of this job:")))
            for posting in others:
                when = posting.get("date_posted") or posting.get("posted_or_seen")
                line = Text.assemble(
                    literal(posting.get("site"), "bold"),
                    f"  {when.isoformat() if when else '—'}  ",
                    literal(posting.get("job_url"), "underline"),
                )
                rows.append(("", line))
        for label, value in rows:
            table.add_row(label, value)
        fields.update(table)
        description = safe_markdown(job.get("description")) or "*No description.*"
        await self.query_one(Markdown).update(description)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Links inside an untrusted description are shown, never followed.
        event.stop()
        self.app.notify(f"Link not opened: {clean(event.href, max_len=200)}", markup=False)

    def action_open_url(self) -> None:
        open_posting(self.app, str((self.job or {}).get("job_url") or ""))

    def action_back(self) -> None:
        self.dismiss()

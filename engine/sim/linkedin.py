"""LinkedIn's guest pages, as python-jobspy's LinkedIn scraper reads them.

jobspy 1.4.1 asks ``/jobs-guest/jobs/api/seeMoreJobPostings/search`` with keywords, location,
distance, start (0, 10, 20, …) and optionally f_TPR=r<seconds>, f_AL, f_C; it reads cards of class
``base-search-card`` (``data-entity-urn``, ``h3.base-search-card__title``,
``h4.base-search-card__subtitle a``, ``span.job-search-card__location``, ``time[datetime]``), stops
on a page of fewer than 10 cards or on the exact empty page, and with fetch_description opens
``/jobs/view/<id>`` for ``div.show-more-less-html__markup``, ``div.compensation__salary``,
``img.artdeco-entity-image`` and the criteria list.
"""

from __future__ import annotations

import re
from datetime import date
from html import escape
from importlib import resources
from string import Template

from engine.sim import hostile, places
from engine.sim.board import Board, Client
from engine.sim.corpus import EMPLOYMENT_TYPE_LABEL, Job
from engine.sim.http import Request, Response

JOBS_PER_PAGE = 10
PAGE_OVERLAP = 2  # each later page repeats the last cards of the one before, as LinkedIn does
MAX_START = 1000
EMPTY_PAGE = "<!DOCTYPE html>\n\n<!---->"
SEARCH_PATH = "/jobs-guest/jobs/api/seeMoreJobPostings/search"
BASE = "https://www.linkedin.com"
INTERVAL_SUFFIX = {"YEAR": "/yr", "MONTH": "/mo", "HOUR": "/hr"}

CARD = Template((resources.files("engine.sim") / "templates/linkedin_card.html").read_text())
JOB_PAGE = Template((resources.files("engine.sim") / "templates/linkedin_job.html").read_text())

_VIEW = re.compile(r"^/jobs/view/(?:[^/]*-)?(\d{6,})/?$")


def relative_age(job: Job) -> str:
    if job.reveal_cycle or job.days_ago == 0:
        hours = 1 + job.posted_minute % 23
        return f"{hours} hour{'s' if hours > 1 else ''} ago"
    days = job.days_ago
    if days < 7:
        return f"{days} day{'s' if days > 1 else ''} ago"
    if days < 30:
        weeks = days // 7
        return f"{weeks} week{'s' if weeks > 1 else ''} ago"
    return "1 month ago"


class LinkedInBoard(Board):
    name = "linkedin"
    hosts = ("www.linkedin.com", "linkedin.com")
    host_suffixes = (".linkedin.com",)

    def route(self, request: Request) -> str:
        if _VIEW.match(request.path):
            return "/jobs/view/{id}"
        return request.path

    def blocked(self, status: int) -> Response:
        if status == 999:
            # LinkedIn's bot wall: a tiny page that only redirects in a browser
            body = (
                "<html><head><script>window.onload=function(){window.location.href="
                '"https://www.linkedin.com/authwall"}</script></head></html>'
            )
            return Response.html(999, body)
        return Response.html(
            status,
            f"<!DOCTYPE html><html><head><title>LinkedIn</title></head><body>"
            f"<h1>{'Too Many Requests' if status == 429 else 'Forbidden'}</h1></body></html>",
        )

    def page(self, request: Request, client: Client, mode: str) -> Response:
        path = request.path
        if path == SEARCH_PATH and request.method == "GET":
            return self._search(request, mode)
        match = _VIEW.match(path)
        if match and request.method == "GET":
            return self._job_view(int(match.group(1)), mode)
        if path.startswith("/jobs/search") or path == "/":
            return Response.html(200, "<!DOCTYPE html><html><body>Jobs</body></html>")
        return Response.html(404, "<!DOCTYPE html><html><body>Page not found</body></html>")

    # -- search -------------------------------------------------------------------------------

    def results(self, query: dict[str, str], cycle: int = 0) -> list[Job]:
        """The ranked results of a search (the page's query parameters), before pagination."""
        hours_old = None
        tpr = query.get("f_TPR", "")
        if tpr.startswith("r") and tpr[1:].isdigit():
            hours_old = max(1, int(tpr[1:]) // 3600)
        return self.corpus.search(
            "linkedin",
            query.get("keywords"),
            places.resolve(query.get("location")),
            cycle=cycle,
            hours_old=hours_old,
        )

    @staticmethod
    def window(results: list[Job], start: int) -> list[Job]:
        if start >= MAX_START:
            return []
        if start == 0:
            return results[:JOBS_PER_PAGE]
        first = max(0, start - PAGE_OVERLAP)
        return results[first : first + JOBS_PER_PAGE]

    def _search(self, request: Request, mode: str) -> Response:
        query = request.query
        try:
            start = max(0, int(query.get("start", "0") or 0))
        except ValueError:
            return Response.html(400, "<!DOCTYPE html><html><body>Bad request</body></html>")
        key = tuple(
            query.get(name) for name in ("keywords", "location", "distance", "f_TPR", "f_AL")
        )
        cycle = self.cycle(key, first_page=start == 0)
        jobs = self.window(self.results(query, cycle), start)
        if mode == "empty" or not jobs:
            return Response.html(200, EMPTY_PAGE)
        today = self.corpus.today
        cards = []
        for position, job in enumerate(jobs, start):
            hostile_mode = mode.startswith("hostile")
            bad = hostile.variant(position, mode == "hostile") if hostile_mode else None
            cards.append(self._card(job, position, today, bad))
        if mode == "malformed":
            return Response.html(200, self._malformed(cards))
        return Response.html(200, "\n".join(cards))

    @staticmethod
    def _malformed(cards: list[str]) -> str:
        broken = []
        for i, card in enumerate(cards):
            if i % 3 == 0:
                card = re.sub(r"<h3 .*?</h3>", "", card, flags=re.S)
            elif i % 3 == 2:
                card = re.sub(
                    r'<span class="job-search-card__location">.*?</span>', "", card, flags=re.S
                )
            broken.append(card)
        text = "\n".join(broken)
        return text[: int(len(text) * 0.8)]  # and the page stops mid-tag

    def _card(self, job: Job, position: int, today: date, bad: hostile.Hostile | None) -> str:
        title, company, location = job.title, job.linkedin_company(), job.linkedin_location()
        posted = job.posted_on(today).isoformat()
        if bad:
            title = bad.title if bad.title is not None else title
            company = bad.company if bad.company is not None else company
            if bad.city:
                location = f"{bad.city}, {job.country.name}"
            if bad.bad_date:
                posted = "NaN"
        new = "--new" if (job.reveal_cycle or job.days_ago == 0) else ""
        salary = ""
        if job.salary and job.salary.on_linkedin:
            symbol = job.country.symbol
            salary = (
                '\n            <span class="job-search-card__salary-info">\n'
                f"              {symbol}{job.salary.low:,.0f} - {symbol}{job.salary.high:,.0f}\n"
                "            </span>"
            )
        job_id = job.linkedin_id
        return CARD.substitute(
            job_id=job_id,
            position=position,
            row=position + 1,
            page_position=position % JOBS_PER_PAGE + 1,
            page_num=position // JOBS_PER_PAGE,
            reference=f"sim{job.seed}",
            tracking=f"t{job_id % 99991}",
            slug=places.norm(job.title).replace(" ", "-")[:60],
            title=escape(title),
            company=escape(company),
            company_slug=job.company_slug,
            location=escape(location),
            salary=salary,
            new=new,
            posted=posted,
            age=relative_age(job),
        )

    # -- job page -----------------------------------------------------------------------------

    def _job_view(self, job_id: int, mode: str) -> Response:
        job = self.corpus.job_by_linkedin_id(job_id)
        if job is None:
            # A closed or unknown posting: LinkedIn sends the visitor to the search page.
            return Response(
                302,
                headers=[("Location", f"{BASE}/jobs/search?trk=expired_jd_redirect")],
                content_type="text/html; charset=utf-8",
            )
        if mode == "empty":
            return Response.html(200, "<!DOCTYPE html><html><body></body></html>")
        surrogates = mode == "hostile"
        bad = hostile.variant(job.index, surrogates) if mode.startswith("hostile") else None
        description = self.corpus.description_html(job)
        title, company = job.title, job.linkedin_company()
        if bad:
            title = bad.title if bad.title is not None else title
            company = bad.company if bad.company is not None else company
            description = (
                hostile.big_description(description, surrogates)
                if bad.big_description
                else (f"<p>{title} at {company}</p>{description}")
            )
        html = self._job_html(job, title, company, description, bad is not None)
        if mode == "malformed":
            html = html.replace('class="show-more-less-html__markup', 'class="x', 1)
            html = html[: len(html) * 2 // 3]
        return Response.html(200, html)

    def _job_html(self, job: Job, title: str, company: str, description: str, raw: bool) -> str:
        def text(value: str) -> str:
            # Hostile pages carry their payload unescaped, as a careless employer's HTML would.
            return value if raw else escape(value)

        pay = ""
        if job.salary and job.salary.on_linkedin:
            symbol, suffix = job.country.symbol, INTERVAL_SUFFIX[job.salary.interval]
            pay = f"""
      <section class="compensation">
        <h2 class="compensation__heading">Base pay range</h2>
        <div class="salary compensation__salary">
          {symbol}{job.salary.low:,.2f}{suffix} - {symbol}{job.salary.high:,.2f}{suffix}
        </div>
      </section>"""
        criteria = "".join(
            f"""
          <li class="description__job-criteria-item">
            <h3 class="description__job-criteria-subheader">
              {heading}
            </h3>
            <span class="description__job-criteria-text description__job-criteria-text--criteria">
              {escape(value)}
            </span>
          </li>"""
            for heading, value in (
                ("Seniority level", job.seniority_label),
                ("Employment type", EMPLOYMENT_TYPE_LABEL[job.job_type]),
                ("Job function", job.role.function),
                ("Industries", job.role.industry),
            )
        )
        return JOB_PAGE.substitute(
            job_id=job.linkedin_id,
            title=text(title),
            company=text(company),
            company_slug=job.company_slug,
            location=escape(job.linkedin_location()),
            age=relative_age(job),
            pay=pay,
            description=description,
            criteria=criteria,
        )

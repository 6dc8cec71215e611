"""Indeed's mobile GraphQL API, as python-jobspy's Indeed scraper calls it.

jobspy 1.4.1 POSTs ``{"query": "query GetJobData { jobSearch(what: ..., location: {where: ...,
radius: 50, radiusUnit: MILES}, limit: 100, cursor: ..., sort: RELEVANCE, filters: [...])
{...} }"}`` to ``https://apis.indeed.com/graphql`` with the headers ``indeed-api-key``,
``indeed-co`` (the country code) and ``indeed-locale``. It reads
``data.jobSearch.pageInfo.nextCursor`` and ``data.jobSearch.results[].job``, and stops when the
cursor is null or a page brings nothing new. The query is read with regular expressions for the
parts jobspy writes; this is no GraphQL server.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from typing import Any

from engine.sim import hostile, places
from engine.sim.board import Board, Client
from engine.sim.corpus import Job, stable_int
from engine.sim.http import Request, Response

API_PATH = "/graphql"
PAGE_OVERLAP = 5  # a later page starts with the last results of the one before
MAX_RESULTS = 1000
DEFAULT_LIMIT = 100

JOB_TYPE_KEYS = {
    "fulltime": "CF3CP",
    "parttime": "75GKK",
    "contract": "NJXCK",
    "internship": "VDTG7",
    "temporary": "4HKF7",
}
KEY_JOB_TYPES = {
    "CF3CP": "fulltime",
    "75GKK": "parttime",
    "NJXCK": "contract",
    "T9BXE": "contract",
    "T65DZ": "contract",
    "VDTG7": "internship",
    "4HKF7": "temporary",
    "CJWTS": "temporary",
}
REMOTE_KEY, HYBRID_KEY = "DSQF7", "PAXZC"
OTHER_KEYS = ("X62BT", "FVKX2", "EVPJU", "3JD6U", "WZ9TD", "9VCRM")  # benefits, shifts, skills

_STRING = r'"(?:[^"\\]|\\.)*"'
_WHAT = re.compile(rf"\bwhat:\s*({_STRING})")
_WHERE = re.compile(rf"\bwhere:\s*({_STRING})")
_LIMIT = re.compile(r"\blimit:\s*(\d+)")
_CURSOR = re.compile(r'\bcursor:\s*"([^"]*)"')
_HOURS = re.compile(r'field:\s*"dateOnIndeed",\s*start:\s*"(\d+)h"')
_ATTRIBUTES = re.compile(
    r'field:\s*"attributes",\s*keys:\s*\[([^\]]*)\](\s*,\s*match:\s*MUST_NOT)?'
)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"sim:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, offset = text.split(":")
        return int(offset) if tag == "sim" and int(offset) >= 0 else None
    except (ValueError, UnicodeDecodeError):
        return None


def graphql_error(message: str, status: int = 200) -> Response:
    return Response.json(status, {"errors": [{"message": message}], "data": None})


class IndeedBoard(Board):
    name = "indeed"
    hosts = ("apis.indeed.com", "indeed.com")
    host_suffixes = (".indeed.com",)

    def blocked(self, status: int) -> Response:
        if status == 403:
            # What a blocked client really gets: Cloudflare's challenge page, not JSON.
            return Response.html(
                403,
                '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
                '</head><body><div id="challenge-body-text">apis.indeed.com needs to review '
                "the security of your connection before proceeding.</div></body></html>",
            )
        return graphql_error("Too many requests", status)

    def page(self, request: Request, client: Client, mode: str) -> Response:
        if request.path != API_PATH:
            return Response.html(404, "<!DOCTYPE html><html><body>Not found</body></html>")
        if request.method != "POST":
            return graphql_error("Only POST is supported", 405)
        if not request.headers.get("indeed-api-key"):
            return graphql_error("Missing API key", 401)
        try:
            query = json.loads(request.body)["query"]
            if not isinstance(query, str) or "jobSearch" not in query:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return graphql_error("Invalid GraphQL request", 400)
        country = request.headers.get("indeed-co", "US").upper()
        search = self.read_query(query)
        offset = 0
        if search["cursor"] is not None:
            decoded = decode_cursor(search["cursor"])
            if decoded is None:
                return graphql_error("Invalid cursor")
            offset = decoded
        key = (country, search["what"], search["where"], search["hours"], search["types"])
        cycle = self.cycle(key, first_page=search["cursor"] is None)
        results = self.results(
            country,
            what=search["what"],
            where=search["where"],
            hours=search["hours"],
            types=search["types"],
            remote_only=search["remote_only"],
            exclude_hybrid=search["exclude_hybrid"],
            cycle=cycle,
        )
        limit = min(max(1, search["limit"]), 100)
        jobs = [] if mode == "empty" else results[offset : offset + limit]
        end = offset + limit
        next_cursor = (
            encode_cursor(end - min(PAGE_OVERLAP, limit // 2))
            if jobs and end < len(results) and end < MAX_RESULTS
            else None
        )
        today = self.corpus.today
        items = []
        for position, job in enumerate(jobs, offset):
            bad = (
                hostile.variant(position, surrogates=mode == "hostile")
                if mode.startswith("hostile")
                else None
            )
            items.append(
                {
                    "trackingKey": f"{stable_int('tk', job.uid):x}",
                    "job": self.job_json(job, today, bad, surrogates=mode == "hostile"),
                }
            )
        payload = {
            "data": {"jobSearch": {"pageInfo": {"nextCursor": next_cursor}, "results": items}}
        }
        # allow_nan: the hostile page carries NaN salaries, which Python's json accepts
        body = json.dumps(payload, allow_nan=True).encode()
        if mode == "malformed":
            body = body[: len(body) * 2 // 3]
        return Response(200, body, "application/json; charset=utf-8")

    @staticmethod
    def read_query(query: str) -> dict[str, Any]:
        what = _WHAT.search(query)
        where = _WHERE.search(query)
        limit = _LIMIT.search(query)
        cursor = _CURSOR.search(query)
        hours = _HOURS.search(query)
        types: set[str] = set()
        remote_only = exclude_hybrid = False
        for keys_text, must_not in _ATTRIBUTES.findall(query):
            keys = re.findall(r'"([^"]+)"', keys_text)
            for k in keys:
                if k == REMOTE_KEY and not must_not:
                    remote_only = True
                elif k == HYBRID_KEY and must_not:
                    exclude_hybrid = True
                elif k in KEY_JOB_TYPES and not must_not:
                    types.add(KEY_JOB_TYPES[k])
        return {
            "what": json.loads(what.group(1)) if what else None,
            "where": json.loads(where.group(1)) if where else None,
            "limit": int(limit.group(1)) if limit else DEFAULT_LIMIT,
            "cursor": cursor.group(1) if cursor else None,
            "hours": int(hours.group(1)) if hours else None,
            "types": tuple(sorted(types)),
            "remote_only": remote_only,
            "exclude_hybrid": exclude_hybrid,
        }

    def results(
        self,
        country: str,
        what: str | None = None,
        where: str | None = None,
        hours: int | None = None,
        types: tuple[str, ...] = (),
        remote_only: bool = False,
        exclude_hybrid: bool = False,
        cycle: int = 0,
    ) -> list[Job]:
        """The ranked results of a search in one country (before pagination)."""
        place = places.resolve(where, default_country=country)
        if not place.countries:
            place = places.Place(countries=(country,), remote=place.remote)
        return self.corpus.search(
            "indeed",
            what,
            place,
            cycle=cycle,
            hours_old=hours,
            job_types=types,
            remote_only=remote_only,
            exclude_hybrid=exclude_hybrid,
        )

    def job_json(
        self,
        job: Job,
        today: date,
        bad: hostile.Hostile | None = None,
        surrogates: bool = True,
    ) -> dict[str, Any]:
        title, company = job.indeed_title(), job.company
        city = (
            None
            if job.remote
            else (job.literal_place or (job.city.indeed_name if job.city else None))
        )
        admin1 = None if job.remote or job.city is None else job.city.region_code
        description = self.corpus.description_html(job)
        if bad:
            title = bad.title if bad.title is not None else title
            company = bad.company if bad.company is not None else company
            city = bad.city if bad.city is not None else city
            if bad.big_description:
                description = hostile.big_description(description, surrogates)
        attributes = [{"key": JOB_TYPE_KEYS[job.job_type], "label": job.job_type}]
        if job.remote:
            attributes.append({"key": REMOTE_KEY, "label": "Remote"})
        if job.hybrid:
            attributes.append({"key": HYBRID_KEY, "label": "Hybrid work"})
        extra = stable_int(job.uid, "attributes")
        attributes += [
            {"key": k, "label": "Other"} for i, k in enumerate(OTHER_KEYS) if extra >> i & 1
        ]
        view_url: str | None = None
        if job.external_apply == 0:
            view_url = f"https://www.indeed.com/viewjob?jk={job.indeed_key}"
        elif job.external_apply == 1:
            view_url = f"https://careers.{job.company_slug}.example.com/jobs/{job.index}"
        return {
            "key": job.indeed_key,
            "title": title,
            "sourceEmployerName": company,
            "dateOnIndeed": job.posted_at_ms(today),
            "description": {"html": description},
            "location": {"countryCode": job.country.code, "admin1Code": admin1, "city": city},
            "compensation": self._compensation(job, bad is not None and bad.nan_salary),
            "attributes": attributes,
            "employer": {
                "relativeCompanyPageUrl": f"/cmp/{job.company_slug.title()}",
                "name": company,
                "ugcStats": {
                    "ratings": {"overallRating": {"value": job.rating, "count": job.reviews}}
                },
                "dossier": {
                    "employerDetails": {
                        "addresses": [self._address(job)],
                        "industry": job.role.industry.upper().replace(" ", "_").replace(",", ""),
                        "employeesLocalizedLabel": (
                            "11 to 50",
                            "201 to 500",
                            "1,001 to 5,000",
                            "10,000+",
                        )[job.reviews % 4],
                        "revenueLocalizedLabel": (
                            "$5M to $25M (USD)",
                            "$100M to $500M (USD)",
                            "more than $10B (USD)",
                        )[job.reviews % 3],
                        "briefDescription": f"{job.company}: {job.role.industry.lower()}.",
                    },
                    "images": {
                        "squareLogoUrl": f"https://d2q79iu7y748jz.cloudfront.net/s/_squarelogo/256x256/sim-{job.company_slug}.png"
                    },
                    "links": {"corporateWebsite": f"https://www.{job.company_slug}.example.com"},
                },
            },
            "recruit": {"viewJobUrl": view_url},
        }

    @staticmethod
    def _address(job: Job) -> str:
        place = job.literal_place or (job.city.indeed_name if job.city else job.country.name)
        return f"{100 + job.index % 900} Market Street, {place}"

    @staticmethod
    def _compensation(job: Job, nan: bool) -> dict[str, Any]:
        pay = job.salary
        if pay is None:
            return {"estimated": None, "baseSalary": None, "currencyCode": None}
        low = float("nan") if nan else pay.low
        if job.index % 7 == 0:
            value_range: dict[str, Any] = {"min": low}  # AtLeast
        elif job.index % 11 == 0 and pay.interval == "HOUR":
            value_range = {"value": low}  # Exactly
        else:
            value_range = {"min": low, "max": pay.high}
        salary = {"unitOfWork": pay.interval, "range": value_range}
        if pay.estimated:
            return {
                "estimated": {"currencyCode": pay.currency, "baseSalary": salary},
                "baseSalary": None,
                "currencyCode": None,
            }
        return {"estimated": None, "baseSalary": salary, "currencyCode": pay.currency}

"""A deterministic, lazily generated corpus of job postings shared by the simulated boards.

Every posting is a pure function of (seed, pool, index): pools (one per country, and one per
unknown place someone searched for) are built on first use and cached, descriptions are rendered
on demand and cached, and search results are cached per query. A page is therefore served in
milliseconds, and the same seed gives the same jobs in every run.

Boards re-run the same searches forever, so the corpus models time the way a board does: each
time a query's first page is asked for again a new *cycle* starts, and a few postings that were
"not yet published" appear at the top, dated today. Everything else comes back again — duplicates
are normal, as on the real boards.

One job, several postings, as on the real boards (for the grouping at ingest to find): every
posting is on both boards, each writing it its own way (LinkedIn often drops the employer's legal
form, Indeed abbreviates "Senior" and appends the city to some titles; the locations differ as
before); a few postings are reposts of an earlier one under a new id, days later, and a few are
an agency's copy of an earlier one (the agency as employer, "on behalf of our client ..." and the
client's text). All of it is a function of the seed.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from engine.sim import places
from engine.sim.places import City, Country, Place
from engine.sim.roles import (
    BENEFITS,
    COMPANY_BLURBS,
    COMPANY_KINDS,
    COMPANY_STEMS,
    EXTRA_SECTIONS,
    NICE_TO_HAVE,
    ROLES,
    SENIORITY,
    Role,
)

KNOWN_POOL_SIZE = 800
LITERAL_POOL_SIZE = 90
LITERAL_POOL_BASE = 1000
LINKEDIN_ID_BASE = 4_000_000_000
_ID_SPACE = 1_000_000
_ID_MULT = 7919  # prime, so the index scrambling below is a bijection modulo _ID_SPACE
_ID_MULT_INV = pow(_ID_MULT, -1, _ID_SPACE)

# Reposts and agency copies, as shares of a pool's postings (appended after them).
REPOST_SHARE = 0.06
AGENCY_SHARE = 0.04
AGENCIES = ("Hays", "Randstad", "Robert Half", "Northbridge Recruitment", "Talentwise Staffing")

JOB_TYPES = ("fulltime", "parttime", "contract", "temporary", "internship")
EMPLOYMENT_TYPE_LABEL = {
    "fulltime": "Full-time",
    "parttime": "Part-time",
    "contract": "Contract",
    "temporary": "Temporary",
    "internship": "Internship",
}


def stable_int(*parts: object) -> int:
    """A 64-bit number from the parts, the same in every process (unlike hash())."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(frozen=True)
class Salary:
    interval: str  # Indeed's unitOfWork: YEAR, MONTH, HOUR
    low: float
    high: float
    currency: str
    estimated: bool  # Indeed's own estimate rather than the employer's figure
    on_linkedin: bool  # LinkedIn shows pay only for some postings


@dataclass(frozen=True, eq=False)  # one object per posting: identity is equality
class Job:
    seed: int
    pool_no: int
    index: int
    country: Country
    city: City | None
    literal_place: str
    role: Role
    title: str
    seniority_label: str
    company: str
    company_slug: str
    job_type: str
    remote: bool
    hybrid: bool
    days_ago: int
    posted_minute: int  # minute of the day it was posted, for Indeed's epoch milliseconds
    reveal_cycle: int
    salary: Salary | None
    use_metro: bool
    external_apply: int  # 0: apply on Indeed, 1: employer site, 2: not given
    rating: float
    reviews: int
    # Whose text this posting carries: its own uid, or the original's for a repost or an agency's
    # copy; and the employer that text names (the agency's client for a copy).
    origin: str = ""
    employer: str = ""
    agency: str = ""  # the agency posting a copy, else ""

    @property
    def uid(self) -> str:
        return f"{self.pool_no}:{self.index}"

    @property
    def linkedin_id(self) -> int:
        scrambled = (self.index * _ID_MULT + self.seed * 131) % _ID_SPACE
        return LINKEDIN_ID_BASE + self.pool_no * _ID_SPACE + scrambled

    @property
    def indeed_key(self) -> str:
        return f"{stable_int(self.seed, 'indeed', self.uid):016x}"

    @cached_property
    def search_words(self) -> frozenset[str]:
        text = " ".join(
            (self.title, self.role.title, *self.role.keywords, *self.role.skills, self.company)
        )
        return frozenset(places.norm(text).split())

    def posted_on(self, today: date) -> date:
        # A posting that appeared in a later cycle is new on the day it appeared.
        return today - timedelta(days=0 if self.reveal_cycle else self.days_ago)

    def posted_at_ms(self, today: date) -> int:
        day = self.posted_on(today)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=self.posted_minute
        )
        return int(moment.timestamp() * 1000)

    def _variant(self, board: str, what: str, share: float) -> bool:
        return stable_int(self.seed, board, what, self.uid) % 1000 < share * 1000

    def linkedin_company(self) -> str:
        """LinkedIn shows the company page's name: often without the legal form."""
        suffixes = self.country.company_suffixes
        if self.agency or not self._variant("linkedin", "company", 0.5):
            return self.company
        for suffix in sorted((s for s in suffixes if s), key=len, reverse=True):
            if self.company.endswith(f" {suffix}"):
                return self.company[: -len(suffix) - 1]
        return self.company

    def indeed_title(self) -> str:
        """Indeed's title as employers type it there: "Sr." for some, " - City" after some."""
        title = self.title
        if title.startswith("Senior ") and self._variant("indeed", "sr", 0.35):
            title = "Sr. " + title[len("Senior ") :]
        if self.city is not None and not self.remote and self._variant("indeed", "city", 0.25):
            title = f"{title} - {self.city.name}"
        return title

    def linkedin_location(self) -> str:
        """As LinkedIn's card writes it: "City, ST", "City, Region, Country", an area, a country."""
        if self.literal_place:
            if self.country.code == "US":
                return self.literal_place
            return f"{self.literal_place}, {self.country.name}"
        if self.remote or self.city is None:
            return self.country.name
        if self.use_metro and self.city.metro:
            if self.country.code == "US" or "," in self.city.metro:
                return self.city.metro
            return f"{self.city.metro}, {self.country.name}"
        if self.country.code == "US":
            return f"{self.city.name}, {self.city.region}"
        if not self.city.region:  # GeoNames countries: no English region names at hand
            return f"{self.city.name}, {self.country.name}"
        return f"{self.city.name}, {self.city.region}, {self.country.name}"


class Corpus:
    """All postings for one seed; thread-safe, cheap to query."""

    def __init__(self, seed: int = 7, today: date | None = None) -> None:
        self.seed = seed
        self.today = today or datetime.now(UTC).date()
        self._lock = threading.RLock()
        self._pools: dict[int, list[Job]] = {}
        self._literal_pool_nos: dict[tuple[str, str], int] = {}
        self._literal_by_no: dict[int, tuple[str, str]] = {}
        self._search_cache: dict[tuple[object, ...], list[Job]] = {}
        self._descriptions: dict[str, str] = {}

    # -- pools --------------------------------------------------------------------------------

    @staticmethod
    def known_pool_no(country_code: str) -> int:
        """Built-in countries are pools 1-7; other countries 10-999 (GeoNames' order)."""
        builtin = [c.code for c in places.COUNTRIES]
        if country_code in builtin:
            return 1 + builtin.index(country_code)
        return 10 + places.geo_country_codes().index(country_code)

    def _literal_pool_no(self, country_code: str, literal: str) -> int:
        key = (country_code, literal.lower())
        with self._lock:
            if key in self._literal_pool_nos:
                return self._literal_pool_nos[key]
            number = LITERAL_POOL_BASE + stable_int(self.seed, *key) % 3000
            while number in self._literal_by_no:  # two names on one number: probe onwards
                number = LITERAL_POOL_BASE + (number - LITERAL_POOL_BASE + 1) % 3000
            self._literal_pool_nos[key] = number
            self._literal_by_no[number] = key
            return number

    def pool(self, country_code: str, literal: str = "") -> list[Job]:
        country = places.country(country_code) or places.US
        if literal:
            number = self._literal_pool_no(country.code, literal)
            size = LITERAL_POOL_SIZE
        else:
            number, size = self.known_pool_no(country.code), KNOWN_POOL_SIZE
        with self._lock:
            jobs = self._pools.get(number)
            if jobs is None:
                jobs = [self._make_job(number, i, country, literal) for i in range(size)]
                for i in range(size):  # reposts and agency copies come after the originals
                    copy = self._maybe_copy(jobs, i, len(jobs))
                    if copy is not None:
                        jobs.append(copy)
                self._pools[number] = jobs
            return jobs

    def job_by_linkedin_id(self, job_id: int) -> Job | None:
        pool_no, scrambled = divmod(job_id - LINKEDIN_ID_BASE, _ID_SPACE)
        index = ((scrambled - self.seed * 131) * _ID_MULT_INV) % _ID_SPACE
        if 1 <= pool_no <= len(places.COUNTRIES):
            jobs = self.pool(places.COUNTRIES[pool_no - 1].code)
        elif 10 <= pool_no < 10 + len(places.geo_country_codes()):
            jobs = self.pool(places.geo_country_codes()[pool_no - 10])
        elif pool_no in self._literal_by_no:
            jobs = self.pool(*self._literal_by_no[pool_no])
        else:
            return None
        return jobs[index] if index < len(jobs) else None

    def _make_job(self, pool_no: int, index: int, country: Country, literal: str) -> Job:
        rng = random.Random(stable_int(self.seed, pool_no, index))
        role = rng.choice(ROLES)
        prefix, level, pay_factor, _ = rng.choices(SENIORITY, weights=[s[3] for s in SENIORITY])[0]
        english = f"{prefix} {role.title}".strip()
        if prefix == "Intern":
            english = f"{role.title} Intern"
        remote = rng.random() < 0.12 and not role.hourly
        hybrid = not remote and rng.random() < 0.2
        title = english
        if country.code == "DE" and role.german and rng.random() < 0.45:
            title = f"{prefix + ' ' if prefix in ('Senior', 'Junior') else ''}{role.german} (m/w/d)"
        elif remote and rng.random() < 0.5:
            title = f"{english} (Remote)"
        stem, kind = rng.choice(COMPANY_STEMS), rng.choice(COMPANY_KINDS)
        suffix = rng.choice(country.company_suffixes)
        company = f"{stem} {kind} {suffix}".strip()
        if prefix == "Intern":
            job_type = "internship"
        else:
            job_type = rng.choices(
                ("fulltime", "parttime", "contract", "temporary"),
                weights=(70, 15 if role.hourly else 4, 10, 4),
            )[0]
        city = None if literal else rng.choice(country.cities)
        # Recent postings are the common case on a board; a month is the usual horizon.
        days_ago = min(int(rng.expovariate(1 / 7)), 45)
        reveal_cycle = 0 if rng.random() < 0.9 else rng.randint(1, 40)
        return Job(
            seed=self.seed,
            pool_no=pool_no,
            index=index,
            country=country,
            city=city,
            literal_place=literal,
            role=role,
            title=title,
            seniority_label=level,
            company=company,
            company_slug=places.norm(f"{stem} {kind}").replace(" ", "-"),
            job_type=job_type,
            remote=remote,
            hybrid=hybrid,
            days_ago=days_ago,
            posted_minute=rng.randint(0, 24 * 60 - 1),
            reveal_cycle=reveal_cycle,
            salary=self._make_salary(rng, role, pay_factor, country, job_type),
            use_metro=rng.random() < 0.15,
            external_apply=rng.choices((0, 1, 2), weights=(5, 3, 2))[0],
            rating=round(rng.uniform(2.8, 4.7), 1),
            reviews=int(rng.expovariate(1 / 800)) + 3,
            origin=f"{pool_no}:{index}",
            employer=company,
        )

    def _maybe_copy(self, jobs: list[Job], original_index: int, index: int) -> Job | None:
        """A repost or an agency's copy of posting ``original_index`` (the same text under a new
        id, at ``index`` after the originals), or None for most postings."""
        rng = random.Random(stable_int(self.seed, "copy", jobs[0].pool_no, original_index))
        roll = rng.random()
        if roll >= REPOST_SHARE + AGENCY_SHARE:
            return None
        original = jobs[original_index]
        copy = replace(
            original,
            index=index,
            origin=original.uid,
            employer=original.company,
            posted_minute=rng.randint(0, 24 * 60 - 1),
            # A repost can only appear once its original is up.
            reveal_cycle=original.reveal_cycle,
        )
        if roll < REPOST_SHARE:
            # Put up again a week or more later: newer than the original, same words.
            return replace(copy, days_ago=max(0, original.days_ago - rng.randint(7, 21)))
        agency = rng.choice(AGENCIES)
        return replace(
            copy,
            company=agency,
            agency=agency,
            days_ago=max(0, original.days_ago - rng.randint(0, 3)),
            external_apply=2,
        )

    @staticmethod
    def _make_salary(
        rng: random.Random, role: Role, pay_factor: float, country: Country, job_type: str
    ) -> Salary | None:
        roll = rng.random()
        if roll < 0.3:
            return None
        yearly = role.base_pay * pay_factor * country.salary_factor * rng.uniform(0.85, 1.15)
        if job_type == "parttime":
            yearly *= 0.5
        if role.hourly and country.code in ("US", "CA", "GB", "AU"):
            interval, mid, step = "HOUR", yearly / 2080, 0.5
        elif country.code == "IN" and rng.random() < 0.4:
            interval, mid, step = "MONTH", yearly / 12, 500.0
        else:
            interval, mid, step = "YEAR", yearly, 1000.0 if country.code != "IN" else 10000.0
        low = round(mid * 0.9 / step) * step
        high = round(mid * 1.15 / step) * step
        return Salary(
            interval=interval,
            low=float(low),
            high=float(max(high, low + step)),
            currency=country.currency,
            estimated=roll < 0.55,
            on_linkedin=rng.random() < 0.45,
        )

    # -- search -------------------------------------------------------------------------------

    def search(
        self,
        board: str,
        term: str | None,
        place: Place,
        cycle: int = 0,
        hours_old: int | None = None,
        job_types: Iterable[str] = (),
        remote_only: bool = False,
        exclude_hybrid: bool = False,
    ) -> list[Job]:
        """The ranked results of one query in one cycle (cached; callers must not mutate)."""
        key = (
            board,
            places.norm(term or ""),
            place,
            cycle,
            hours_old,
            tuple(sorted(job_types)),
            remote_only,
            exclude_hybrid,
        )
        with self._lock:
            cached = self._search_cache.get(key)
        if cached is not None:
            return cached
        alternatives = _term_alternatives(term)
        wanted_types = set(job_types)
        results = [
            job
            for job in self._candidates(place)
            if job.reveal_cycle <= cycle
            and (not alternatives or any(_matches(job, alt) for alt in alternatives))
            and (hours_old is None or self._age_hours(job) <= hours_old)
            and (not wanted_types or job.job_type in wanted_types)
            and (not remote_only or job.remote)
            and not (exclude_hybrid and job.hybrid)
        ]
        # Boards rank by relevance, not date; a fixed per-query shuffle stands in for it, with
        # postings new in this cycle first, as a board's "most recent" boost would put them.
        query_salt = stable_int(self.seed, *key[:3])
        results.sort(key=lambda job: (-job.reveal_cycle, stable_int(query_salt, job.uid)))
        with self._lock:
            if len(self._search_cache) > 512:  # lists of job references; bounded memory
                self._search_cache.clear()
            self._search_cache[key] = results
        return results

    def _age_hours(self, job: Job) -> int:
        return 0 if job.reveal_cycle else job.days_ago * 24 + 12

    def _candidates(self, place: Place) -> list[Job]:
        if place.literal:
            return self.pool(place.countries[0], place.literal)
        codes = place.countries or tuple(c.code for c in places.COUNTRIES)
        jobs: list[Job] = []
        for code in codes:
            jobs.extend(self.pool(code))
        if place.cities:
            # A city search also lists the country's remote postings, as both boards do.
            return [j for j in jobs if j.remote or (j.city and j.city.name in place.cities)]
        if place.region:
            return [j for j in jobs if j.city and j.city.region_code == place.region]
        if place.remote:
            return [j for j in jobs if j.remote]
        return jobs

    # -- descriptions -------------------------------------------------------------------------

    def description_html(self, job: Job) -> str:
        """The posting's body as the boards' HTML, 1–5 KB."""
        with self._lock:
            cached = self._descriptions.get(job.uid)
        if cached is not None:
            return cached
        html = _render_description(job)
        if job.agency:
            html = (
                f"<p>On behalf of our client {job.employer}, {job.agency} is recruiting a "
                f"{job.title}.</p>{html}<p>{job.agency} is acting as an employment agency for "
                "this vacancy.</p>"
            )
        with self._lock:
            if len(self._descriptions) > 5000:
                self._descriptions.clear()
            self._descriptions[job.uid] = html
        return html


def _term_alternatives(term: str | None) -> list[list[str]]:
    """ "python OR java developer" -> [["python"], ["java", "developer"]]; quotes ignored."""
    if not term:
        return []
    parts = re.split(r"\s+OR\s+|\s+or\s+|\|", term.replace('"', " "))
    alternatives = [[w for w in places.norm(p).split() if w not in ("and", "not")] for p in parts]
    return [alt for alt in alternatives if alt]


def _matches(job: Job, words: list[str]) -> bool:
    job_words = job.search_words
    for word in words:
        if word in job_words:
            continue
        # "engineering" should find "engineer", "developers" should find "developer"
        if len(word) >= 5 and any(
            len(w) >= 5 and (word.startswith(w) or w.startswith(word)) for w in job_words
        ):
            continue
        return False
    return True


def salary_sentence(job: Job) -> str:
    pay = job.salary
    if pay is None:
        return ""
    unit = {"YEAR": "per year", "MONTH": "per month", "HOUR": "per hour"}[pay.interval]
    symbol = job.country.symbol
    return (
        f"The pay range for this role is {symbol}{pay.low:,.0f} - {symbol}{pay.high:,.0f} {unit}."
    )


def _render_description(job: Job) -> str:
    """The employer's text: a repost or an agency's copy carries its original's."""
    rng = random.Random(stable_int(job.seed, "description", job.origin or job.uid))
    if job.agency:
        job = replace(job, company=job.employer)
    role = job.role
    where = job.literal_place or (job.city.name if job.city else job.country.name)
    mode = "fully remote" if job.remote else "hybrid" if job.hybrid else "on-site"
    parts = [
        f"<p><strong>About {job.company}</strong></p>",
        f"<p>{rng.choice(COMPANY_BLURBS).format(company=job.company)} "
        f"We are a team of {rng.choice((40, 120, 350, 900, 2500, 12000))} people "
        f"and this is {'an' if mode[0] in 'aeiou' else 'a'} {mode} position based in {where}.</p>",
        "<p><strong>The role</strong></p>",
        f"<p>We are hiring a {job.title} to join our {role.function.split(',')[0]} team. "
        f"You will work with {', '.join(rng.sample(role.skills, min(3, len(role.skills))))} "
        "and people who care about doing things well.</p>",
        "<p><strong>What you will do</strong></p><ul>",
        *(f"<li>{d}</li>" for d in rng.sample(role.duties, min(len(role.duties), 5))),
        "</ul><p><strong>What you bring</strong></p><ul>",
        f"<li>{rng.randint(1, 8)}+ years of experience as a {role.title} or similar</li>",
        *(f"<li>Hands-on experience with {s}</li>" for s in rng.sample(role.skills, 3)),
        "<li>Clear written and spoken communication</li></ul>",
        "<p><strong>Nice to have</strong></p><ul>",
        *(f"<li>{n}</li>" for n in rng.sample(NICE_TO_HAVE, rng.randint(1, 3))),
        "</ul><p><strong>What we offer</strong></p><ul>",
        *(f"<li>{b}</li>" for b in rng.sample(BENEFITS, rng.randint(3, 6))),
        "</ul>",
    ]
    for heading, paragraphs in rng.sample(EXTRA_SECTIONS, rng.randint(0, len(EXTRA_SECTIONS))):
        parts.append(f"<p><strong>{heading}</strong></p>")
        parts.extend(f"<p>{p.format(company=job.company, title=job.title)}</p>" for p in paragraphs)
    if job.salary and job.country.code == "US":
        parts.append(f"<p>{salary_sentence(job)}</p>")
    if rng.random() < 0.25:
        parts.append(f"<p>Questions? Write to careers@{job.company_slug}.example.com.</p>")
    parts.append(
        f"<p>{job.company} is an equal opportunity employer. We welcome applicants of every "
        "background, and we will make reasonable adjustments throughout the process.</p>"
    )
    html = "".join(parts)
    while len(html.encode()) < 1100:  # short roles still read like a real posting
        html += f"<p>{rng.choice(COMPANY_BLURBS).format(company=job.company)}</p>"
    return html

"""Whether two postings are one job: a fingerprint per posting and a decision in layers.

``same_job`` asks, cheapest first:

1. identifiers — the same board id on the same site, or the same direct-apply id (Greenhouse,
   Lever, Workday, ... in the URL or the description): same job, nothing else asked;
2. body hash — the same normalized body (at least ``MIN_BODY_WORDS`` words) from the same
   employer in the same place, the titles at the same level;
3. near-duplicate — the same block (employer, title, city-or-remote, country) and bodies whose
   estimated Jaccard is at least ``NEAR_DUPLICATE``; or, when one of two boards gave no
   description (LinkedIn's search cards carry none), the same block within ``NO_BODY_WINDOW``;
4. agency copy — another employer, the same title and place, bodies at least ``AGENCY_COPY``
   alike, and the copy is recognisably an agency's: its employer name reads as a staffing firm,
   or its body names the original employer. Two ordinary employers with the same body are two
   employers using one template ad (franchises, job-ad generators), and stay apart.

Layers 2-4 also require postings within ``WINDOW`` of each other (a year-old ad put up again is a
new opening) and pay ranges that overlap when both give one in the same currency (annualized).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from engine.jobs.grouping.identifiers import apply_ids
from engine.jobs.grouping.normalize import (
    looks_like_agency,
    normalize_company,
    normalize_place,
    normalize_title,
    normalized_body_bytes,
    title_levels,
)
from engine.jobs.grouping.sketch import body_hash_words, body_sketch, estimated_jaccard

__all__ = [
    "AGENCY_COPY",
    "NEAR_DUPLICATE",
    "WINDOW",
    "Fingerprint",
    "PostingFields",
    "fingerprint",
    "same_job",
]

NEAR_DUPLICATE = 0.6
AGENCY_COPY = 0.75
WINDOW = timedelta(days=60)
# Postings compared without a body (one board gave none) must be closer in time.
NO_BODY_WINDOW = timedelta(days=14)
# Ranges this far apart still count as overlapping: boards round, and some add a few percent.
_PAY_SLACK = 0.05
_PER_YEAR = {"yearly": 1, "monthly": 12, "weekly": 52, "daily": 260, "hourly": 2080}


class PostingFields(Protocol):
    """What grouping reads from a posting; ``engine.jobs.record.JobRecord`` has all of it."""

    @property
    def job_url(self) -> str: ...
    @property
    def site(self) -> str: ...
    @property
    def site_job_id(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def company(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def is_remote(self) -> bool | None: ...
    @property
    def date_posted(self) -> date | None: ...
    @property
    def salary_min(self) -> float | None: ...
    @property
    def salary_max(self) -> float | None: ...
    @property
    def salary_currency(self) -> str | None: ...
    @property
    def salary_interval(self) -> str | None: ...
    @property
    def extra(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Everything ``same_job`` compares, for one posting. ``block_key``, ``body_hash`` and
    ``sketch`` are what the store keeps per row; the rest is cheap to recompute."""

    posting_id: int
    posted: date | None
    site: str
    site_job_id: str | None
    apply_ids: frozenset[str]
    company: str  # normalized
    title: str  # normalized
    place: str  # folded city, "remote", or ""
    country: str
    body_hash: bytes | None
    sketch: bytes
    pay: tuple[float, float, str] | None  # annual low, high, currency
    agency: bool
    body: str = field(repr=False)  # normalized; only the agency layer reads it
    group_id: int | None = None  # a stored posting's group; None for a new one

    @property
    def role_key(self) -> str:
        """Country, place and title: the block without the employer. Agency copies share it, so
        the store fetches candidates by it (a superset of the block)."""
        return f"{self.country}|{self.place}|{self.title}"

    @property
    def other_role_key(self) -> str | None:
        """The role key under the other way of listing an unplaced job ("" <-> "remote")."""
        place = other_place(self.place)
        return None if place is None else f"{self.country}|{place}|{self.title}"

    @property
    def block_key(self) -> str:
        """Country, place, title and employer: near-duplicates are looked for only inside it."""
        return f"{self.role_key}|{self.company}"


def fingerprint(
    posting_id: int,
    posting: PostingFields,
    *,
    group_id: int | None = None,
    stored_sketch: bytes | None = None,
) -> Fingerprint:
    """The fingerprint of one posting. A stored posting passes its ``group_id`` and, to skip
    re-hashing its body, the ``sketch`` saved with it."""
    joined, words, body_sketch_ = body_sketch(
        normalized_body_bytes(posting.description), with_sketch=stored_sketch is None
    )
    extra = posting.extra or {}
    direct = extra.get("job_url_direct")
    return Fingerprint(
        posting_id=posting_id,
        posted=posting.date_posted,
        site=(posting.site or "").lower(),
        site_job_id=posting.site_job_id or None,
        apply_ids=apply_ids(
            (posting.job_url, direct if isinstance(direct, str) else None), posting.description
        ),
        company=normalize_company(posting.company),
        title=normalize_title(posting.title, posting.city, posting.region),
        place=normalize_place(posting.city, posting.is_remote),
        country=(posting.country or "").lower(),
        body_hash=body_hash_words(joined, words),
        sketch=body_sketch_ if stored_sketch is None else stored_sketch,
        pay=_annual_pay(posting),
        agency=looks_like_agency(posting.company),
        body=joined.decode(),
        group_id=group_id,
    )


def _annual_pay(posting: PostingFields) -> tuple[float, float, str] | None:
    low, high = posting.salary_min, posting.salary_max
    currency = posting.salary_currency
    factor = _PER_YEAR.get(posting.salary_interval or "yearly")
    if currency is None or factor is None or (low is None and high is None):
        return None
    low = high if low is None else low
    high = low if high is None else high
    assert low is not None and high is not None
    return (low * factor, high * factor, currency.upper())


def same_job(a: Fingerprint, b: Fingerprint) -> tuple[bool, str]:
    """(True, which layer matched) or (False, why they stay apart)."""
    # 1. identifiers: the board's or the employer's own id for the posting.
    if a.site_job_id and a.site == b.site and a.site_job_id == b.site_job_id:
        return True, "same board id"
    if a.apply_ids & b.apply_ids:
        return True, "same apply id"
    if a.apply_ids and b.apply_ids and a.company == b.company:
        # Both lead to the employer's tracker and to different requisitions: two openings.
        return False, "different apply ids"

    if a.country != b.country or not places_agree(a.place, b.place):
        return False, "different place"
    if a.posted and b.posted and abs(a.posted - b.posted) > WINDOW:
        return False, "too far apart in time"
    if not _pay_overlaps(a.pay, b.pay):
        return False, "pay ranges do not overlap"

    if a.company == b.company:
        # 2. the same words, same employer, same place, same level.
        if a.body_hash is not None and a.body_hash == b.body_hash:
            if title_levels(a.title) == title_levels(b.title):
                return True, "same body"
            return False, "different level"
        # 3. near-duplicate inside the block.
        if a.title != b.title:
            return False, "different title"
        if bool(a.sketch) != bool(b.sketch) and a.site != b.site:
            # One board gave no description (LinkedIn's search cards carry none): the same role
            # of the same employer in the same place, on another board, days apart.
            if a.posted and b.posted and abs(a.posted - b.posted) > NO_BODY_WINDOW:
                return False, "one without a body, too far apart"
            return True, "same role on another board (one without a body)"
        similarity = estimated_jaccard(a.sketch, b.sketch)
        if similarity >= NEAR_DUPLICATE:
            return True, f"near-duplicate body ({similarity:.2f})"
        return False, f"different body ({similarity:.2f})"

    # 4. another employer: only an agency's copy of the same ad.
    if a.title != b.title:
        return False, "different title"
    # The bodies first: most employers' ads of a role share nothing, and comparing cached
    # sketches is cheaper than looking for one employer's name in the other's body.
    similarity = estimated_jaccard(a.sketch, b.sketch)
    if similarity < AGENCY_COPY:
        return False, f"different employer ({similarity:.2f})"
    if a.agency or b.agency or _names(a.body, b.company) or _names(b.body, a.company):
        return True, f"agency copy ({similarity:.2f})"
    return False, f"template ad of another employer ({similarity:.2f})"


# A board that names no city for a remote job (LinkedIn lists it under the country alone).
_UNPLACED = frozenset({"", "remote"})


def places_agree(a: str, b: str) -> bool:
    """The same city, both remote, or one remote and the other naming no city."""
    return a == b or {a, b} == _UNPLACED


def other_place(place: str) -> str | None:
    """The place a posting at ``place`` may also be listed under ("" <-> "remote")."""
    return ("remote" if place == "" else "") if place in _UNPLACED else None


def _names(body: str, company: str) -> bool:
    """ "Our client Acme is hiring": the copy's body names the other employer."""
    # As f" {company} " in f" {body} ", without copying the body twice per pair.
    if not company or company not in body:
        return False
    return (
        f" {company} " in body
        or body.startswith(f"{company} ")
        or body.endswith(f" {company}")
        or body == company
    )


def _pay_overlaps(a: tuple[float, float, str] | None, b: tuple[float, float, str] | None) -> bool:
    if a is None or b is None or a[2] != b[2]:
        return True
    return a[0] <= b[1] * (1 + _PAY_SLACK) and b[0] <= a[1] * (1 + _PAY_SLACK)

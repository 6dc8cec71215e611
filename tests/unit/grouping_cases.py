"""Labelled posting pairs for the grouping tests: hand-written hard cases from
tests/data/grouping_pairs.jsonl and systematic variants generated from the same bodies.

A posting in the data names a body from tests/data/grouping_bodies.json (sections of a real-looking
description, ``{company}`` filled with ``fill`` or the posting's company), a format (html,
markdown, plain) and edits (``ops``) that boards and agencies make: footers appended, whitespace
mangled, sections reordered or dropped, the employer's name replaced.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"
BODIES: dict[str, list[list[Any]]] = json.loads(
    (DATA / "grouping_bodies.json").read_text(encoding="utf-8")
)

INDEED_FOOTER = (
    "If you require alternative methods of application or screening, you must approach the "
    "employer directly to request this as Indeed is not responsible for the employer's "
    "application process."
)
LINKEDIN_CRITERIA = (
    "Seniority level\nMid-Senior level\nEmployment type\nFull-time\nJob function\n"
    "Engineering and Information Technology\nIndustries\nSoftware Development"
)
AGENCY_FOOTER = (
    "{agency} is acting as an employment agency for this vacancy. By applying you accept the "
    "{agency} privacy notice, and we will only share your CV with your consent."
)


@dataclass(slots=True)
class Posting:
    """The fields grouping reads (``engine.jobs.grouping.PostingFields``)."""

    job_url: str
    site: str
    site_job_id: str | None
    title: str | None
    company: str | None
    description: str | None
    city: str | None
    region: str | None
    country: str | None
    is_remote: bool | None
    date_posted: date | None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_interval: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def render(spec: Mapping[str, Any]) -> str:
    """A description from a body name, format and edits."""
    if "text" in spec:
        return str(spec["text"])
    sections = [list(s) for s in BODIES[spec["body"]]]
    fill = spec.get("fill") or spec.get("company") or ""
    ops: list[str] = list(spec.get("ops", ()))
    if "swap" in ops:
        sections[1], sections[2] = sections[2], sections[1]
    if "drop_last" in ops:
        sections = sections[:-1]
    fmt = spec.get("fmt", "html")
    parts: list[str] = []
    for heading, content in sections:
        items = content if isinstance(content, list) else None
        if fmt == "html":
            parts.append(f"<p><strong>{heading}</strong></p>")
            if items is None:
                parts.append(f"<p>{content}</p>")
            else:
                parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
        elif fmt == "markdown":
            parts.append(f"**{heading}**\n")
            parts.append(content if items is None else "\n".join(f"* {i}" for i in items))
        else:
            parts.append(heading)
            parts.append(content if items is None else "\n".join(f"• {i}" for i in items))
    text = ("" if fmt == "html" else "\n\n").join(parts).replace("{company}", fill)
    if fmt == "html":
        text = text.replace("&", "&amp;")
    for op in ops:
        if op == "indeed_footer":
            text += "\n\n" + INDEED_FOOTER
        elif op == "linkedin_criteria":
            text += "\n\nShow more\nShow less\n" + LINKEDIN_CRITERIA
        elif op == "squash":
            text = "  \r\n ".join(text.split())
        elif op.startswith("agency_footer:"):
            text += "\n\n" + AGENCY_FOOTER.format(agency=op.split(":", 1)[1])
        elif op.startswith("anonymize:"):
            text = text.replace(op.split(":", 1)[1], "our client")
        elif op.startswith("prepend:"):
            text = op.split(":", 1)[1] + "\n\n" + text
        elif op.startswith("edit:"):
            old, new = op.split(":", 1)[1].split("=>")
            assert old in text, f"edit target {old!r} not in body {spec['body']}"
            text = text.replace(old, new)
    return text


_url_numbers = itertools.count(1)


def posting(spec: Mapping[str, Any]) -> Posting:
    pay = spec.get("pay")
    site = spec.get("site", "linkedin")
    return Posting(
        job_url=spec.get("url") or f"https://{site}.example/job/{next(_url_numbers)}",
        site=site,
        site_job_id=spec.get("sid"),
        title=spec.get("title"),
        company=spec.get("company"),
        description=render(spec) if ("body" in spec or "text" in spec) else None,
        city=spec.get("city"),
        region=spec.get("region"),
        country=spec.get("country"),
        is_remote=spec.get("remote"),
        date_posted=date.fromisoformat(spec.get("date", "2026-03-02")),
        salary_min=pay[0] if pay else None,
        salary_max=pay[1] if pay else None,
        salary_currency=pay[2] if pay else None,
        salary_interval=pay[3] if pay else None,
        extra={"job_url_direct": spec["direct"]} if spec.get("direct") else {},
    )


@dataclass(frozen=True)
class Case:
    name: str
    same: bool
    kind: str
    a: Posting
    b: Posting


def _merge(bases: Mapping[str, dict[str, Any]], spec: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(bases[spec["base"]]) if "base" in spec else {}
    merged.update({k: v for k, v in spec.items() if k != "base"})
    return merged


def hand_written() -> list[Case]:
    bases: dict[str, dict[str, Any]] = {}
    cases: list[Case] = []
    lines = (DATA / "grouping_pairs.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("//"):
            continue
        row = json.loads(line)
        if "define" in row:
            bases[row["define"]] = _merge(bases, row["posting"])
            continue
        a, b = _merge(bases, row["a"]), _merge(bases, row["b"])
        name = f"L{number}:{row['kind']}"
        cases.append(Case(name, bool(row["same"]), row["kind"], posting(a), posting(b)))
    return cases


# --- generated variants -------------------------------------------------------------------------

# base posting, other spellings of its title, of its employer, and a body of another opening
# (same employer and title, another team) where there is one.
_SEEDS: list[tuple[dict[str, Any], list[str], list[str], str | None, str]] = [
    (
        dict(
            title="Senior Python Developer",
            company="Acme GmbH",
            city="Berlin",
            country="DE",
            body="acme_platform",
            pay=[75000, 92000, "EUR", "yearly"],
        ),
        ["Sr. Python Developer", "Senior Python Developer (m/w/d)", "Senior Python Dev - Berlin"],
        ["ACME", "Acme GmbH & Co. KG", "acme gmbh"],
        "acme_payments",
        "Junior Python Developer",
    ),
    (
        dict(
            title="Data Scientist",
            company="Northwind Analytics Inc.",
            city="New York",
            region="NY",
            country="US",
            body="northwind_ds",
            pay=[135000, 160000, "USD", "yearly"],
        ),
        ["Data Scientist - New York, NY", "Data Scientist (Hybrid)", "DATA SCIENTIST"],
        ["Northwind Analytics", "Northwind Analytics, Inc.", "NorthWind Analytics LLC"],
        None,
        "Senior Data Scientist",
    ),
    (
        dict(
            title="Registered Nurse - Med Surg",
            company="Bluepeak Health LLC",
            city="Chicago",
            region="IL",
            country="US",
            body="bluepeak_nurse",
            pay=[38.5, 52.0, "USD", "hourly"],
        ),
        [
            "Registered Nurse - Med Surg - Chicago",
            "Registered Nurse - Med Surg, Full Time",
            "Registered Nurse – Med Surg | Chicago, IL",
        ],
        ["Bluepeak Health", "BluePeak Health, LLC", "Bluepeak Health LLC 3.9 ★"],
        None,
        "Registered Nurse - Med Surg Lead",
    ),
    (
        dict(
            title="DevOps Engineer",
            company="Ironclad Systems Ltd",
            city="London",
            country="GB",
            body="ironclad_devops",
            pay=[65000, 78000, "GBP", "yearly"],
        ),
        ["Devops Engineer", "Dev Ops Eng", "DevOps Engineer - London, England"],
        ["Ironclad Systems", "Ironclad Systems Limited", "IRONCLAD SYSTEMS LTD."],
        None,
        "Senior DevOps Engineer",
    ),
    (
        dict(
            title="Frontend Engineer",
            company="Brightline Labs SAS",
            city="Paris",
            country="FR",
            body="brightline_frontend",
            pay=[52000, 64000, "EUR", "yearly"],
        ),
        ["Front-End Engineer", "Front End Engineer (H/F)", "Frontend Eng - Paris"],
        ["Brightline Labs", "BRIGHTLINE LABS S.A.S.", "Brightline Labs SA"],
        None,
        "Lead Frontend Engineer",
    ),
    (
        dict(
            title="Java Developer",
            company="Kestrel Technologies Pvt Ltd",
            city="Bengaluru",
            country="IN",
            body="kestrel_java",
            pay=[1200000, 1800000, "INR", "yearly"],
        ),
        ["Java Developer - Bengaluru", "Java Dev", "Java Developer | Full-time"],
        [
            "Kestrel Technologies",
            "Kestrel Technologies Private Limited",
            "Kestrel Technologies Pvt. Ltd.",
        ],
        None,
        "Senior Java Developer",
    ),
    (
        dict(
            title="Account Executive",
            company="Orbit Software Corp.",
            city="Toronto",
            region="ON",
            country="CA",
            body="orbit_ae",
            pay=[70000, 85000, "CAD", "yearly"],
        ),
        ["Account Executive - Toronto, ON", "Account Executive (Hybrid)", "ACCOUNT EXECUTIVE"],
        ["Orbit Software", "Orbit Software Corporation", "Orbit Software Inc."],
        None,
        "Senior Account Executive",
    ),
    (
        dict(
            title="Junior Python Developer",
            company="Acme GmbH",
            city="Hamburg",
            country="DE",
            body="acme_junior",
            pay=[48000, 56000, "EUR", "yearly"],
        ),
        ["Jr. Python Developer", "Junior Python Developer (w/m/d)", "Jr Python Dev - Hamburg"],
        ["Acme", "ACME GmbH", "Acme GmbH & Co. KG"],
        None,
        "Python Developer",
    ),
]
_OTHER_CITY = {
    "DE": "Munich",
    "US": "Boston",
    "GB": "Manchester",
    "FR": "Lyon",
    "IN": "Pune",
    "CA": "Ottawa",
}
_FORMATS = ("html", "markdown", "plain")


def generated() -> list[Case]:
    """For each seed: cross-posts (title, employer, format, board text), reposts, agency copies;
    and the postings that must stay apart (other city, level, team, employer, pay, season)."""
    cases: list[Case] = []
    for n, (base, titles, companies, other_team, other_level) in enumerate(_SEEDS):
        tag = base["body"]

        def add(kind: str, same: bool, a: dict[str, Any], b: dict[str, Any]) -> None:
            cases.append(Case(f"G:{tag}:{kind}", same, kind, posting(a), posting(b)))  # noqa: B023

        a = dict(base, site="linkedin", fmt="html", ops=["linkedin_criteria"])
        for i, (title, company) in enumerate(zip(titles, companies, strict=True)):
            fmt = _FORMATS[(i + n) % 3]
            b = dict(
                base,
                title=title,
                company=company,
                site="indeed",
                fmt=fmt,
                ops=["indeed_footer"] if i % 2 == 0 else ["squash"],
            )
            add(f"crosspost-{i}", True, a, b)
            add(f"crosspost-title-only-{i}", True, dict(base), dict(base, title=title))
            add(f"crosspost-company-only-{i}", True, dict(base), dict(base, company=company))
        add(
            "crosspost-glassdoor-plain",
            True,
            a,
            dict(base, site="glassdoor", fmt="plain", ops=["squash"], pay=None),
        )
        later = (date(2026, 3, 2) + timedelta(days=24 + n)).isoformat()
        add("repost-weeks-later", True, dict(base), dict(base, date=later, fmt="markdown"))
        add("repost-edited", True, dict(base), dict(base, date=later, ops=["swap", "drop_last"]))
        add(
            "agency-copy-named-agency",
            True,
            dict(base),
            dict(
                base,
                company="Hays Specialist Recruitment",
                fill=base["company"],
                ops=["agency_footer:Hays"],
                site="indeed",
                pay=None,
            ),
        )
        add(
            "agency-copy-mentions-employer",
            True,
            dict(base),
            dict(
                base,
                company="Talentwise Partners",
                fill=base["company"],
                ops=[f"prepend:Our client {base['company']} is hiring."],
                site="glassdoor",
            ),
        )
        # must stay apart
        far = _OTHER_CITY[base["country"]]
        add("apart-other-city", False, dict(base), dict(base, city=far))
        add(
            "apart-other-city-crosspost",
            False,
            a,
            dict(base, city=far, title=titles[0], site="indeed", fmt="plain"),
        )
        add("apart-other-level-same-body", False, dict(base), dict(base, title=other_level))
        add(
            "apart-other-level-crosspost",
            False,
            a,
            dict(base, title=other_level, company=companies[1], site="indeed"),
        )
        if other_team:
            add("apart-other-team", False, dict(base), dict(base, body=other_team))
            add(
                "apart-other-team-crosspost",
                False,
                a,
                dict(base, body=other_team, title=titles[1], company=companies[0], site="indeed"),
            )
        add(
            "apart-template-other-employer",
            False,
            dict(base),
            dict(base, company="Quillfeather Software AG", site="indeed"),
        )
        high = base["pay"][1]
        add(
            "apart-pay",
            False,
            dict(base),
            dict(base, pay=[high * 1.6, high * 1.9, base["pay"][2], base["pay"][3]]),
        )
        far_later = (date(2026, 3, 2) + timedelta(days=150)).isoformat()
        add("apart-next-season", False, dict(base), dict(base, date=far_later))
        add(
            "apart-other-country",
            False,
            dict(base),
            dict(base, country="AT" if base["country"] != "AT" else "CH"),
        )
    return cases


def all_cases() -> list[Case]:
    return hand_written() + generated()


def iter_specs(cases: list[Case]) -> Iterator[Posting]:
    for case in cases:
        yield case.a
        yield case.b


def replace(p: Posting, **changes: Any) -> Posting:
    return dataclasses.replace(p, **changes)

"""The employer's own id for a posting, read from a direct-apply URL.

Boards link to the employer's applicant tracking system; two postings that lead to the same
Greenhouse job, Lever posting or Workday requisition are one job whatever their titles say. Each
id comes out as "<ats>:<tenant>:<id>" (the tenant only where ids are not global), lower case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.jobs.grouping.scan import present_in_text

__all__ = ["apply_ids"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # boards.greenhouse.io/acme/jobs/4012345, job-boards.eu.greenhouse.io/acme/jobs/4012345
    (
        "greenhouse",
        re.compile(
            r"greenhouse\.io/(?:embed/job_app\?(?:[^\s\"'<>]*&)?token=|[\w-]+/jobs/)(\d{5,})"
        ),
    ),
    # careers.acme.com/jobs?gh_jid=4012345 (Greenhouse embedded on the employer's site)
    ("greenhouse", re.compile(r"[?&]gh_jid=(\d{5,})")),
    # jobs.lever.co/acme/1f2e3d4c-...; jobs.eu.lever.co
    ("lever", re.compile(rf"lever\.co/[\w.-]+/({_UUID})")),
    # jobs.ashbyhq.com/acme/1f2e3d4c-...
    ("ashby", re.compile(rf"ashbyhq\.com/[\w.%-]+/({_UUID})")),
    # acme.wd5.myworkdayjobs.com/en-US/External/job/Berlin/Senior-Engineer_R-12345(-1)
    (
        "workday",
        re.compile(
            r"([\w-]+)\.wd\d+\.myworkdayjobs\.com/(?:[\w-]+/)*job/[^\s\"'<>?]*?"
            r"_([A-Za-z]*-?\d[\w-]*?)(?:-\d)?(?=[/?\s\"'<>]|$)"
        ),
    ),
    # jobs.smartrecruiters.com/Acme/743999912345678-senior-engineer
    ("smartrecruiters", re.compile(r"smartrecruiters\.com/[\w.-]+/(\d{9,})")),
    # apply.workable.com/acme/j/AB12CD34EF
    ("workable", re.compile(r"workable\.com/[\w.-]+/j/([0-9A-Za-z]{6,})")),
    # acme.jobs.personio.de/job/123456
    ("personio", re.compile(r"([\w-]+)\.jobs\.personio\.(?:de|com)/job/(\d+)")),
    # careers-acme.icims.com/jobs/12345/senior-engineer/job
    ("icims", re.compile(r"([\w-]+)\.icims\.com/jobs/(\d+)")),
    # acme.recruitee.com/o/senior-engineer
    ("recruitee", re.compile(r"([\w-]+)\.recruitee\.com/o/([\w-]+)")),
)


def apply_ids(urls: Iterable[str | None], description: str | None = None) -> frozenset[str]:
    """Every ATS id in the posting's URLs, plus the one in its description when it names exactly
    one (a description listing several links is pointing at other openings too)."""
    found: set[str] = set()
    for url in urls:
        if url:
            found |= _ids_in(url)
    if description and not found:
        in_text = _ids_in(description)
        if len(in_text) == 1:
            found |= in_text
    return frozenset(found)


# The host each pattern needs: a substring test skips the regex for nearly every description.
_NEEDLES = {
    "greenhouse": ("greenhouse.io", "gh_jid="),
    "lever": ("lever.co/",),
    "ashby": ("ashbyhq.com",),
    "workday": ("myworkdayjobs.com",),
    "smartrecruiters": ("smartrecruiters.com",),
    "workable": ("workable.com",),
    "personio": (".personio.",),
    "icims": ("icims.com",),
    "recruitee": ("recruitee.com",),
}


# Any needle at all: one scan of a description (nearly always none) instead of one per needle.
_ANY_NEEDLE = re.compile("|".join(re.escape(n) for ns in _NEEDLES.values() for n in ns))
# Every needle holds one of these, checked first in ``_ids_in`` in one pass
# (``present_in_text``): the regex's alternation over a 3 KB description takes ~30 µs.
_HINTS = (".co", ".io", ".personio.", "gh_jid=")
assert all(any(hint in n for hint in _HINTS) for ns in _NEEDLES.values() for n in ns)
_HINT_BYTES = tuple(hint.encode() for hint in _HINTS)


def _ids_in(text: str) -> set[str]:
    found: set[str] = set()
    if not present_in_text(text, _HINT_BYTES):
        return found
    if not _ANY_NEEDLE.search(text):
        return found
    for ats, pattern in _PATTERNS:
        if not any(needle in text for needle in _NEEDLES[ats]):
            continue
        for match in pattern.finditer(text):
            found.add(":".join((ats, *(group.lower() for group in match.groups()))))
    return found

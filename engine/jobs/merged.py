"""The merged view of a search: one row per job, made from the postings of its group.

A job's row shows its newest matching posting (the one that placed it in the newest-first order)
with the best of what the group's postings know: the salary from whichever posting has one, the
most precise location, the earliest posting date, and the boards it is on.
"""

from __future__ import annotations

from typing import Any


def _precision(posting: dict[str, Any]) -> int:
    """How precisely a posting says where: city > region > country > remote only > nothing."""
    for rank, key in ((4, "city"), (3, "region"), (2, "country")):
        if posting.get(key):
            return rank
    return 1 if posting.get("is_remote") else 0


SALARY = ("salary_min", "salary_max", "salary_currency", "salary_interval")
PLACE = ("city", "region", "country", "location_raw")


def merge_group(first: dict[str, Any], postings: list[dict[str, Any]]) -> dict[str, Any]:
    """One job: ``first`` (its newest matching posting) completed from the group's ``postings``
    (newest first)."""
    lead = next((p for p in postings if p["id"] == first["id"]), postings[0])
    row = dict(lead)
    salaried = next(
        (p for p in postings if p.get("salary_min") is not None or p.get("salary_max") is not None),
        None,
    )
    if salaried is not None and row.get("salary_min") is None and row.get("salary_max") is None:
        row.update({k: salaried.get(k) for k in SALARY})
    placed = max(postings, key=_precision)  # max keeps the first (newest) of equals
    if _precision(placed) > _precision(row):
        row.update({k: placed.get(k) for k in PLACE})
    for key in ("job_type", "company", "title"):
        if not row.get(key):
            row[key] = next((p[key] for p in postings if p.get(key)), None)
    dates = [p.get("date_posted") or p.get("posted_or_seen") for p in postings]
    known = [d for d in dates if d is not None]
    sites = list(dict.fromkeys(p["site"] for p in postings))
    row.update(
        group_id=first["group_id"],
        first_posted=min(known) if known else None,
        latest=first["posted_or_seen"],
        sites=sites,
        also_on=[s for s in sites if s != lead["site"]],
        postings=[
            {
                "id": p["id"],
                "site": p["site"],
                "job_url": p["job_url"],
                "date_posted": p.get("date_posted"),
                "first_seen_at": p.get("first_seen_at"),
            }
            for p in postings
        ],
    )
    return row


def merge_groups(page: list[Any], postings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's jobs in order: ``page`` holds each group's newest matching posting (id,
    group_id, posted_or_seen), ``postings`` every posting of those groups."""
    by_group: dict[int, list[dict[str, Any]]] = {}
    for posting in postings:
        by_group.setdefault(posting["group_id"], []).append(posting)
    return [
        merge_group(dict(first), by_group[first["group_id"]])
        for first in page
        if first["group_id"] in by_group  # gone (deleted or regrouped) since the search
    ]

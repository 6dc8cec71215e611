"""Group ids for a batch of new postings, given the stored postings they might repeat.

Built for ingest: the store fingerprints the batch, fetches the recent stored postings that share
a ``role_key`` (or a ``body_hash``) with it — each with its ``group_id`` and saved ``sketch`` —
and calls ``assign_groups``. Pairs are compared only inside buckets (role key, body hash, apply
id, board id), links are closed transitively (union-find), so the answer does not depend on the
order of either list.

A group's id is the id of its representative: the earliest posting (by date posted, then id)
when the group forms. Stored groups keep their id when new postings join them, so stored rows
never need relabelling; only when a new posting links two stored groups does one of them (the
later) change id, and its fetched members are in the answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from datetime import date

from engine.jobs.grouping.match import Fingerprint, same_job

__all__ = ["assign_groups", "links"]


def _buckets(fingerprint: Fingerprint) -> Iterable[Hashable]:
    yield ("role", fingerprint.role_key)
    if fingerprint.other_role_key is not None:  # remote here, listed without a city there
        yield ("role", fingerprint.other_role_key)
    if fingerprint.body_hash is not None:
        yield ("body", fingerprint.body_hash)
    for apply_id in fingerprint.apply_ids:
        yield ("apply", apply_id)
    if fingerprint.site_job_id:
        yield ("board", fingerprint.site, fingerprint.site_job_id)


def links(
    new: Sequence[Fingerprint], candidates: Sequence[Fingerprint] = ()
) -> list[tuple[int, int, str]]:
    """Every (posting id, posting id, reason) pair ``same_job`` joins: new postings with each
    other and with candidates (candidates among themselves were decided when they arrived)."""
    by_bucket: dict[Hashable, list[Fingerprint]] = defaultdict(list)
    new_ids = {fp.posting_id for fp in new}
    for fp in [*candidates, *new]:
        for bucket in _buckets(fp):
            by_bucket[bucket].append(fp)
    found: list[tuple[int, int, str]] = []
    compared: set[tuple[int, int]] = set()
    for members in by_bucket.values():
        if len(members) < 2:
            continue
        for a in members:
            if a.posting_id not in new_ids:
                continue  # candidates among themselves were decided when they arrived
            for b in members:
                if a.posting_id == b.posting_id:
                    continue
                pair = (min(a.posting_id, b.posting_id), max(a.posting_id, b.posting_id))
                if pair in compared:
                    continue
                compared.add(pair)
                same, reason = same_job(a, b)
                if same:
                    found.append((*pair, reason))
    return found


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            parent = self.parent[item] = self.find(parent)
        return parent

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def assign_groups(
    new: Sequence[Fingerprint], candidates: Sequence[Fingerprint] = ()
) -> dict[int, int]:
    """posting id -> group id for every new posting, and for every candidate whose group id
    changes (two stored groups joined by a new posting).

    ``candidates`` are stored postings (``group_id`` set) near the new ones; a candidate without
    a ``group_id`` counts as a group of its own.
    """
    new_ids = {fp.posting_id for fp in new}
    stored = [fp for fp in candidates if fp.posting_id not in new_ids]
    everyone = {fp.posting_id: fp for fp in [*stored, *new]}
    sets = _UnionFind()
    stored_group: dict[int, int] = {}
    first_member: dict[int, int] = {}
    for fp in stored:
        group = fp.group_id if fp.group_id is not None else fp.posting_id
        stored_group[fp.posting_id] = group
        sets.union(first_member.setdefault(group, fp.posting_id), fp.posting_id)
    for fp in new:
        sets.find(fp.posting_id)
    for a, b, _reason in links(new, stored):
        sets.union(a, b)

    members: dict[int, list[int]] = defaultdict(list)
    for posting_id in everyone:
        members[sets.find(posting_id)].append(posting_id)

    answer: dict[int, int] = {}
    for ids in members.values():
        group = _representative(ids, everyone, stored_group)
        for posting_id in ids:
            if posting_id in new_ids or stored_group.get(posting_id) != group:
                answer[posting_id] = group
    return answer


def _representative(
    ids: list[int], everyone: dict[int, Fingerprint], stored_group: dict[int, int]
) -> int:
    existing = {stored_group[i] for i in ids if i in stored_group}
    if existing:
        # A stored group's representative that was not fetched is older than the window the
        # store fetched, so older than anything here.
        def age(group: int) -> tuple[date, int]:
            rep = everyone.get(group)
            return ((rep.posted or date.max) if rep is not None else date.min, group)

        return min(existing, key=age)
    return min(ids, key=lambda i: (everyone[i].posted or date.max, i))

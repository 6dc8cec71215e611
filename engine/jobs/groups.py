"""Postings of one job grouped as they are stored, and ``jobfleet jobs regroup``.

The decisions are ``engine.jobs.grouping``'s (pure, tested on a labelled set); this module feeds
it from the store, inside the store's transaction, so that search and export see a posting's
group the moment it is committed:

1. Each new posting is fingerprinted (normalized title, employer, place; body hash; a 256-byte
   MinHash sketch) and gets its id before it is written (``nextval``, one round trip a batch).
2. One query per batch fetches the stored postings it might repeat, by narrow indexed keys in
   ``job_sketches`` (never an old description): the same role *and* employer within the window
   (near-duplicates, the same body), stored agency copies of the same role, any employer's
   posting of the role when the new one is an agency's, and the same exact body, board id or
   apply id — each key capped at the newest ``CANDIDATES_PER_KEY``.
3. ``assign_groups`` decides; the new rows are written once, with their ``group_id`` (an UPDATE
   would compute their full-text vector again), and their fingerprints go to ``job_sketches``.
   When a new posting joins two stored groups, the later group's rows take the earlier's id.

Concurrency: two workers may write copies of one job at the same moment, each in a transaction
that cannot see the other's rows. Before fetching candidates a batch *tries* a transaction
advisory lock per employer in a place (and per apply id) of its postings; it never
waits, so writers that share keys do not take turns through their COPY. A posting whose key was
busy is ``recheck``ed once the key is free — that is, once the other writer has committed — and
links then found join the two groups (the later group is relabelled). The store tries after each
batch without waiting, and waits at the end of a scrape (``Store.settle_groups``), so copies of
one job from the same employer end in one group by the time the scrape is stored. A worker killed
in between, and copies that share no key (an agency's copy written at the very same moment as the
employer's posting), can stay two groups until ``jobs regroup``.

``regroup`` recomputes every fingerprint from the descriptions and every group, replaying the
postings in the order groups form (date posted, then id) through the same candidate lookup. Only
rows whose group changes are rewritten, so a second run changes nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from engine.db.handle import Database
from engine.db.queries import q
from engine.jobs.grouping import (
    WINDOW,
    Fingerprint,
    assign_groups,
    fingerprint,
    links,
    same_job,
)
from engine.jobs.grouping.normalize import normalize_body
from engine.jobs.grouping.scan import present_in_text
from engine.protocol import GROUP_LOCK_CLASS

log = logging.getLogger(__name__)

__all__ = [
    "CANDIDATES_PER_KEY",
    "BatchGroups",
    "NewPosting",
    "RegroupSummary",
    "group_batch",
    "group_counts",
    "recheck",
    "regroup",
    "relabel_groups",
]

# Stored postings fetched per lookup key: the newest within the window. A job is rarely posted
# more than a handful of times by one employer in one place; more would only cost comparisons.
CANDIDATES_PER_KEY = 20
# Words by which a body says it is an agency's copy of a client's opening.
_CLIENT_PHRASES = (
    b"our client",
    b"on behalf of",
    b"employment agency",
    b"recruitment agency",
    b"staffing agency",
    b"acting as an agency",
)
_SKETCH_TYPES = (
    "int8", "date", "int8", "int8", "text", "text", "text", "text", "bool", "bool", "bytea",
    "bytea", "int8", "text[]", "float8", "float8", "text",
)  # fmt: skip


def _hash64(text: str) -> int:
    """A signed 64-bit key (a bigint column) for a normalized string."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Roles, employers and employers-in-a-place recur across postings and batches (a board's job id
# does not: it is hashed uncached).
_key64 = functools.lru_cache(maxsize=4096)(_hash64)


@functools.lru_cache(maxsize=4096)
def _key32(text: str) -> int:
    digest = hashlib.blake2b(text.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def copy_hint(normalized_body: str) -> bool:
    """Whether the body says it recruits for a client (an agency's copy under another name)."""
    return bool(present_in_text(normalized_body, _CLIENT_PHRASES))


@dataclass(frozen=True, slots=True)
class NewPosting:
    """A new posting's fingerprint and what the store keeps of it."""

    fp: Fingerprint
    role_key: int
    company_key: int
    copy_hint: bool

    @property
    def agency_like(self) -> bool:
        return self.fp.agency or self.copy_hint


def fingerprint_new(posting_id: int, posting: Any, today: date) -> NewPosting:
    """The fingerprint of a posting about to be stored; one without a date is dated today (the
    window needs a clock, and it was first seen today)."""
    fp = fingerprint(posting_id, posting)
    if fp.posted is None:
        fp = dataclasses.replace(fp, posted=today)
    return NewPosting(
        fp=fp,
        role_key=_key64(fp.role_key),
        company_key=_key64(fp.company),
        copy_hint=copy_hint(fp.body),
    )


def _board_key(fp: Fingerprint) -> int | None:
    return _hash64(f"{fp.site}|{fp.site_job_id}") if fp.site_job_id else None


def _lock_keys(new: NewPosting) -> set[int]:
    """The employer in a place, and every apply id: what copies written at once would share.
    (Copies with one board id have one canonical URL: the unique index orders those writers.)"""
    fp = new.fp
    keys = {_key32(f"{fp.country}|{fp.place}|{fp.company}")}
    keys.update(_key32(f"apply|{apply_id}") for apply_id in fp.apply_ids)
    return keys


def _role_keys(new: NewPosting) -> list[int]:
    """The posting's role key, and for a remote job or one without a city the other listing's."""
    other = new.fp.other_role_key
    return [new.role_key] if other is None else [new.role_key, _key64(other)]


def _array(values: Iterable[object]) -> str:
    """A Postgres array literal of ints or dates (cast ``::text::bigint[]``/``date[]``): a tenth
    of the time psycopg's list adapter takes for thousands of values."""
    return "{" + ",".join(map(str, values)) + "}"


def _candidate_params(batch: Sequence[NewPosting]) -> dict[str, Any]:
    """One lookup per key and date, not one per key over the batch's whole span: the cap keeps
    the newest candidates of the span, which could all be later than an older posting's
    window."""

    def dated(new: NewPosting) -> date:
        assert new.fp.posted is not None
        return new.fp.posted

    blocks = list(dict.fromkeys((r, n.company_key, dated(n)) for n in batch for r in _role_keys(n)))
    roles = list(dict.fromkeys((n.role_key, dated(n)) for n in batch))
    any_roles = list(dict.fromkeys((n.role_key, dated(n)) for n in batch if n.agency_like))
    return {
        "cap": CANDIDATES_PER_KEY,
        "window": WINDOW.days,
        "block_role": _array(k[0] for k in blocks),
        "block_company": _array(k[1] for k in blocks),
        "block_posted": _array(k[2] for k in blocks),
        "agency_role": _array(k[0] for k in roles),
        "agency_posted": _array(k[1] for k in roles),
        "any_role": _array(k[0] for k in any_roles),
        "any_posted": _array(k[1] for k in any_roles),
        "bodies": b"".join(sorted({n.fp.body_hash for n in batch if n.fp.body_hash is not None})),
        "boards": _array(sorted({k for n in batch if (k := _board_key(n.fp)) is not None})),
        "apply": sorted({a for n in batch for a in n.fp.apply_ids}),
    }


def _candidate_rows(
    conn: psycopg.Connection[Any], batch: Sequence[NewPosting]
) -> list[dict[str, Any]]:
    """The stored postings ``batch`` might repeat (the groups_candidates query, without JIT)."""
    conn.execute(q("groups_no_jit"))
    return conn.execute(q("groups_candidates"), _candidate_params(batch)).fetchall()


def _stored(row: dict[str, Any]) -> Fingerprint:
    pay = (
        (row["pay_low"], row["pay_high"], row["pay_currency"])
        if row["pay_currency"] is not None
        else None
    )
    return Fingerprint(
        posting_id=row["job_id"],
        posted=row["posted"],
        site=(row["site"] or "").lower(),
        site_job_id=row["site_job_id"] or None,
        apply_ids=frozenset(row["apply_ids"] or ()),
        company=row["company"],
        title=row["title"],
        place=row["place"],
        country=row["country"],
        body_hash=row["body_hash"],
        sketch=bytes(row["sketch"]),
        pay=pay,
        agency=row["agency"],
        body="",  # read only when a decision needs it (see _with_bodies)
        group_id=row["group_id"],
    )


def _with_bodies(
    conn: psycopg.Connection[Any], new: Sequence[Fingerprint], stored: list[Fingerprint]
) -> list[Fingerprint]:
    """Stored candidates with their normalized body where only it can decide: another employer's
    near-identical body of the same role ("template ad") might be an agency copy that names the
    new posting's employer. Rare, so their descriptions are read then, one query."""
    by_role: dict[str, list[Fingerprint]] = {}
    for fp in new:
        by_role.setdefault(fp.role_key, []).append(fp)
    wanted: set[int] = set()
    for cand in stored:
        for fp in by_role.get(cand.role_key, ()):
            if fp.company != cand.company and same_job(fp, cand)[1].startswith("template ad"):
                wanted.add(cand.posting_id)
                break
    if not wanted:
        return stored
    rows = conn.execute(q("groups_descriptions"), {"ids": sorted(wanted)}).fetchall()
    bodies = {row["id"]: normalize_body(row["description"]) for row in rows}
    return [
        dataclasses.replace(c, body=bodies[c.posting_id]) if c.posting_id in bodies else c
        for c in stored
    ]


@dataclass(frozen=True)
class BatchGroups:
    """What ``group_batch`` decided for a batch about to be written."""

    groups: dict[int, int]  # new posting id -> group id
    contended: list[NewPosting]  # whose lock keys another transaction held: ``recheck`` them
    relabel: list[tuple[int, int]]  # (old, new): stored groups a new posting joins together


def group_batch(
    conn: psycopg.Connection[Any], batch: Sequence[NewPosting], *, lock: bool = True
) -> BatchGroups:
    """The groups of new postings about to be written in this transaction. The stored groups
    they join together are relabelled by ``relabel_groups``, as late in the transaction as the
    caller can: it locks those rows until the commit, and another writer relabelling one of them
    waits for that."""
    if not batch:
        return BatchGroups({}, [], [])
    contended: list[NewPosting] = []
    if lock:
        conn.execute(q("groups_writing"))
        keys = sorted(set().union(*(_lock_keys(n) for n in batch)))
        busy = {
            row["key"]
            for row in conn.execute(
                q("groups_try_lock"), {"class": GROUP_LOCK_CLASS, "keys": _array(keys)}
            )
        }
        contended = [n for n in batch if _lock_keys(n) & busy] if busy else []
    rows = _candidate_rows(conn, batch)
    new = [n.fp for n in batch]
    stored = _with_bodies(conn, new, [_stored(row) for row in rows])
    answer = assign_groups(new, stored)
    old_groups = {c.posting_id: c.group_id for c in stored}
    relabel = sorted(
        {
            (old, group)
            for posting_id, group in answer.items()
            if (old := old_groups.get(posting_id)) is not None and old != group
        }
    )
    groups = {n.fp.posting_id: answer.get(n.fp.posting_id, n.fp.posting_id) for n in batch}
    return BatchGroups(groups, contended, relabel)


def relabel_groups(conn: psycopg.Connection[Any], relabel: Sequence[tuple[int, int]]) -> None:
    """Stored groups joined by a new posting: the later group's rows take the earlier's id."""
    if relabel:
        conn.execute(
            q("groups_relabel"),
            {"old": [r[0] for r in relabel], "new": [r[1] for r in relabel]},
        )


def recheck(
    conn: psycopg.Connection[Any], contended: Sequence[NewPosting], *, wait: bool
) -> list[NewPosting]:
    """After a batch committed: its postings whose lock keys were held by another transaction
    are compared again once that one has finished, and groups they link are joined. ``wait``:
    wait for the keys; otherwise the postings whose keys are still held are returned, to be
    rechecked later (the store tries again after its next batch).

    Why it converges: of two transactions writing copies of one job at once, the one that found
    a key busy rechecks once it can take the key, that is once the other has committed, and
    then sees the other's rows.
    """
    if not contended:
        return []
    conn.execute(q("groups_writing"))
    keys = sorted(set().union(*(_lock_keys(n) for n in contended)))
    later: list[NewPosting] = []
    if wait:
        conn.execute(q("groups_lock"), {"class": GROUP_LOCK_CLASS, "keys": _array(keys)})
    else:
        params = {"class": GROUP_LOCK_CLASS, "keys": _array(keys)}
        busy = {row["key"] for row in conn.execute(q("groups_try_lock"), params)}
        later = [n for n in contended if _lock_keys(n) & busy]
        contended = [n for n in contended if not _lock_keys(n) & busy]
    _recheck_free(conn, contended)
    return later


def _recheck_free(conn: psycopg.Connection[Any], contended: Sequence[NewPosting]) -> None:
    if not contended:
        return
    ids = [n.fp.posting_id for n in contended]
    mine = {r["id"]: r["group_id"] for r in conn.execute(q("groups_current"), {"ids": ids})}
    if not mine:
        return
    rows = _candidate_rows(conn, contended)
    others = [_stored(row) for row in rows if row["job_id"] not in mine]
    group_of: dict[int, int] = {
        c.posting_id: c.posting_id if c.group_id is None else c.group_id for c in others
    }
    group_of.update(mine)
    new = [
        dataclasses.replace(n.fp, group_id=mine[n.fp.posting_id])
        for n in contended
        if n.fp.posting_id in mine
    ]
    others = _with_bodies(conn, new, others)
    parent: dict[int, int] = {}

    def find(group: int) -> int:
        while parent.get(group, group) != group:
            group = parent[group]
        return group

    joined = [(find(group_of[a]), find(group_of[b])) for a, b, _why in links(new, others)]
    pairs = [(a, b) for a, b in joined if a != b]
    if not pairs:
        return
    groups = sorted({g for pair in pairs for g in pair})
    posted = {r["job_id"]: r["posted"] for r in conn.execute(q("groups_posted"), {"ids": groups})}

    def age(group: int) -> tuple[date, int]:
        return (posted.get(group, date.min), group)  # no sketch: stored before grouping

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            first, later = sorted((root_a, root_b), key=age)
            parent[later] = first
    relabel_groups(conn, sorted((g, find(g)) for g in groups if find(g) != g))


def write_sketches(conn: psycopg.Connection[Any], batch: Iterable[NewPosting]) -> None:
    with conn.cursor() as cur, cur.copy(q("groups_sketch_copy")) as copy:
        copy.set_types(_SKETCH_TYPES)
        for new in batch:
            fp = new.fp
            pay = fp.pay or (None, None, None)
            copy.write_row(
                (
                    fp.posting_id,
                    fp.posted,
                    new.role_key,
                    new.company_key,
                    fp.title,
                    fp.company,
                    fp.place,
                    fp.country,
                    fp.agency,
                    new.copy_hint,
                    fp.body_hash,
                    fp.sketch,
                    _board_key(fp),
                    sorted(fp.apply_ids) or None,
                    *pay,
                )
            )


def allocate_ids(conn: psycopg.Connection[Any], n: int) -> list[int]:
    return [row["id"] for row in conn.execute(q("groups_allocate_ids"), {"n": n})]


def group_counts(db: Database) -> dict[str, int]:
    """{"postings": N, "jobs": N}: a job is a group of postings of one job."""
    with db.connection() as conn:
        row = conn.execute(q("group_counts")).fetchone() or {"postings": 0, "jobs": 0}
    return {"postings": int(row["postings"]), "jobs": int(row["jobs"])}


# --- regroup --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegroupSummary:
    postings: int
    groups_before: int
    groups_after: int
    changed: int  # postings whose group_id changed

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class _Row:
    """A stored posting as fingerprinting reads it (``PostingFields``)."""

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
    salary_min: float | None
    salary_max: float | None
    salary_currency: str | None
    salary_interval: str | None
    extra: dict[str, Any]


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(_Row))
REGROUP_CHUNK = 1000


def regroup(db: Database, progress: Callable[[int, int], None] | None = None) -> RegroupSummary:
    """Recompute every posting's fingerprint and group, in one transaction (grouped writes wait
    for it). ``progress(done, total)`` is called after each chunk."""
    with db.connection() as conn:
        conn.execute(q("regroup_lock"))
        before = conn.execute(q("group_counts")).fetchone() or {"postings": 0, "jobs": 0}
        total = int(before["postings"])
        conn.execute(q("regroup_clear"))
        conn.execute(q("regroup_remember"))
        done = 0
        if progress is not None:
            progress(0, total)
        with conn.cursor(name="jobfleet_regroup") as cursor:
            cursor.itersize = REGROUP_CHUNK
            cursor.execute(q("regroup_postings"))
            while rows := cursor.fetchmany(REGROUP_CHUNK):
                batch = []
                current: dict[int, int] = {}
                for row in rows:
                    posting = _Row(**{name: row[name] for name in _ROW_FIELDS})
                    # Undated: first seen that day (posted_or_seen), as at ingest.
                    batch.append(fingerprint_new(row["id"], posting, row["posted_or_seen"]))
                    current[row["id"]] = row["group_id"]
                decided = group_batch(conn, batch, lock=False)
                relabel_groups(conn, decided.relabel)
                moved = {pid: g for pid, g in decided.groups.items() if current[pid] != g}
                if moved:
                    conn.execute(
                        q("regroup_set"), {"ids": list(moved), "groups": list(moved.values())}
                    )
                write_sketches(conn, batch)
                done += len(rows)
                if progress is not None:
                    progress(done, total)
        after = conn.execute(q("group_counts")).fetchone() or {"postings": 0, "jobs": 0}
        changed_row = conn.execute(q("regroup_changed")).fetchone()
        changed = int(changed_row["n"]) if changed_row else 0
    return RegroupSummary(
        postings=total,
        groups_before=int(before["jobs"]),
        groups_after=int(after["jobs"]),
        changed=changed,
    )

"""The newest matches of a search, found range by range: newest dates first, wider only when needed.

Newest first is the hard part of a full-text search. Collecting every match through the GIN index
and sorting them reads thousands of rows for a medium term; walking the date-ordered index and
testing each posting reads thousands for a rare one. Both are fast on a *narrow date range*, so
the search asks for the matches of the newest range first (the GIN bitmap ANDed with the range's
bitmap of jobs_posted_idx), and only when the page is not full asks for an older range, sized from
how many matches the ranges so far held. Ranges are disjoint and newest first, so the rows come
out in exactly the order of ``ORDER BY posted_or_seen DESC, id DESC``: the same page as the
plain query (tests/integration/test_search_fast.py checks it on random queries).

Terms in a large share of postings ("team", "engineer") are the exception: their GIN posting
lists hold hundreds of thousands of entries, so reading them costs more than testing the ~100
newest postings one by one. Their share comes from ANALYZE's lexeme statistics, cached in the
process (no planner round trips per search); they walk the date-ordered index instead.

The same stream serves the merged view: it yields postings newest first, and the caller keeps
the first posting of each group until it has enough groups.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import psycopg

from engine.db.queries import q

# A term (or AND of terms) in at least this share of postings walks the date-ordered index.
WALK_SHARE = 0.08
# The first range: the newest day and the one before it.
FIRST_RANGE_DAYS = 2
# Lexeme statistics are re-read after this long (ANALYZE runs in the background).
SHARES_TTL_S = 600.0

_LEXEME = re.compile(r"(!?)'((?:[^']|'')+)'")


class _Shares:
    """lexeme -> share of postings, from pg_stats, per database, for SHARES_TTL_S."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, dict[str, float], float]] = {}

    def get(self, conn: psycopg.Connection[Any]) -> tuple[dict[str, float], float]:
        key = conn.info.dsn
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < SHARES_TTL_S:
            return cached[1], cached[2]
        row = conn.execute(q("search_lexeme_shares"), prepare=False).fetchone()
        shares: dict[str, float] = {}
        floor = 0.0
        if row and row["lexemes"] and row["shares"]:
            lexemes, freqs = list(row["lexemes"]), list(row["shares"])
            shares = dict(zip(lexemes, freqs[: len(lexemes)], strict=False))
            floor = float(freqs[len(lexemes)]) if len(freqs) > len(lexemes) else 0.0
        with self._lock:
            self._cache[key] = (now, shares, floor)
        return shares, floor


SHARES = _Shares()


def query_share(tree: str | None, shares: dict[str, float], floor: float) -> float:
    """The share of postings the indexable query ``tree`` (querytree text) matches, roughly.

    AND: the rarest word's share (words in postings are correlated, so not the product). OR:
    the sum. A lexeme absent from the statistics is rarer than the rarest one listed. No
    indexable word (only stop words or negations): every posting is a candidate.
    """
    if tree is None:
        return 1.0
    words = [(neg == "!", lx.replace("''", "'")) for neg, lx in _LEXEME.findall(tree)]
    positive = [shares.get(lx, floor / 2) for neg, lx in words if not neg]
    if not positive:
        return 1.0
    if "|" in tree:
        return min(1.0, sum(positive))
    return min(positive)


def newest_matches(
    conn: psycopg.Connection[Any], params: dict[str, Any], enough: Callable[[list[Any]], bool]
) -> list[Any]:
    """Matching postings (id, group_id, posted_or_seen), newest first, until ``enough(rows)``.

    ``conn`` must be in a transaction: the plan settings are SET LOCAL.
    """
    setup = conn.execute(q("search_setup"), params, prepare=False).fetchone()
    if setup is None or setup["newest"] is None:
        return []
    newest: date = setup["newest"]
    oldest: date = setup["oldest"]
    floor_day: date | None = None
    if params["days"] is not None:
        floor_day = setup["today"] - timedelta(days=params["days"])
    shares, rarest = SHARES.get(conn)
    share = query_share(setup["tree"], shares, rarest) if params["text"] is not None else 1.0
    rows: list[Any] = []
    for chunk in _chunks(conn, params, newest, oldest, floor_day, share >= WALK_SHARE, rows):
        rows.extend(chunk)
        if enough(rows):
            break
    return rows


def _chunks(
    conn: psycopg.Connection[Any],
    params: dict[str, Any],
    newest: date,
    oldest: date,
    floor_day: date | None,
    walk: bool,
    got: list[Any],
) -> Iterator[list[Any]]:
    """Chunks of matches, newest first: range after range, each range page after page."""
    want = params["limit"] + params["offset"]
    conn.execute(q("search_walk" if walk else "search_bitmap"), prepare=False)
    hi: date | None = None
    lo: date | None = newest - timedelta(days=FIRST_RANGE_DAYS - 1)
    if walk:
        lo = None  # the walk stops by itself when the page is full
    while True:
        if lo is not None and (lo <= oldest or (floor_day is not None and lo <= floor_day)):
            lo = None  # the range reaches the end of the data (or of --days): no lower bound
        before = len(got)
        after: tuple[date, int] | None = None
        n = max(want - before, 1) * 2 + 10
        while True:
            chunk = conn.execute(
                q("search_chunk"),
                {
                    **params,
                    "lo": lo,
                    "hi": hi,
                    "after_day": after[0] if after else None,
                    "after_id": after[1] if after else None,
                    "n": n,
                },
                prepare=False,
            ).fetchall()
            yield chunk
            if len(chunk) < n:
                break  # this range is done
            after = (chunk[-1]["posted_or_seen"], chunk[-1]["id"])
            n *= 2
        if lo is None:
            return
        found = len(got) - before
        covered = (newest - lo).days + 1
        if found == 0 and not got:
            lo_days: int | None = None  # nothing recent: the rest at once
        else:
            # Matches so far per day covered; ranges grow at least fourfold.
            per_day = max(len(got), 1) / covered
            lo_days = max(covered * 4, int(2 * want / per_day) + 1)
        hi = lo
        lo = None if lo_days is None else newest - timedelta(days=lo_days - 1)

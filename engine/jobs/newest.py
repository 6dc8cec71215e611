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
newest postings one by one. Their share comes from ANALYZE's lexeme statistics (copied into a
small table, search_lexeme_shares, when ANALYZE has run); they walk the date-ordered index.

The loop runs in the database, in one call (``jobs_newest`` in sql/0017_search.sql): on a busy
machine every round trip is a chance to wait for a core. The same loop serves the merged view:
it stops when the postings found span enough groups, and each group's first posting places it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from engine.db.queries import q

# A term (or AND of terms) in at least this share of postings walks the date-ordered index.
WALK_SHARE = 0.08
# The first range covers the newest postings among which twice a page of matches is expected
# from the term's share, if that is at most this many postings (an index-only scan of the
# date index finds where it starts); rarer terms go straight to one scan of all their matches.
FIRST_RANGE_ROWS = 50_000


# How often a process checks whether ANALYZE ran since the lexeme shares were copied.
SHARES_CHECK_S = 300.0
_checked: dict[str, float] = {}
_checked_lock = threading.Lock()


def refresh_shares(conn: psycopg.Connection[Any]) -> None:
    """Copy ANALYZE's lexeme statistics into search_lexeme_shares when they changed (checked at
    most every SHARES_CHECK_S per process and database; one cheap query when nothing changed)."""
    key = conn.info.dsn
    now = time.monotonic()
    with _checked_lock:
        if now - _checked.get(key, -SHARES_CHECK_S) < SHARES_CHECK_S:
            return
        _checked[key] = now
    conn.execute(q("search_lexeme_shares_refresh"))


def range_params(params: dict[str, Any], *, grouped: bool) -> dict[str, Any]:
    """The search's parameters plus jobs_newest's: how many postings (or groups) to find, and
    the tuning above (read at call time, so tests can force either path)."""
    return {
        **params,
        # Capped to an SQL integer: no page lies beyond two billion postings.
        "want": min(int(params["limit"] + params["offset"]), 2_000_000_000),
        "grouped": grouped,
        "walk_share": WALK_SHARE,
        "first_rows": FIRST_RANGE_ROWS,
    }

"""Where a worker starts: the cycle its predecessor left unfinished, at the location it reached.

The node row keeps the position a worker last wrote (``cycle``, ``locations_done``,
``locations_total``, ``current_location``). A worker that crashes again and again (a board that
kills the scrape child, memory pressure) would otherwise scrape the first locations over and over
and never reach the last ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """The position stored on the node row."""

    cycle: int
    locations_done: int
    locations_total: int
    current_location: str | None


def resume_point(stored: Position, locations: Sequence[str | None]) -> tuple[int, int]:
    """``(cycle, index of its first location)`` for a worker starting now.

    The stored cycle goes on when it was unfinished and the spec still has the locations it was
    walking (same count, and the location it was at is still there, where it was); otherwise a
    new cycle starts at the first location. The location being scraped at the crash is scraped
    again: its results were not counted as done.
    """
    done, total = stored.locations_done, stored.locations_total
    fresh = stored.cycle + 1, 0
    if stored.cycle <= 0 or total != len(locations) or not 0 <= done < total:
        return fresh
    # While scraping index i the row says (done=i, location i); after it, (done=i+1, location i);
    # at a cycle's start, no location.
    near = {locations[i] for i in (done - 1, done) if 0 <= i < total}
    if stored.current_location is not None and stored.current_location not in near:
        return fresh  # the locations were edited since
    return stored.cycle, done

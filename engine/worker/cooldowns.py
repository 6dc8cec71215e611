"""Per-site cooldowns: a board that blocked a scrape is left alone a while; the others carry on."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Per-site cooldown after a blocked answer: base × 2^(strikes-1), capped.
COOLDOWN_BASE_S = 60.0
COOLDOWN_MAX_S = 3600.0


@dataclass
class Cooldowns:
    """Per-site exponential cooldown after blocked answers; the other sites carry on."""

    base: float = COOLDOWN_BASE_S
    cap: float = COOLDOWN_MAX_S
    clock: Callable[[], float] = time.monotonic
    strikes: dict[str, int] = field(default_factory=dict)
    until: dict[str, float] = field(default_factory=dict)

    def blocked(self, site: str) -> float:
        self.strikes[site] = self.strikes.get(site, 0) + 1
        delay = min(self.cap, self.base * 2 ** (self.strikes[site] - 1))
        self.until[site] = self.clock() + delay
        return float(delay)

    def ok(self, site: str) -> None:
        self.strikes.pop(site, None)
        self.until.pop(site, None)

    def available(self, sites: list[str]) -> list[str]:
        now = self.clock()
        return [s for s in sites if self.until.get(s, 0.0) <= now]

    def next_free_in(self, sites: list[str]) -> float:
        now = self.clock()
        return max(0.0, min((self.until.get(s, 0.0) - now for s in sites), default=0.0))

    def snapshot(self) -> dict[str, float]:
        now = self.clock()
        return {s: round(t - now, 1) for s, t in self.until.items() if t > now}

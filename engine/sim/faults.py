"""Faults the simulated boards can inject, and what python-jobspy 1.4.1 does under each.

A fault is set per board (``linkedin``, ``indeed``, ``ipecho``) and applies to that board's next
``count`` responses (every response while ``count`` is None), until cleared. jobspy never raises
for a board failure: ``scrape_jobs`` returns a DataFrame holding whatever was collected before the
failure, and the failed board's message in ``df.attrs["errors"][site]`` (one string per site;
``df.attrs["warnings"]`` holds the non-fatal notes). Observed with python-jobspy 1.4.1, both
boards going through the simulator's proxy (``tests/sim/test_faults.py`` pins each line):

=========== ============================================================================
kind        what jobspy does
=========== ============================================================================
429, 403    LinkedIn and Indeed stop at the failing page: rows from earlier pages are
            kept, errors[site] = "response status code 429 (blocked: use a proxy)".
999         LinkedIn's own "go away": errors["linkedin"] = "response status code 999".
hang        No answer ever comes. requests gives up after RotatingProxySession's
            request_timeout (15 s per request) and the board fails with the read-timeout
            text in errors[site]. A caller must still enforce its own hard limit: a
            search may hit one timeout per page.
slow        Every answer waits ``delay`` seconds; results are complete, only late.
truncated   The connection drops mid-body (Content-Length promises more): requests
            raises ChunkedEncodingError inside jobspy, errors[site] begins with
            "('Connection broken: IncompleteRead(...".
malformed   A complete 200 whose body is broken. LinkedIn: cards lacking their title,
            company or location are skipped with a warning log (not in attrs), others
            in the page are kept; jobspy continues to the next page only for a full page.
            Indeed: invalid JSON, errors["indeed"] = "Expecting ',' delimiter: ..." (the
            json decoder's message).
empty       LinkedIn: its empty page ("<!DOCTYPE html>\\n\\n<!---->"); jobspy stops
            quietly, no error (a log warning when it was not the first page). Indeed:
            an empty result list; jobspy stops quietly, no error.
hostile     Pages parse, and rows carry hostile text: NUL bytes, lone surrogates
            (Indeed's JSON "\\ud800" escapes reach the DataFrame as lone surrogates;
            LinkedIn's HTML gets U+FFFD), the literal string "NaN", NaN salaries (Indeed),
            100 KB descriptions, emoji, Rich markup like "[bold red]" and ANSI escape
            sequences. The worker must clean these before Postgres (no NUL in text, no
            surrogates in UTF-8) and render them literally in the TUI.
leaky       ipecho only: the IP echo answers the client's own address (the proxy's peer,
            e.g. 127.0.0.1) instead of the exit IP, as a transparent/leaky proxy would.
=========== ============================================================================

The empty and malformed LinkedIn pages are indistinguishable from a real "no more results" or a
soft block to jobspy: a worker that sees zero rows and no error must not assume the search term
has no jobs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

BOARDS = ("linkedin", "indeed", "ipecho")
KINDS = (
    "429",
    "403",
    "999",
    "hang",
    "slow",
    "truncated",
    "malformed",
    "empty",
    "hostile",
    "leaky",
)


@dataclass(frozen=True)
class Fault:
    """One fault: ``kind`` for the board's next ``count`` responses (None: until cleared)."""

    kind: str
    count: int | None = None
    delay: float = 2.0  # seconds, for "slow"
    surrogates: bool = True  # "hostile": include lone surrogates (they make jobspy raise)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}"
            )
        if self.count is not None and self.count < 1:
            raise ValueError("fault count must be at least 1 (or None for until cleared)")
        if self.delay < 0:
            raise ValueError("fault delay must not be negative")

    @classmethod
    def parse(cls, text: str) -> Fault:
        """ "429", "429:3" (three responses), "slow:1.5" (delay), "slow:1.5:4", "hang",
        "hostile:utf8" (no lone surrogates), "hostile:utf8:2"."""
        kind, *args = text.strip().split(":")
        try:
            if kind == "hostile" and args and args[0] == "utf8":
                count = int(args[1]) if len(args) > 1 else None
                return cls(kind, count=count, surrogates=False)
            if kind == "slow":
                delay = float(args[0]) if args and args[0] else 2.0
                count = int(args[1]) if len(args) > 1 else None
                return cls(kind, count=count, delay=delay)
            if len(args) > 1:
                raise ValueError("too many ':' parts")
            return cls(kind, count=int(args[0]) if args and args[0] else None)
        except (TypeError, ValueError) as e:
            raise ValueError(f"bad fault {text!r}: {e}") from None

    def describe(self) -> str:
        times = "until cleared" if self.count is None else f"x{self.count}"
        detail = f" {self.delay:g}s" if self.kind == "slow" else ""
        if self.kind == "hostile" and not self.surrogates:
            detail = " utf8"
        return f"{self.kind}{detail} {times}"


def parse_assignment(text: str) -> tuple[str, Fault]:
    """ "linkedin=429:3" -> ("linkedin", Fault("429", 3)); for --fault options."""
    board, sep, spec = text.partition("=")
    board = board.strip().lower()
    if not sep or not spec:
        raise ValueError(f"bad fault {text!r}: expected BOARD=KIND[:ARG], e.g. linkedin=429:3")
    check_board(board)
    fault = Fault.parse(spec)
    check_pair(board, fault)
    return board, fault


def check_board(board: str) -> None:
    if board not in BOARDS:
        raise ValueError(f"unknown board {board!r}; expected one of {', '.join(BOARDS)}")


def check_pair(board: str, fault: Fault) -> None:
    if fault.kind == "leaky" and board != "ipecho":
        raise ValueError("the leaky fault applies to the ipecho board only")


class FaultBook:
    """The active fault of each board and how many responses it still applies to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[str, tuple[Fault, int | None]] = {}

    def set(self, board: str, fault: Fault) -> None:
        check_board(board)
        check_pair(board, fault)
        with self._lock:
            self._active[board] = (fault, fault.count)

    def clear(self, board: str | None = None) -> None:
        with self._lock:
            if board is None:
                self._active.clear()
            else:
                self._active.pop(board, None)

    def take(self, board: str) -> Fault | None:
        """The fault for one response to ``board``, used up when its count runs out."""
        with self._lock:
            entry = self._active.get(board)
            if entry is None:
                return None
            fault, left = entry
            if left is not None:
                if left <= 1:
                    del self._active[board]
                else:
                    self._active[board] = (fault, left - 1)
            return fault

    def active(self) -> dict[str, tuple[Fault, int | None]]:
        with self._lock:
            return dict(self._active)

"""Faults the simulated boards can inject, and what python-jobspy 1.4.1 does under each.

A fault is set per board (``linkedin``, ``indeed``, ``ipecho``) and applies to that board's next
``count`` responses (every response while ``count`` is None) after letting ``after`` responses
through, until cleared. For a board failure jobspy does not raise: ``scrape_jobs`` returns a
DataFrame with whatever was collected before the failure, and the failed board's message in
``df.attrs["errors"][site]`` (one string per site; ``df.attrs["warnings"]`` holds non-fatal
notes). The one exception is a lone surrogate in Indeed's JSON, below. Observed with
python-jobspy 1.4.1 and pandas 3 through the simulator's proxy; ``tests/sim/test_faults.py``
pins each line:

=========== ============================================================================
kind        what jobspy does
=========== ============================================================================
429, 403    The board stops at the failing page; rows from earlier pages are kept;
            errors[site] = "response status code 429 (blocked: use a proxy)" (403 alike).
            Indeed's 403 is a Cloudflare challenge page, as the real one is.
999         LinkedIn's bot wall: errors[site] = "response status code 999".
hang        No answer ever comes. requests gives up after RotatingProxySession's
            request_timeout (15 s per request): errors[site] = "HTTPSConnectionPool(
            host='www.linkedin.com', port=443): Read timed out. (read timeout=15)". A caller
            still needs its own hard limit: a search can hit one timeout per page.
slow        Each answer waits ``delay`` seconds; results are complete, only late.
truncated   The connection drops mid-body (Content-Length promises more): errors[site]
            begins with "('Connection broken: IncompleteRead(".
malformed   A complete 200 with a broken body. LinkedIn: cards lacking a title, company
            or location are skipped (a log warning, nothing in attrs) and the rest kept;
            the cut page has fewer than 10 cards, so jobspy stops there, without error.
            Indeed: invalid JSON, errors["indeed"] = "Unterminated string starting at: ...".
empty       LinkedIn: its exact empty page ("<!DOCTYPE html>\\n\\n<!---->"); Indeed: an empty
            result list. jobspy stops quietly: no rows, no error — indistinguishable from a
            search without jobs (or a soft block).
hostile     Pages parse, and rows carry the literal string "NaN", NUL bytes, 100 KB+
            descriptions, emoji, Rich markup ("[bold red]"), ANSI escape sequences, and
            (Indeed) NaN salaries. Lone surrogates: LinkedIn's HTML carries them as
            invalid UTF-8, which arrives as U+FFFD. Indeed's JSON carries "\\ud800"
            escapes, and then ``scrape_jobs`` RAISES UnicodeEncodeError ("surrogates not
            allowed": pandas 3 keeps strings in pyarrow), losing every site's rows of that
            call. ``Fault("hostile", surrogates=False)`` (CLI: ``hostile:utf8``) leaves the
            surrogates out so the other hostile values reach the DataFrame. Workers must
            catch exceptions from scrape_jobs, strip NUL before Postgres, and render text
            literally in the TUI.
leaky       ipecho only: the IP echo answers the client's own address (the proxy's peer,
            e.g. 127.0.0.1) instead of the exit IP, as a leaky proxy would.
=========== ============================================================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

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
    after: int = 0  # let this many responses through first, e.g. to fail on the third page

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}"
            )
        if self.count is not None and self.count < 1:
            raise ValueError("fault count must be at least 1 (or None for until cleared)")
        if self.delay < 0:
            raise ValueError("fault delay must not be negative")
        if self.after < 0:
            raise ValueError("fault 'after' must not be negative")

    @classmethod
    def parse(cls, text: str) -> Fault:
        """ "429", "429:3" (three responses), "slow:1.5" (delay), "slow:1.5:4", "hang",
        "hostile:utf8" (no lone surrogates), "hostile:utf8:2"; a suffix "@N" lets N responses
        through first ("429:1@2" fails the third page)."""
        spec, _, after_text = text.strip().partition("@")
        try:
            after = int(after_text) if after_text else 0
        except ValueError:
            raise ValueError(f"bad fault {text!r}: '@' takes a number of responses") from None
        return replace(cls._parse(spec, text), after=after)

    @classmethod
    def _parse(cls, spec: str, text: str) -> Fault:
        kind, *args = spec.split(":")
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
        if self.after:
            times += f" after {self.after}"
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
        self._waiting: dict[str, int] = {}  # responses still to let through before the fault

    def set(self, board: str, fault: Fault) -> None:
        check_board(board)
        check_pair(board, fault)
        with self._lock:
            self._active[board] = (fault, fault.count)
            self._waiting[board] = fault.after

    def clear(self, board: str | None = None) -> None:
        with self._lock:
            if board is None:
                self._active.clear()
                self._waiting.clear()
            else:
                self._active.pop(board, None)
                self._waiting.pop(board, None)

    def take(self, board: str) -> Fault | None:
        """The fault for one response to ``board``, used up when its count runs out."""
        with self._lock:
            entry = self._active.get(board)
            if entry is None:
                return None
            fault, left = entry
            if self._waiting.get(board, 0) > 0:
                self._waiting[board] -= 1
                return None
            if left is not None:
                if left <= 1:
                    del self._active[board]
                else:
                    self._active[board] = (fault, left - 1)
            return fault

    def active(self) -> dict[str, tuple[Fault, int | None]]:
        with self._lock:
            return dict(self._active)

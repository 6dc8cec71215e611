"""What the simulator served, so tests can assert on traffic (politeness, silence after stop)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

MAX_RECORDS = 50_000


@dataclass(frozen=True)
class RequestRecord:
    at: float  # time.time() when the request was read
    monotonic: float  # time.monotonic() at the same moment, for gaps between requests
    board: str  # linkedin | indeed | ipecho | control | unknown
    host: str
    method: str
    route: str  # path with ids replaced: "/jobs/view/{id}"
    target: str  # the full request target, query included
    status: int  # 0 when no response was sent (hang, dropped connection)
    user: str | None  # proxy username of the client, if any
    client: str  # the client's address as the proxy saw it
    fault: str | None


@dataclass(frozen=True)
class Counters:
    """A snapshot; never changes after it is taken."""

    records: tuple[RequestRecord, ...] = ()
    by_board: dict[str, int] = field(default_factory=dict)
    by_route: dict[tuple[str, str], int] = field(default_factory=dict)
    by_user: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)
    faults: dict[tuple[str, str], int] = field(default_factory=dict)
    connects: int = 0
    auth_failures: int = 0
    unknown_hosts: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_board.values())

    def requests(
        self,
        board: str | None = None,
        route: str | None = None,
        user: str | None = None,
        since: float | None = None,
    ) -> list[RequestRecord]:
        """Records matching every given filter (route may be a prefix); `since` is time.time()."""
        return [
            r
            for r in self.records
            if (board is None or r.board == board)
            and (route is None or r.route.startswith(route))
            and (user is None or r.user == user)
            and (since is None or r.at >= since)
        ]

    def count(self, board: str | None = None, route: str | None = None) -> int:
        if route is None:
            return self.by_board.get(board, 0) if board else self.total
        return sum(
            n
            for (b, r), n in self.by_route.items()
            if (board is None or b == board) and r.startswith(route)
        )

    def gaps(self, board: str | None = None, route: str | None = None) -> list[float]:
        """Seconds between consecutive matching requests, in arrival order."""
        times = [r.monotonic for r in self.requests(board, route)]
        return [b - a for a, b in itertools.pairwise(times)]

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "by_board": self.by_board,
            "by_route": {f"{b} {r}": n for (b, r), n in self.by_route.items()},
            "by_user": self.by_user,
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "faults": {f"{b} {k}": n for (b, k), n in self.faults.items()},
            "connects": self.connects,
            "auth_failures": self.auth_failures,
            "unknown_hosts": self.unknown_hosts,
            "last_request_at": self.records[-1].at if self.records else None,
        }


class Recorder:
    """Thread-safe tallies, written from the proxy's event loop and read from anywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._records: deque[RequestRecord] = deque(maxlen=MAX_RECORDS)
            self._by_board: Counter[str] = Counter()
            self._by_route: Counter[tuple[str, str]] = Counter()
            self._by_user: Counter[str] = Counter()
            self._by_status: Counter[int] = Counter()
            self._faults: Counter[tuple[str, str]] = Counter()
            self._connects = 0
            self._auth_failures = 0
            self._unknown_hosts = 0

    def request(
        self,
        *,
        board: str,
        host: str,
        method: str,
        route: str,
        target: str,
        status: int,
        user: str | None,
        client: str,
        fault: str | None,
        at: float | None = None,
        monotonic: float | None = None,
    ) -> None:
        record = RequestRecord(
            at=time.time() if at is None else at,
            monotonic=time.monotonic() if monotonic is None else monotonic,
            board=board,
            host=host,
            method=method,
            route=route,
            target=target,
            status=status,
            user=user,
            client=client,
            fault=fault,
        )
        with self._lock:
            self._records.append(record)
            self._by_board[board] += 1
            self._by_route[board, route] += 1
            self._by_status[status] += 1
            if user is not None:
                self._by_user[user] += 1
            if fault:
                self._faults[board, fault] += 1

    def event(self, name: str) -> None:
        with self._lock:
            if name == "connect":
                self._connects += 1
            elif name == "auth_failure":
                self._auth_failures += 1
            elif name == "unknown_host":
                self._unknown_hosts += 1

    def snapshot(self) -> Counters:
        with self._lock:
            return Counters(
                records=tuple(self._records),
                by_board=dict(self._by_board),
                by_route=dict(self._by_route),
                by_user=dict(self._by_user),
                by_status=dict(self._by_status),
                faults=dict(self._faults),
                connects=self._connects,
                auth_failures=self._auth_failures,
                unknown_hosts=self._unknown_hosts,
            )

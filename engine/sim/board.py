"""What every simulated board shares: routing by host, fault handling, query cycles."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from engine.sim.corpus import Corpus
from engine.sim.faults import Fault
from engine.sim.http import Request, Response


@dataclass(frozen=True)
class Client:
    """Who is asking, as the proxy saw it."""

    address: str  # the peer address of the connection to the proxy
    user: str | None  # proxy username, when the client authenticated


class Board:
    """One simulated site. Subclasses render pages; this class applies faults around them."""

    name = ""
    hosts: tuple[str, ...] = ()
    host_suffixes: tuple[str, ...] = ()

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._cycles: dict[tuple[object, ...], int] = {}
        self._lock = threading.Lock()

    def serves(self, host: str) -> bool:
        host = host.lower()
        return host in self.hosts or any(host.endswith(s) for s in self.host_suffixes)

    def route(self, request: Request) -> str:
        return request.path

    def respond(self, request: Request, client: Client, fault: Fault | None) -> Response:
        kind = fault.kind if fault else ""
        if kind in ("429", "403", "999"):
            return self.blocked(int(kind))
        if kind == "hang":
            return Response(0, hang=True)
        mode = kind if kind in ("malformed", "empty", "hostile", "leaky") else "normal"
        if kind == "hostile" and fault is not None and not fault.surrogates:
            mode = "hostile-utf8"
        response = self.page(request, client, mode)
        if kind == "slow" and fault is not None:
            response.delay = fault.delay
        elif kind == "truncated" and response.body:
            response.truncate_at = max(1, len(response.body) // 2)
        return response

    def page(self, request: Request, client: Client, mode: str) -> Response:
        raise NotImplementedError

    def blocked(self, status: int) -> Response:
        return Response.html(status, f"<html><body><h1>{status}</h1></body></html>")

    def cycle(self, query: tuple[object, ...], first_page: bool) -> int:
        """The query's cycle: it advances each time the first page is asked for again."""
        with self._lock:
            if first_page:
                self._cycles[query] = self._cycles[query] + 1 if query in self._cycles else 0
                if len(self._cycles) > 10_000:  # bounded: a long demo makes many queries
                    self._cycles = {query: self._cycles[query]}
            return self._cycles.get(query, 0)

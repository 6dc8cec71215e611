"""SimBoards: the simulated boards behind a local proxy, run on a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from types import TracebackType
from urllib.parse import quote

from engine.sim.corpus import Corpus
from engine.sim.counters import Counters, Recorder
from engine.sim.faults import Fault, FaultBook
from engine.sim.indeed import IndeedBoard
from engine.sim.ipecho import DEFAULT_EXIT_IP, IpEchoBoard
from engine.sim.linkedin import LinkedInBoard
from engine.sim.proxy import ProxyServer
from engine.sim.roles import ROLES
from engine.sim.tls import Authority

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

Credentials = tuple[str, str]


def known_search_terms() -> tuple[str, ...]:
    """The roles the simulated boards post (lower case): the search terms that find postings."""
    return tuple(role.title.lower() for role in ROLES)


def search_terms_hint() -> str:
    """One sentence for people choosing a search term for the simulated boards."""
    return (
        f"The simulated boards post these roles: {', '.join(known_search_terms())}. A search "
        "finds postings whose title, keywords or skills hold all its words (e.g. python "
        "developer, data engineer, nurse); other terms find nothing."
    )


class SimBoards:
    """Simulated LinkedIn, Indeed and IP echo behind an HTTP proxy on 127.0.0.1.

    Point jobspy at it with ``proxies=[sim.proxy_url], ca_cert=sim.ca_path``. ``auth`` is one
    (user, password) pair or several; with several, each is a valid credential (as for a pool of
    proxies) and ``proxy_url`` carries the first — ``proxy_url_for(user)`` gives the others.
    """

    def __init__(
        self,
        seed: int = 7,
        port: int = 0,
        auth: Credentials | Sequence[Credentials] | None = None,
        exit_ip: str = DEFAULT_EXIT_IP,
        ca_dir: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        faults: Mapping[str, Fault] | None = None,
        today: date | None = None,
    ) -> None:
        self.seed = seed
        self.host = host
        self.requested_port = port
        self.ca_dir = ca_dir
        self.users = _users(auth)
        self.corpus = Corpus(seed, today=today)
        self.linkedin = LinkedInBoard(self.corpus)
        self.indeed = IndeedBoard(self.corpus)
        self.ipecho = IpEchoBoard(self.corpus, exit_ip)
        self.fault_book = FaultBook()
        self.recorder = Recorder()
        for board, fault in (faults or {}).items():
            self.fault_book.set(board, fault)
        self._authority: Authority | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SimBoards:
        with self._lock:
            if self._thread is not None:
                return self
            authority = Authority(self.ca_dir)
            try:
                context = authority.server_context()
                listener = socket.create_server((self.host, self.requested_port), backlog=128)
            except BaseException:
                authority.close()
                raise
            self._authority = authority
            self._port = listener.getsockname()[1]
            proxy = ProxyServer(
                [self.linkedin, self.indeed, self.ipecho],
                self.fault_book,
                self.recorder,
                context,
                self.users,
                authority.ca_pem,
            )
            ready = threading.Event()
            failure: list[BaseException] = []
            self._thread = threading.Thread(
                target=self._run,
                args=(proxy, listener, ready, failure),
                name=f"jobfleet-sim:{self._port}",
                daemon=True,
            )
            self._thread.start()
        if not ready.wait(START_TIMEOUT) or failure:
            self.stop()
            raise RuntimeError(f"simulator did not start: {failure[0] if failure else 'timeout'}")
        return self

    def _run(
        self,
        proxy: ProxyServer,
        listener: socket.socket,
        ready: threading.Event,
        failure: list[BaseException],
    ) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(proxy, listener, ready))
        except BaseException as e:
            failure.append(e)
            ready.set()
        finally:
            listener.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _serve(
        self, proxy: ProxyServer, listener: socket.socket, ready: threading.Event
    ) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(proxy.handle, sock=listener, limit=256 * 1024)
        ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            await proxy.cancel_connections()
            await server.wait_closed()

    def stop(self) -> None:
        """Stop serving, drop every connection, and remove the temporary CA (idempotent)."""
        with self._lock:
            thread, loop, stop = self._thread, self._loop, self._stop
            self._thread = None
        if thread is not None:
            if loop is not None and stop is not None and not loop.is_closed():
                # the loop may close between the check and the call
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(stop.set)
            thread.join(STOP_TIMEOUT)
        self._loop = self._stop = None
        if self._authority is not None:
            self._authority.close()
            self._authority = None

    def __enter__(self) -> SimBoards:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator has not been started")
        return self._port

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def proxy_url(self) -> str:
        """The proxy URL with the first credential, e.g. http://user:secret@127.0.0.1:8899."""
        return self.proxy_url_for(next(iter(self.users)) if self.users else None)

    def proxy_url_for(self, user: str | None) -> str:
        if user is None:
            return f"http://{self.address}"
        if self.users is None or user not in self.users:
            raise KeyError(f"no such proxy user: {user}")
        password = self.users[user]
        return f"http://{quote(user, safe='')}:{quote(password, safe='')}@{self.address}"

    @property
    def masked_proxy_url(self) -> str:
        user = next(iter(self.users)) if self.users else None
        if user is None:
            return f"http://{self.address}"
        return f"http://{quote(user, safe='')}:****@{self.address}"

    @property
    def ca_path(self) -> str:
        if self._authority is None:
            raise RuntimeError("the simulator has not been started")
        return str(self._authority.ca_path)

    @property
    def exit_ip(self) -> str:
        return self.ipecho.exit_ip

    @exit_ip.setter
    def exit_ip(self, value: str) -> None:
        self.ipecho.exit_ip = value

    # -- faults and counters ------------------------------------------------------------------

    def set_fault(self, board: str, fault: Fault) -> None:
        self.fault_book.set(board, fault)

    def clear_faults(self, board: str | None = None) -> None:
        self.fault_book.clear(board)

    @property
    def faults(self) -> dict[str, tuple[Fault, int | None]]:
        """Active faults: board -> (fault, responses left or None)."""
        return self.fault_book.active()

    @property
    def counters(self) -> Counters:
        return self.recorder.snapshot()

    def reset_counters(self) -> None:
        self.recorder.reset()


def _users(auth: Credentials | Sequence[Credentials] | None) -> dict[str, str] | None:
    if not auth:
        return None
    pairs: list[Credentials]
    if isinstance(auth, tuple) and len(auth) == 2 and all(isinstance(x, str) for x in auth):
        pairs = [auth]  # type: ignore[list-item]
    else:
        pairs = list(auth)  # type: ignore[arg-type]
    users: dict[str, str] = {}
    for user, password in pairs:
        if not user or ":" in user:
            raise ValueError("a proxy user name must be non-empty and contain no ':'")
        users[user] = password
    return users

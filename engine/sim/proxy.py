"""The simulator's HTTP proxy: CONNECT with TLS termination, plain absolute-form requests, and a
small control API on the proxy's own origin.

Clients see an ordinary authenticated forward proxy. For a board host, CONNECT is answered with
200 and the tunnel is terminated here with a certificate from the local CA; the requests inside
are answered by the simulated board. Any other host gets a 502 at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from engine.sim.board import Board, Client
from engine.sim.counters import Recorder
from engine.sim.faults import Fault, FaultBook
from engine.sim.http import BadRequest, Request, Response, read_request

CONTROL_PREFIX = "/_sim/"
HANDSHAKE_TIMEOUT = 10.0


class ProxyServer:
    def __init__(
        self,
        boards: Sequence[Board],
        faults: FaultBook,
        recorder: Recorder,
        ssl_context: ssl.SSLContext,
        users: dict[str, str] | None,
        ca_pem: Callable[[], bytes],
    ) -> None:
        self.boards = list(boards)
        self.faults = faults
        self.recorder = recorder
        self.ssl_context = ssl_context
        self.users = users or None
        self.ca_pem = ca_pem
        self._tasks: set[asyncio.Task[None]] = set()

    def board_for(self, host: str) -> Board | None:
        return next((b for b in self.boards if b.serves(host)), None)

    async def cancel_connections(self) -> None:
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- connections --------------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if peer else "unknown"
        try:
            await self._serve_proxy_connection(reader, writer, address)
        except (BadRequest, OSError):  # OSError covers resets, TLS errors and timeouts
            pass  # a client that breaks the protocol or goes away only loses its connection
        except asyncio.CancelledError:
            # Only stop() cancels these tasks; ending quietly keeps asyncio's stream callback
            # from reporting the cancellation as an error.
            pass
        finally:
            writer.transport.abort()
            if task is not None:
                self._tasks.discard(task)

    async def _serve_proxy_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str
    ) -> None:
        while True:
            _quick_ack(writer)
            request = await read_request(reader)
            if request is None:
                return
            arrived = (time.time(), time.monotonic())
            if request.target.startswith(CONTROL_PREFIX):
                response = self._control(request)
                await self._send(writer, reader, response, request.keep_alive)
                if not request.keep_alive:
                    return
                continue
            ok, user = self._authorize(request, "proxy-authorization")
            if not ok:
                self.recorder.event("auth_failure")
                await self._send(writer, reader, _auth_required(), keep_alive=False)
                return
            if request.method == "CONNECT":
                self.recorder.event("connect")
                host = request.target.rsplit(":", 1)[0].strip("[]").lower()
                board = self.board_for(host)
                if board is None:
                    self.recorder.event("unknown_host")
                    await self._send(writer, reader, _bad_gateway(host), keep_alive=False)
                    return
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await writer.start_tls(self.ssl_context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
                await self._serve_tunnel(reader, writer, board, host, Client(address, user))
                return
            url = urlsplit(request.target)
            if url.scheme != "http" or not url.hostname:
                await self._send(writer, reader, Response(400, b"Bad Request"), keep_alive=False)
                return
            board = self.board_for(url.hostname)
            if board is None:
                self.recorder.event("unknown_host")
                await self._send(writer, reader, _bad_gateway(url.hostname), keep_alive=False)
                return
            if not await self._answer(
                reader, writer, request, board, url.hostname, Client(address, user), arrived
            ):
                return

    async def _serve_tunnel(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        board: Board,
        host: str,
        client: Client,
    ) -> None:
        while True:
            _quick_ack(writer)
            request = await read_request(reader)
            if request is None:
                return
            arrived = (time.time(), time.monotonic())
            if not await self._answer(reader, writer, request, board, host, client, arrived):
                return

    async def _answer(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: Request,
        board: Board,
        host: str,
        client: Client,
        arrived: tuple[float, float],
    ) -> bool:
        """Answer one board request; False when the connection must end."""
        fault = self.faults.take(board.name)
        try:
            response = board.respond(request, client, fault)
        except Exception as e:  # a bug in a board page must show up as a 500, not a hang
            response = Response(500, f"simulator error: {type(e).__name__}: {e}".encode())
        self.recorder.request(
            board=board.name,
            host=host,
            method=request.method,
            route=board.route(request),
            target=request.target,
            status=0 if response.hang else response.status,
            user=client.user,
            client=client.address,
            fault=fault.kind if fault else None,
            at=arrived[0],
            monotonic=arrived[1],
        )
        keep_alive = request.keep_alive and response.truncate_at is None
        await self._send(writer, reader, response, keep_alive)
        return keep_alive and not response.hang

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        reader: asyncio.StreamReader,
        response: Response,
        keep_alive: bool,
    ) -> None:
        if response.hang:
            # Never answer: wait until the client gives up (EOF) or the simulator stops.
            while await reader.read(65536):
                pass
            return
        if response.delay:
            await asyncio.sleep(response.delay)
        # One write for head and body: two small TLS records would meet the client's delayed
        # ACK and cost ~40 ms per response.
        body = response.body
        if response.truncate_at is not None:
            body = body[: response.truncate_at]
        writer.write(response.head(keep_alive) + body)
        await writer.drain()

    # -- auth ---------------------------------------------------------------------------------

    def _authorize(self, request: Request, header: str) -> tuple[bool, str | None]:
        """Whether the request may pass, and the username it presented (if any)."""
        user, password = _basic_credentials(request.headers.get(header, ""))
        if self.users is None:
            return True, user
        ok = user is not None and self.users.get(user) == password
        return ok, user if ok else None

    # -- control API --------------------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        ok = (
            self._authorize(request, "authorization")[0]
            or self._authorize(request, "proxy-authorization")[0]
        )
        if not ok:
            return Response.json(401, {"error": "credentials required"})
        path = request.path
        if path == "/_sim/health":
            return Response.json(200, {"ok": True})
        if path == "/_sim/counters":
            return Response.json(200, self.recorder.snapshot().as_dict())
        if path == "/_sim/ca.pem":
            return Response(200, self.ca_pem(), "application/x-pem-file")
        if path == "/_sim/faults":
            if request.method == "GET":
                return Response.json(200, self._faults_json())
            if request.method in ("POST", "PUT"):
                try:
                    spec = json.loads(request.body or b"{}")
                    fault = Fault(
                        kind=str(spec["kind"]),
                        count=None if spec.get("count") is None else int(spec["count"]),
                        delay=float(spec.get("delay", 2.0)),
                        surrogates=bool(spec.get("surrogates", True)),
                        after=int(spec.get("after", 0)),
                    )
                    self.faults.set(str(spec["board"]), fault)
                except (ValueError, KeyError, TypeError) as e:
                    return Response.json(400, {"error": str(e)})
                return Response.json(200, self._faults_json())
            if request.method == "DELETE":
                self.faults.clear(request.query.get("board"))
                return Response.json(200, self._faults_json())
            return Response.json(405, {"error": "use GET, POST or DELETE"})
        return Response.json(404, {"error": "unknown control path"})

    def _faults_json(self) -> dict[str, object]:
        return {
            board: {"kind": f.kind, "count_left": left, "delay": f.delay}
            for board, (f, left) in self.faults.active().items()
        }


def _quick_ack(writer: asyncio.StreamWriter) -> None:
    # requests sends a POST's head and body as two TLS records; with the client's Nagle and our
    # delayed ACK the body would wait ~40 ms. Quick ACKs (Linux only, and not sticky) avoid it.
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "TCP_QUICKACK", None)
    if sock is not None and option is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, option, 1)


def _basic_credentials(value: str) -> tuple[str | None, str | None]:
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        return None, None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def _auth_required() -> Response:
    return Response(
        407,
        b"Proxy Authentication Required",
        headers=[("Proxy-Authenticate", 'Basic realm="jobfleet-sim"')],
    )


def _bad_gateway(host: str) -> Response:
    return Response(502, f"Bad Gateway: {host} is not a simulated board\n".encode())

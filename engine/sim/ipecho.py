"""An ipify-style IP echo: what a proxy check sees as the exit address."""

from __future__ import annotations

from engine.sim.board import Board, Client
from engine.sim.corpus import Corpus
from engine.sim.http import Request, Response

DEFAULT_EXIT_IP = "203.0.113.10"  # TEST-NET-3: an address that is never anyone's real one


class IpEchoBoard(Board):
    name = "ipecho"
    hosts = ("api.ipify.org", "api4.ipify.org", "api64.ipify.org", "ipify.org")

    def __init__(self, corpus: Corpus, exit_ip: str = DEFAULT_EXIT_IP) -> None:
        super().__init__(corpus)
        self.exit_ip = exit_ip

    def page(self, request: Request, client: Client, mode: str) -> Response:
        if request.path != "/":
            return Response(404, b"Not Found")
        # A leaky proxy forwards the client's own address instead of its exit address.
        ip = client.address if mode == "leaky" else self.exit_ip
        if mode == "empty":
            return Response(200, b"")
        wants_json = request.query.get("format") == "json"
        if mode.startswith("hostile"):
            ip = "NaN\x00\x1b[31m[bold red]"
        if mode == "malformed":
            return Response(200, b'{"ip": "' + ip.encode()[:5], "application/json")
        if wants_json:
            return Response.json(200, {"ip": ip})
        return Response(200, ip.encode("utf-8", "surrogatepass"))

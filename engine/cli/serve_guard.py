"""Who may use ``jobfleet serve``: whoever holds this start's token, from this server's own origin.

textual-serve answers anyone: any web page open in the user's browser could open its websocket
(cross-site WebSocket hijacking), and so could any local user, and read postings and logs or stop,
kill and deploy nodes. This module wraps textual-serve's aiohttp app instead of forking it:

* a random token per start, printed once in the URL (as Jupyter does); the first request that
  carries it gets an HttpOnly, SameSite=Strict cookie, so the page's own assets and websocket
  work without it;
* the Host header must name this server (127.0.0.1 or localhost on this port), so a page on a
  rebound DNS name cannot reach it under its own name;
* the websocket's Origin must be this server's origin (browsers always send one);
* the page is jobfleet's copy of textual-serve's, without the web fonts it loaded from the
  internet, and a Content-Security-Policy keeps every fetch on this origin;
* the access log never shows the token.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from textual_serve.server import Server

from engine.cli.output import info

PAGE_DIR = Path(__file__).with_name("serve_page")
TOKEN_PARAMETER = "token"
WEBSOCKET_PATH = "/ws"
TOKEN_IN_TEXT = re.compile(r"(?<=\btoken=)[^&\s\"']+")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ServeAccess:
    """The token of one ``jobfleet serve`` start and the names this server answers to."""

    port: int
    host: str = "127.0.0.1"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def url(self) -> str:
        """The one URL that lets a browser in (printed once, never logged)."""
        return f"http://{self.host}:{self.port}/?{TOKEN_PARAMETER}={self.token}"

    @property
    def hosts(self) -> frozenset[str]:
        """Host header values for this server; a browser leaves out the default port 80."""
        names = {self.host, "localhost"} if self.host == "127.0.0.1" else {self.host}
        hosts = {f"{name}:{self.port}" for name in names}
        if self.port == 80:
            hosts |= names
        return frozenset(hosts)

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.hosts)

    @property
    def cookie_name(self) -> str:
        # Cookies ignore ports: a name per port keeps two servers from overwriting each other's.
        return f"jobfleet_serve_{self.port}"

    def token_matches(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(
            candidate.encode("utf-8", "surrogateescape"), self.token.encode()
        )

    def refusal(self, request: web.Request) -> str | None:
        """Why this request must be refused, or None if it may go through."""
        if request.headers.get(hdrs.HOST, "").lower() not in self.hosts:
            return "this server answers only to the address jobfleet serve printed"
        origin = request.headers.get(hdrs.ORIGIN)
        wants_websocket = (
            request.path == WEBSOCKET_PATH
            or request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
        )
        if (origin is not None or wants_websocket) and origin not in self.origins:
            return "requests from other web sites are refused"
        if not (
            self.token_matches(request.query.get(TOKEN_PARAMETER))
            or self.token_matches(request.cookies.get(self.cookie_name))
        ):
            return "open the address jobfleet serve printed: it carries the access token"
        return None


def security_headers(request: web.Request) -> dict[str, str]:
    """Headers that keep the page's fetches on this origin and the page out of other sites."""
    host = request.headers.get(hdrs.HOST, "").lower()
    policy = (
        "default-src 'self'; "
        # textual-serve's page has inline scripts and xterm.js writes <style> elements.
        "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self' ws://{host}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def access_middleware(access: ServeAccess) -> Middleware:
    """Middleware: refuse what ``access`` refuses; turn a valid ``?token=`` into a cookie."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        reason = access.refusal(request)
        if reason is not None:
            return web.Response(status=403, text=f"Forbidden: {reason}.\n")
        response = await handler(request)
        if not response.prepared:  # a websocket has already sent its headers
            response.headers.update(security_headers(request))
            if access.token_matches(request.query.get(TOKEN_PARAMETER)):
                response.set_cookie(
                    access.cookie_name,
                    access.token,
                    path="/",
                    httponly=True,
                    samesite="Strict",
                )
        return response

    return guard


class RedactToken(logging.Filter):
    """Blanks ``token=…`` in aiohttp's access log (request lines carry the query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message:
            record.msg, record.args = TOKEN_IN_TEXT.sub("…", message), None
        return True


class GuardedServer(Server):
    """textual-serve's Server behind :class:`ServeAccess`, with jobfleet's self-contained page."""

    def __init__(self, command: str, access: ServeAccess, *, title: str) -> None:
        super().__init__(
            command, host=access.host, port=access.port, title=title, templates_path=PAGE_DIR
        )
        self.access = access

    def initialize_logging(self) -> None:
        super().initialize_logging()
        logging.getLogger("aiohttp.access").addFilter(RedactToken())

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(access_middleware(self.access))
        return app

    async def on_startup(self, app: web.Application) -> None:
        # Instead of textual-serve's banner, whose URL lacks the token and would only get a 403.
        info(f"jobfleet web UI on {self.access.url} (Ctrl+C stops serving)")

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page's context, with URLs on the host the browser used (checked by the guard).

        textual-serve builds them from its fixed public URL, so a page opened on localhost would
        ask 127.0.0.1 for its assets and websocket, where the browser has no cookie.
        """
        return {
            "font_size": _to_int(request.query.get("fontsize"), 16),
            "app_websocket_url": f"ws://{request.headers[hdrs.HOST].lower()}{WEBSOCKET_PATH}",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }


def _to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default

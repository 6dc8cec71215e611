"""``jobfleet serve``: only the printed URL's token, from the served origin, gets in.

The real ``jobfleet serve`` runs as a process; a real HTTP and WebSocket client (aiohttp's) plays
the browser, a hostile web page (wrong Origin), a DNS-rebinding page (wrong Host) and a local user
without the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from engine.cli.serve import app_command

SECRET = "s3cret-pw-for-serve"
URL_LINE = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]+)")
EVIL = "http://evil.example"
# Generous, only to stop a hung server from hanging the suite.
START_TIMEOUT_S = 60
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=60)

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    token: str
    output: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.base

    @property
    def cookie_name(self) -> str:
        return f"jobfleet_serve_{self.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(proc: subprocess.Popen[bytes], output: Path, port: int) -> str:
    """The printed URL's token, once the server accepts connections."""
    deadline = time.monotonic() + START_TIMEOUT_S
    token = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, output.read_text()
        if token is None and (match := URL_LINE.search(output.read_text())):
            assert int(match.group(1)) == port
            token = match.group(2)
        if token is not None:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 2):
                return token
        time.sleep(0.1)
    raise AssertionError(f"jobfleet serve did not start:\n{output.read_text()}")


@contextlib.contextmanager
def serving(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    output = tmp_path / "serve.out"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one group with the per-session jobfleet it spawns
        )
    try:
        yield Served(proc, port, _wait_until_serving(proc, output, port), output)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        # Whatever the served sessions left in the group goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def served(jf_env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    with serving(jf_env, tmp_path) as server:
        yield server


def _session() -> aiohttp.ClientSession:
    # unsafe=True: the cookie jar must keep cookies from an IP address, as a browser does.
    return aiohttp.ClientSession(timeout=CLIENT_TIMEOUT, cookie_jar=aiohttp.CookieJar(unsafe=True))


def test_app_command_has_no_secret() -> None:
    assert "engine" in app_command() and "postgresql" not in app_command()


def test_page_and_assets_need_the_token(served: Served) -> None:
    async def check() -> None:
        async with _session() as http:
            for url in ("/", "/?token=wrong", "/static/js/textual.js", "/ws"):
                async with http.get(served.base + url) as resp:
                    assert resp.status in (401, 403), url
            async with http.get(
                f"{served.base}/?token={served.token}",
                headers={"Host": f"evil.example:{served.port}"},
            ) as resp:
                assert resp.status in (401, 403)
            assert not http.cookie_jar.filter_cookies(URL(served.base))

            async with http.get(f"{served.base}/?token={served.token}") as resp:
                assert resp.status == 200
                page = await resp.text()
                cookie = resp.cookies[served.cookie_name]
                assert cookie.value == served.token
                assert cookie["httponly"] and cookie["samesite"] == "Strict"
                assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
            # Nothing on the page points at another host (the web fonts used to).
            hosts = set(re.findall(r"\b(?:https?|wss?)://([^/\"'\s)]+)", page))
            assert hosts <= {f"127.0.0.1:{served.port}"}, hosts
            assert "googleapis" not in page
            assert "/static/fonts/RobotoMono" in page

            # The page's own follow-up requests carry the cookie, not the token.
            for asset in (
                "/static/js/textual.js",
                "/static/css/xterm.css",
                "/static/fonts/RobotoMono-VariableFont_wght.ttf",
            ):
                async with http.get(served.base + asset) as resp:
                    assert resp.status == 200, asset
            async with http.get(served.base + "/") as resp:
                assert resp.status == 200

    asyncio.run(check())
    output = served.output.read_text()
    # Printed once, in the URL; the access log shows the requests without it.
    assert output.count(served.token) == 1, output
    assert "GET /?token=" in output


def test_websocket_needs_the_token_and_this_origin(served: Served) -> None:
    ws_url = f"ws://127.0.0.1:{served.port}/ws?width=80&height=24"
    with_token = f"{ws_url}&token={served.token}"

    async def refused(url: str, **kwargs: Any) -> None:
        async with _session() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refusal:
                await http.ws_connect(url, **kwargs)
            assert refusal.value.status in (401, 403)

    async def check() -> None:
        await refused(ws_url, origin=served.origin)  # a local user without the token
        await refused(with_token, origin=EVIL)  # another web site, even holding the token
        await refused(with_token, origin=f"{EVIL}:{served.port}")
        await refused(with_token)  # no Origin: not a browser on this page
        await refused(  # a DNS-rebinding page: its own name in Host and Origin
            with_token,
            origin=f"{EVIL}:{served.port}",
            headers={"Host": f"evil.example:{served.port}"},
        )
        await refused(
            with_token, origin=served.origin, headers={"Host": f"evil.example:{served.port}"}
        )

        # The browser's way: the page sets the cookie, its script opens the socket with it.
        async with _session() as http:
            async with http.get(f"{served.base}/?token={served.token}") as resp:
                assert resp.status == 200
            async with http.ws_connect(ws_url, origin=served.origin) as ws:  # 101 or it raises
                await ws.send_json(["ping", "hello"])
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.TEXT and message.json() == [
                        "pong",
                        "hello",
                    ]:
                        break
                else:
                    raise AssertionError("the served session closed without answering")

    asyncio.run(check())


def test_no_secret_in_argv(tmp_path: Path) -> None:
    env = dict(os.environ)
    # Never contacted: serving the page does not open the database.
    env["JOBFLEET_DATABASE_URL"] = f"postgresql://jf:{SECRET}@127.0.0.1:1/jobfleet"
    env["JOBFLEET_HOME"] = str(tmp_path)
    with serving(env, tmp_path) as server:

        async def page() -> str:
            async with (
                _session() as http,
                http.get(f"{server.base}/?token={server.token}") as resp,
            ):
                assert resp.status == 200
                return await resp.text()

        assert "jobfleet" in asyncio.run(page())
        cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().decode()
        assert SECRET not in cmdline and server.token not in cmdline

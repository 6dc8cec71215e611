"""A local receiver for apprise's ``json://127.0.0.1:PORT/…`` URLs: a tiny http.server in a thread
that keeps every message it is sent (apprise posts {"version", "title", "message", "type"})."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, *, status: int = 200) -> None:
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # path and headers too
        self.status = status
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    code = receiver.status
                    if code == 200:
                        receiver.messages.append(json.loads(raw or b"{}"))
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": raw}
                    )
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "hook", token: str = "") -> str:
        query = f"?token={token}" if token else ""
        return f"json://127.0.0.1:{self.port}/{path}{query}"

    def titles(self) -> list[str]:
        with self._lock:
            return [str(m.get("title", "")) for m in self.messages]

    def wait_for(self, predicate: Any, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Wait until ``predicate(messages)`` holds; fail (not hang) after a generous timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                messages = list(self.messages)
            if predicate(messages):
                return messages
            time.sleep(0.05)
        raise AssertionError(f"receiver: condition not met; got {self.titles()}")

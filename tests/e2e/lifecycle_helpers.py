"""Helpers for the end-to-end lifecycle tests: a headless supervisor process, waiting, process
scans, and a TCP proxy in front of Postgres that can be cut to simulate an outage."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import psycopg

# Small timings so a test sees stale heartbeats, backoff and grace quickly.
FAST_SETTINGS = {
    "JOBFLEET_HEARTBEAT_INTERVAL": "0.5",
    "JOBFLEET_STALE_AFTER": "3",
    "JOBFLEET_HOST_STALE_AFTER": "5",
    "JOBFLEET_STOP_GRACE": "2",
    "JOBFLEET_START_SECS": "2",
    "JOBFLEET_START_RETRIES": "4",
    "JOBFLEET_BACKOFF_BASE": "0.5",
    "JOBFLEET_BACKOFF_MAX": "4",
    "JOBFLEET_SEARCH_TIMEOUT": "60",
    "JOBFLEET_MIN_AVAILABLE_MB": "50",
}
TIMEOUT = 90.0


def wait_for(
    predicate: Callable[[], Any], timeout: float = TIMEOUT, what: str = "condition"
) -> Any:
    """Poll until ``predicate()`` is truthy; fail (not hang) after a generous timeout."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (psycopg.OperationalError, psutil.Error) as exc:
            last_exc = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f" ({last_exc})" if last_exc else ""))


class SupervisorProc:
    """``python -m engine --no-ui`` as a real process (so it can be kill -9'd)."""

    def __init__(self, env: dict[str, str], log_dir: Path, *extra: str) -> None:
        self.env = env
        self.log_dir = log_dir
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> SupervisorProc:
        self.runs += 1
        log = open(self.log_dir / f"supervisor-{self.runs}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine", "--no-ui", *self.extra],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


def worker_processes(db_url: str) -> list[psutil.Process]:
    """Every live ``engine.worker`` process started for this test's database."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmd = proc.info["cmdline"] or []
            if "engine.worker" not in cmd or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get("JOBFLEET_DATABASE_URL") == db_url:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def workers_by_node(db_url: str) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for proc in worker_processes(db_url):
        with contextlib.suppress(psutil.Error, ValueError, IndexError):
            out.setdefault(int(proc.cmdline()[-1]), []).append(proc.pid)
    return out


def kill_workers(db_url: str) -> None:
    for proc in worker_processes(db_url):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            for child in proc.children(recursive=True):
                child.kill()


class PgProxy:
    """A TCP forwarder to Postgres (TCP or unix socket) that can be cut and restored."""

    def __init__(self, db_url: str) -> None:
        params = psycopg.conninfo.conninfo_to_dict(db_url)
        self.params = params
        host = str(params.get("host") or "/tmp")
        port = int(params.get("port") or 5432)
        if host.startswith("/"):
            self.upstream: Any = (socket.AF_UNIX, f"{host}/.s.PGSQL.{port}")
        else:
            self.upstream = (socket.AF_INET, (host, port))
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.port = 0
        self._listen()

    @property
    def url(self) -> str:
        params = dict(self.params)
        params["host"] = "127.0.0.1"
        params["port"] = str(self.port)
        return psycopg.conninfo.make_conninfo(**params)

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                client, _ = sock.accept()
            except OSError:
                return
            if sock is not self._listener:  # accepted while being cut: the server is "away"
                client.close()
                return
            try:
                upstream = socket.socket(self.upstream[0], socket.SOCK_STREAM)
                upstream.connect(self.upstream[1])
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The server 'goes away': every connection drops and new ones are refused."""
        if self._listener is not None:
            listener, self._listener = self._listener, None
            # shutdown() wakes the thread blocked in accept(); close() alone would not, and that
            # accept would still let one more connection through after the cut.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def restore(self) -> None:
        self._listen()

    def close(self) -> None:
        self.cut()

"""Process operations behind one small object, so the supervisor's logic can run on a fake.

A process is identified by its pid *and* its create time (psutil): pids are reused, and
``psutil.pid_exists`` says yes for whatever process owns the number now. Nothing here signals a
pid whose create time differs from the recorded one. Workers are started with
``start_new_session=True``, so a worker's process group id is its pid and ``os.killpg`` reaches
everything it started in that group; scrape children run in sessions of their own, so the
worker's descendants are signalled too while the worker is still there to find them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil

from engine.protocol import WORKER_MODULE

# Create times are floats computed from boot time and start ticks; the same process always gives
# the same value, so a small tolerance only absorbs float formatting through the database.
CREATE_TIME_TOLERANCE = 0.05


@dataclass(frozen=True)
class Identity:
    pid: int
    create_time: float

    def matches(self, other: Identity | None) -> bool:
        return (
            other is not None
            and other.pid == self.pid
            and abs(other.create_time - self.create_time) < CREATE_TIME_TOLERANCE
        )


def _private_dir(path: Path) -> None:
    """Workers' logs may quote scraped data and errors: the directory is its owner's only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        if path.stat().st_mode & 0o077:  # made by an older version, or through the umask
            path.chmod(0o700)


class Procs:
    """Real process operations (tests swap in a fake with the same methods)."""

    def __init__(self) -> None:
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def spawn(self, argv: list[str], env: dict[str, str], log_path: Path | None = None) -> Identity:
        """Start ``argv`` in a new session; stdout/stderr go to ``log_path`` (appended)."""
        out: int | object = subprocess.DEVNULL
        log_fd = None
        if log_path is not None:
            _private_dir(log_path.parent)
            log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            out = log_fd
        try:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,  # type: ignore[arg-type]
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            if log_fd is not None:
                os.close(log_fd)
        self._children[proc.pid] = proc
        ident = self.identity(proc.pid)
        if ident is None:
            # Exited before we could look at it (psutil needs /proc): keep a placeholder that
            # matches nothing alive, the reaper will report its exit.
            return Identity(proc.pid, 0.0)
        return ident

    def identity(self, pid: int) -> Identity | None:
        try:
            return Identity(pid, psutil.Process(pid).create_time())
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            return None

    def is_alive(self, ident: Identity) -> bool:
        """The very process recorded (same create time) exists and is not a zombie."""
        try:
            proc = psutil.Process(ident.pid)
            if not ident.matches(Identity(ident.pid, proc.create_time())):
                return False
            return proc.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            return False

    def is_child(self, pid: int) -> bool:
        return pid in self._children

    def looks_like_worker(self, ident: Identity, node_id: int) -> bool:
        """Extra care before adopting: the process runs ``engine.worker`` for this node."""
        try:
            cmd = psutil.Process(ident.pid).cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False
        return WORKER_MODULE in cmd and str(node_id) in cmd

    def signal_group(self, ident: Identity, sig: int) -> bool:
        """Send ``sig`` to the worker's process group and to the groups of its descendants.

        Returns False (and signals nothing) unless the recorded process is the one alive now.
        """
        if not self.is_alive(ident):
            return False
        groups: set[int] = set()
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(ident.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error, OSError):
                    groups.add(os.getpgid(child.pid))
        groups.discard(ident.pid)
        # The worker's own group first (the pgid of a session leader is its pid).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(ident.pid, sig)
        for pgid in groups:
            if pgid in (0, 1, os.getpgid(0)):
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
        return True

    def signal_worker(self, ident: Identity, sig: int) -> bool:
        """Send ``sig`` to the worker process alone (not its scrape children); False unless the
        recorded process is the one alive now."""
        if not self.is_alive(ident):
            return False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(ident.pid, sig)
        return True

    def reap(self) -> list[tuple[int, int]]:
        """(pid, exit code) of spawned children that have exited (negative code = signal)."""
        done = []
        for pid, proc in list(self._children.items()):
            code = proc.poll()
            if code is not None:
                done.append((pid, code))
                del self._children[pid]
        return done

    def forget(self, pid: int) -> None:
        self._children.pop(pid, None)

    def rss(self, ident: Identity) -> int | None:
        try:
            proc = psutil.Process(ident.pid)
            if not ident.matches(Identity(ident.pid, proc.create_time())):
                return None
            return int(proc.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None

    def available_memory(self) -> int:
        return int(psutil.virtual_memory().available)

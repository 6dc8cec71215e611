"""One scrape in a disposable child process, killed outright when it overruns.

``run_scrape`` starts ``python -m engine.worker.scrape_child`` in a session (and process group) of
its own, hands it the request on stdin (proxy URLs carry passwords: never on the command line, where
``ps`` shows them), and waits at most ``timeout`` seconds. At the deadline the whole group gets
SIGKILL: jobspy's scrapers can hang past their own timeouts, and neither ``future.cancel()`` nor
``shutdown(cancel_futures=True)`` stops a running task — only killing the process does.

The child scrapes each site in its own thread and appends one JSON line per finished site to a
private result file, so a site that hangs costs only its own results: the sites that finished
before the deadline are kept, the others are reported as ``timeout``.

This module is imported by the long-lived worker, so it must not import pandas or jobspy (the
child does); even ``engine.jobs.record`` is imported only when records come back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from engine.redact import mask_text

if TYPE_CHECKING:
    from engine.jobs.record import JobRecord

log = logging.getLogger(__name__)

SiteOutcomeKind = Literal["ok", "blocked", "timeout", "error"]
CHILD_MODULE = "engine.worker.scrape_child"
# How much of the child's stderr is kept to explain a crash.
STDERR_TAIL = 4000

# jobspy 1.4.1 reports a failed board as a string in df.attrs["errors"][site], for instance
# "response status code 429 (blocked: use a proxy)", "response status code 999", or LinkedIn's
# "unexpected page with no jobs (blocked?)".
_BLOCKED = re.compile(r"status code (?:403|429|999)\b|\bblocked\b", re.IGNORECASE)


@dataclass(frozen=True)
class ScrapeRequest:
    sites: list[str]
    search_term: str
    location: str | None
    country: str  # ISO 3166-1 alpha-2
    results_wanted: int = 20
    hours_old: int | None = None
    proxies: list[str] = field(default_factory=list)  # real URLs, secrets resolved
    ca_cert: str | None = None
    node_id: int | None = None
    timeout: float = 180.0

    # Other secret values to mask (the worker's registry: e.g. an API key in the user slot).
    # Never sent to the child: run_scrape leaves it out of the payload.
    masked: tuple[str, ...] = field(default=(), repr=False)

    def secrets(self) -> list[str]:
        """Proxy passwords and ``masked``, to be masked out of every message that leaves this
        module."""
        found: list[str] = list(self.masked)
        for proxy in self.proxies:
            with contextlib.suppress(ValueError):
                parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
                if parts.password:
                    # Messages may quote the password as written or percent-decoded.
                    found.extend({parts.password, unquote(parts.password)})
        return found


@dataclass(frozen=True)
class SiteOutcome:
    site: str
    outcome: SiteOutcomeKind
    found: int = 0
    error: str | None = None


@dataclass
class ScrapeResult:
    records: list[JobRecord]
    outcomes: list[SiteOutcome]
    started_at: datetime
    finished_at: datetime

    def outcome_of(self, site: str) -> SiteOutcome | None:
        return next((o for o in self.outcomes if o.site == site), None)


def classify(error: str | None) -> SiteOutcomeKind:
    """The outcome of a site from jobspy's error string for it (None: the site succeeded)."""
    if not error:
        return "ok"
    return "blocked" if _BLOCKED.search(error) else "error"


def _child_command() -> list[str]:
    # -I would drop the checkout from sys.path; the child must import engine like its parent.
    return [sys.executable, "-m", CHILD_MODULE]


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_scrape(req: ScrapeRequest) -> ScrapeResult:
    """Run one scrape in a fresh child process; never raises for a board's failure."""
    if not req.sites:
        raise ValueError("a scrape needs at least one site")
    started_at = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="jobfleet-scrape-"))  # mode 0700
    out_path = workdir / "result.jsonl"
    err_path = workdir / "stderr.txt"
    request = {k: v for k, v in asdict(req).items() if k != "masked"}
    payload = json.dumps({**request, "out": str(out_path)}).encode()
    proc: subprocess.Popen[bytes] | None = None
    timed_out = False
    returncode: int | None = None
    try:
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                _child_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                close_fds=True,
                env=_child_env(),
            )
        deadline = time.monotonic() + max(req.timeout, 0.1)
        try:
            assert proc.stdin is not None
            proc.stdin.write(payload)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once; its stderr says why
        try:
            returncode = proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            returncode = proc.wait()
        # Whatever the child started lives in its group: nothing may outlive the scrape.
        _kill_group(proc.pid)
        finished = _read_results(out_path)
        stderr_tail = _tail(err_path)
    except BaseException:
        if proc is not None and proc.returncode is None:
            _kill_group(proc.pid)
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _assemble(req, started_at, finished, timed_out, returncode, stderr_tail)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must not inherit the database URL: it never talks to Postgres.
    env.pop("JOBFLEET_DATABASE_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    # The child exits when this process dies (engine.worker.scrape_child watches its parent).
    env["JOBFLEET_SCRAPE_PARENT"] = str(os.getpid())
    return env


def _read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Site results the child completed; a line cut short by the kill is ignored."""
    results: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return results
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                break
            results[item["site"]] = item
    return results


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()[-STDERR_TAIL:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace").strip()


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _assemble(
    req: ScrapeRequest,
    started_at: datetime,
    finished: dict[str, dict[str, Any]],
    timed_out: bool,
    returncode: int | None,
    stderr_tail: str,
) -> ScrapeResult:
    from engine.jobs.record import record_from_dict

    secrets = req.secrets()
    records: list[JobRecord] = []
    outcomes: list[SiteOutcome] = []
    crash = _last_line(stderr_tail)
    for site in req.sites:
        item = finished.get(site)
        if item is not None:
            site_records = [record_from_dict(r) for r in item.get("records", ())]
            records.extend(site_records)
            error = item.get("error")
            masked = mask_text(error, secrets) if error else None
            kind: SiteOutcomeKind = item.get("outcome") or classify(error)
            outcomes.append(SiteOutcome(site, kind, len(site_records), masked))
        elif timed_out:
            outcomes.append(
                SiteOutcome(site, "timeout", 0, f"no answer within {req.timeout:g} s; killed")
            )
        else:
            reason = crash or f"the scrape process exited with code {returncode}"
            outcomes.append(SiteOutcome(site, "error", 0, mask_text(reason, secrets)))
    return ScrapeResult(records, outcomes, started_at, datetime.now(UTC))

"""The scrape child's process handling, with stand-in children (no jobspy, no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

import engine.worker.scrape as scrape
from engine.worker.scrape import ScrapeRequest, classify, run_scrape


def request(**overrides: object) -> ScrapeRequest:
    fields: dict[str, object] = {
        "sites": ["linkedin", "indeed"],
        "search_term": "rust",
        "location": "Austin, TX",
        "country": "US",
        "results_wanted": 5,
        "proxies": ["http://scout:hunter2@127.0.0.1:9"],
        "timeout": 3.0,
    }
    fields.update(overrides)
    return ScrapeRequest(**fields)  # type: ignore[arg-type]


def fake_child(monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """Replace the child's command with a small script that gets the same stdin."""
    code = "import json, os, subprocess, sys, time\nreq = json.loads(sys.stdin.read())\n"
    code += textwrap.dedent(script)
    monkeypatch.setattr(scrape, "_child_command", lambda: [sys.executable, "-c", code])


RECORD = {
    "job_url": "https://www.linkedin.com/jobs/view/1",
    "site": "linkedin",
    "title": "Rust Engineer",
    "date_posted": "2026-01-02",
    "extra": {},
}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, "ok"),
        ("", "ok"),
        ("response status code 429 (blocked: use a proxy)", "blocked"),
        ("response status code 403 (blocked: use a proxy)", "blocked"),
        ("response status code 999", "blocked"),
        ("unexpected page with no jobs (blocked?)", "blocked"),
        ("response status code 500", "error"),
        ("('Connection broken: IncompleteRead(10 bytes read, 5 more expected)'", "error"),
    ],
)
def test_classify(error: str | None, expected: str) -> None:
    assert classify(error) == expected


def test_the_long_lived_worker_imports_no_pandas_jobspy_or_supervisor() -> None:
    # Everything the worker process loads, including what its scrape loop imports on first use.
    code = (
        "import sys, engine.worker.__main__, engine.worker.loop, engine.jobs.ingest\n"
        "heavy = sorted(m for m in ('pandas', 'jobspy', 'numpy') if m in sys.modules)\n"
        "heavy += sorted(m for m in sys.modules if m.startswith('engine.supervisor'))\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_request_travels_on_stdin_and_results_come_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_child(
        monkeypatch,
        f"""
        assert "hunter2" not in " ".join(sys.argv)
        assert req["proxies"] == ["http://scout:hunter2@127.0.0.1:9"]
        with open(req["out"], "a") as out:
            out.write(json.dumps({{"site": "linkedin", "outcome": "ok", "error": None,
                                  "records": [{json.dumps(RECORD)}]}}) + "\\n")
            out.write(json.dumps({{"site": "indeed", "outcome": "blocked",
                "error": "response status code 429 via http://scout:hunter2@127.0.0.1:9",
                "records": []}}) + "\\n")
        """,
    )
    result = run_scrape(request())
    assert [r.job_url for r in result.records] == [RECORD["job_url"]]
    linkedin, indeed = result.outcomes
    assert (linkedin.site, linkedin.outcome, linkedin.found) == ("linkedin", "ok", 1)
    assert (indeed.outcome, indeed.found) == ("blocked", 0)
    assert indeed.error is not None and "hunter2" not in indeed.error
    assert result.finished_at >= result.started_at


def test_hung_child_and_its_children_are_killed_at_the_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    fake_child(
        monkeypatch,
        f"""
        with open(req["out"], "a") as out:
            out.write(json.dumps({{"site": "linkedin", "outcome": "ok", "error": None,
                                  "records": []}}) + "\\n")
            out.write('{{"site": "indeed", "partial')  # cut short by the kill
            out.flush()
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open({str(pids)!r}, "w") as f:
            f.write(f"{{os.getpid()}} {{grandchild.pid}}")
        time.sleep(600)
        """,
    )
    # Long enough for a loaded machine to start the child and let it write.
    result = run_scrape(request(timeout=8.0))
    assert [(o.site, o.outcome) for o in result.outcomes] == [
        ("linkedin", "ok"),
        ("indeed", "timeout"),
    ]
    child, grandchild = (int(p) for p in pids.read_text().split())

    def dead(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    # SIGKILL was sent to the whole group; on a loaded machine a process may be scheduled a
    # little later to die. Wait for that (a generous cap only stops a hang).
    deadline = time.monotonic() + 30
    while not all(dead(pid) for pid in (child, grandchild)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dead(child) and dead(grandchild)
    assert not [p for p in psutil.Process().children(recursive=True) if p.pid == child]


def test_crashed_child_reports_its_last_words_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_child(
        monkeypatch,
        """
        sys.stderr.write("Traceback ...\\nRuntimeError: proxy http://scout:hunter2@x:1 broke\\n")
        sys.exit(3)
        """,
    )
    result = run_scrape(request())
    assert {o.outcome for o in result.outcomes} == {"error"}
    message = result.outcomes[0].error or ""
    assert "RuntimeError" in message and "hunter2" not in message


def test_secrets_of_the_request() -> None:
    req = request(proxies=["http://u:p4ss@h:1", "h2:3128", "socks5://a:b%40c@h:1"])
    assert sorted(req.secrets()) == ["b%40c", "b@c", "p4ss"]


def test_child_environment_has_no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBFLEET_DATABASE_URL", "postgresql://u:secret@h/db")
    assert "JOBFLEET_DATABASE_URL" not in scrape._child_env()
    assert os.environ["JOBFLEET_DATABASE_URL"]
    assert json.dumps(scrape._child_command())


def test_registered_secrets_are_masked_too() -> None:
    req = request(proxies=["http://api-key-in-user-slot@h:1"], masked=("api-key-in-user-slot",))
    assert req.secrets() == ["api-key-in-user-slot"]
    assert "masked" not in repr(req)

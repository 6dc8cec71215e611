"""The real ``jobfleet demo`` in tmux: cards appear, job counts rise, the stop key stops a node,
and Ctrl+Q quits (stopping the workers, as the demo recommends: its boards die with it).

tmux runs on a private socket, started by this test with the test's environment (its own
database and JOBFLEET_HOME), so nothing leaks from or into a tmux server the user runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import psycopg
import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

EXIT_MARK = "JF-E2E-EXITED"
JOBS = re.compile(r"jobs ([\d,]+) / ([\d,]+) new")


class Tmux:
    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"jf-e2e-{uuid.uuid4().hex[:8]}"
        self.env = env

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "jf")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "jf", *keys)

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.run("kill-server")


def wait_screen(tmux: Tmux, condition: Callable[[str], Any], what: str, cap: float = 90) -> Any:
    deadline = time.monotonic() + cap
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux.screen()
        value = condition(screen)
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; screen:\n{screen}")


def node_rows(db_url: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute("SELECT name, status::text AS status, pid FROM nodes").fetchall()
    return {r["name"]: r for r in rows}


def total_jobs(screen: str) -> int:
    return sum(int(found.replace(",", "")) for found, _ in JOBS.findall(screen))


def kill_leftover_workers(db_url: str) -> None:
    with contextlib.suppress(Exception):
        for row in node_rows(db_url).values():
            pid = row["pid"]
            if not pid:
                continue
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                proc = psutil.Process(pid)
                if "engine.worker" in " ".join(proc.cmdline()):
                    os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def tmux(jf_env: dict[str, str], db_url: str) -> Iterator[Tmux]:
    env = dict(jf_env)
    env["TERM"] = "xterm-256color"
    env.pop("TMUX", None)
    session = Tmux(env)
    try:
        yield session
    finally:
        session.kill()
        kill_leftover_workers(db_url)


def test_demo_in_tmux(tmux: Tmux, db_url: str) -> None:
    command = f"{sys.executable} -m engine demo; echo {EXIT_MARK} $?; sleep 60"
    tmux.run("new-session", "-d", "-s", "jf", "-x", "160", "-y", "50", command)

    # Cards appear, the embedded supervisor runs them.
    wait_screen(
        tmux,
        lambda s: all(n in s for n in ("demo-data-de", "demo-nurse-gb", "demo-python-us")),
        "three demo cards",
    )
    wait_screen(tmux, lambda s: "supervisor: here" in s, "supervisor: here in the header")
    wait_screen(tmux, lambda s: s.count("running") >= 3, "three running nodes")

    # Job counts rise.
    first = wait_screen(tmux, total_jobs, "first jobs found")
    wait_screen(tmux, lambda s: total_jobs(s) > first, "job counts rising", cap=120)

    # The first card (sorted by name) is selected: the stop key stops it.
    tmux.keys("x")
    wait_screen(
        tmux, lambda s: re.search(r"demo-data-de\s+stopped", s), "demo-data-de shown stopped"
    )
    rows = node_rows(db_url)
    assert rows["demo-data-de"]["status"] == "stopped"
    assert rows["demo-python-us"]["status"] == "running"

    # Ctrl+Q asks (workers run), the demo recommends stopping them; the app exits cleanly.
    tmux.keys("C-q")
    wait_screen(tmux, lambda s: "Stop workers" in s, "quit dialog")
    tmux.keys("s")
    code = wait_screen(
        tmux, lambda s: re.search(rf"{EXIT_MARK} (\d+)", s), "jobfleet exits", cap=60
    )
    assert code.group(1) == "0"
    rows = node_rows(db_url)
    alive = [
        r["name"]
        for r in rows.values()
        if r["pid"] and psutil.pid_exists(r["pid"]) and r["status"] != "stopped"
    ]
    assert alive == [], f"workers left running: {alive} ({rows})"

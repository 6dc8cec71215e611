"""A scrape child never outlives its parent, even one killed with SIGKILL.

The child runs in a session of its own (the parent kills its group at the deadline), so nothing
would reach it when its parent dies unasked. Here the child is kept busy forever (its stdin stays
open in the test, so it waits for its request without end): without its parent watch it would
live until the test closed the pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from tests.e2e.lifecycle_helpers import wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for a worker: it starts the child exactly as engine.worker.scrape.run_scrape does (own
# session, the environment of _child_env), hands it a stdin the test keeps open, and waits.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from engine.worker.scrape import _child_command, _child_env
    fd = int(sys.argv[1])
    child = subprocess.Popen(
        _child_command(), stdin=fd, stdout=subprocess.DEVNULL, start_new_session=True,
        env=_child_env(),
    )
    print(child.pid, flush=True)
    time.sleep(600)
    """
)


def _gone(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_scrape_child_exits_when_its_parent_is_killed() -> None:
    read_end, write_end = os.pipe()
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(read_end)],
        pass_fds=(read_end,),
        stdout=subprocess.PIPE,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(read_end)
    child: psutil.Process | None = None
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        # Exec'd (the pid may still show the forking interpreter), its parent watch running (a
        # second thread), and blocked on the request.
        wait_for(
            lambda: "engine.worker.scrape_child" in child.cmdline() and child.num_threads() >= 2,
            timeout=60,
            what="the child's parent watch",
        )
        assert not _gone(child)

        parent.kill()
        parent.wait(10)
        wait_for(lambda: _gone(child), timeout=60, what="the orphaned scrape child to exit")
    finally:
        os.close(write_end)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(10)
        if child is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)

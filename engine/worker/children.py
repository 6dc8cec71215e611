"""The worker's own children: a worker that stops mid-scrape takes its scrape children with it."""

from __future__ import annotations

import contextlib
import os
import signal

import psutil


def kill_descendant_groups(sig: int = signal.SIGKILL) -> int:
    """Signal the process groups of this process's descendants (a worker stopping mid-scrape)."""
    me = os.getpgid(0)
    groups = set()
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error, OSError):
                groups.add(os.getpgid(child.pid))
    groups.discard(me)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    return len(groups)

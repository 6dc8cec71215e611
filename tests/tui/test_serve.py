"""``jobfleet serve`` answers on 127.0.0.1 and keeps the database password off command lines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from engine.cli.serve import app_command

SECRET = "s3cret-pw-for-serve"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_app_command_has_no_secret() -> None:
    assert "engine" in app_command() and "postgresql" not in app_command()


@pytest.mark.e2e
def test_serve_answers_on_localhost_without_secrets_in_argv(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ)
    # Never contacted: serving the page does not open the database.
    env["JOBFLEET_DATABASE_URL"] = f"postgresql://jf:{SECRET}@127.0.0.1:1/jobfleet"
    env["JOBFLEET_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        page = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    page = resp.read().decode("utf-8", "replace")
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert "jobfleet" in page
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
        assert SECRET not in cmdline
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()

"""`jobfleet hosts`, the supervisor-presence column of `nodes`, and the warning after a request
that no supervisor will act on — with a real headless supervisor process where one must run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli import jobfleet

SPEC = ("--search", "python", "--country", "DE", "--location", "Berlin")


def _hosts(env: dict[str, str]) -> list[dict[str, Any]]:
    proc = jobfleet(env, "hosts", "--json", check=True)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def supervisor(jf_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """`python -m engine --no-ui` on host "sup-host"; yields its environment once it is alive."""
    env = {**jf_env, "JOBFLEET_HOST_NAME": "sup-host"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "--no-ui", "--stop-workers"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(h["name"] == "sup-host" and h["alive"] for h in _hosts(env)):
            assert proc.poll() is None, "the supervisor exited"
            assert time.monotonic() < deadline, "the supervisor never came alive"
            time.sleep(0.2)
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_requests_without_a_supervisor_warn(jf_env: dict[str, str]) -> None:
    deploy = jobfleet(jf_env, "deploy", "--name", "alone", *SPEC)
    assert deploy.returncode == 0, deploy.stderr
    assert "no supervisor" in deploy.stderr and "jobfleet --no-ui" in deploy.stderr
    for command in ("start", "restart"):
        proc = jobfleet(jf_env, command, "alone")
        assert proc.returncode == 0, proc.stderr
        assert "request recorded" in proc.stderr
        assert "no supervisor is running on any host" in proc.stderr, (command, proc.stderr)
    # Stopping a node that is already stopped needs nobody: no warning.
    again = jobfleet(jf_env, "stop", "alone")
    assert again.returncode == 0 and "no supervisor" not in again.stderr
    pinned = jobfleet(jf_env, "deploy", "--name", "far", "--host", "far-host", *SPEC)
    assert "no supervisor is running for host far-host" in pinned.stderr
    assert "on host far-host" in pinned.stderr
    listed = json.loads(jobfleet(jf_env, "nodes", "--json", check=True).stdout)
    assert [n["supervisor_alive"] for n in listed] == [False, False]
    table = jobfleet(jf_env, "nodes", check=True)
    assert "sup" in table.stdout.splitlines()[0]
    assert "no supervisor" in table.stderr
    hosts = _hosts(jf_env)
    assert [(h["name"], h["alive"], h["nodes"]) for h in hosts] == [("far-host", False, 1)]


def test_a_live_supervisor_silences_the_warning(
    jf_env: dict[str, str], supervisor: dict[str, str]
) -> None:
    deploy = jobfleet(jf_env, "deploy", "--name", "cared", "--no-start", *SPEC)
    assert deploy.returncode == 0, deploy.stderr
    proc = jobfleet(jf_env, "start", "cared")
    assert proc.returncode == 0 and "request recorded" in proc.stderr
    assert "no supervisor" not in proc.stderr
    # Pinned to a host nobody supervises: still a warning, naming that host.
    far = jobfleet(jf_env, "deploy", "--name", "far", "--host", "far-host", *SPEC)
    assert "no supervisor is running for host far-host" in far.stderr
    listed = {n["name"]: n for n in json.loads(jobfleet(jf_env, "nodes", "--json").stdout)}
    assert listed["cared"]["supervisor_alive"] is True
    assert listed["far"]["supervisor_alive"] is False
    hosts = {h["name"]: h for h in _hosts(jf_env)}
    live = hosts["sup-host"]
    assert live["alive"] is True and live["locked"] is True and live["lease_fresh"] is True
    assert isinstance(live["supervisor_pid"], int)
    assert 0 <= live["lease_age_s"] < 30
    assert live["version"] and live["cpus"]
    for key in ("name", "alive", "supervisor_pid", "lease_age_s", "nodes", "version"):
        assert key in hosts["far-host"]
    assert hosts["far-host"]["alive"] is False
    text = jobfleet(jf_env, "hosts", check=True).stdout
    assert "sup-host" in text and "alive" in text


def test_hosts_after_the_supervisor_left(jf_env: dict[str, str]) -> None:
    env = {**jf_env, "JOBFLEET_HOST_NAME": "gone-host"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "--no-ui"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(h["alive"] for h in _hosts(env)):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    (host,) = _hosts(env)
    assert host["name"] == "gone-host" and host["alive"] is False and host["locked"] is False


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "search", "--days", "99999999999"),
        ("export", "--days", "99999999999"),
        ("jobs", "show", "99999999999999999999"),
        ("deploy", "--name", "x", *SPEC, "--results", "99999999999"),
        ("deploy", "--name", "x", *SPEC, "--max-cycles", "0"),
        ("deploy", "--name", "x", *SPEC, "--cycle-minutes", "1e12"),
        ("logs", "--all", "-n", "99999999999"),
    ],
)
def test_out_of_range_integers_are_one_sentence(jf_env: dict[str, str], args: tuple[str]) -> None:
    proc = jobfleet(jf_env, *args)
    assert proc.returncode == 2, proc.stderr
    assert "is not in the range" in proc.stderr
    assert "Traceback" not in proc.stderr and "NumericValueOutOfRange" not in proc.stderr


def test_out_of_range_node_id_is_unknown(jf_env: dict[str, str]) -> None:
    proc = jobfleet(jf_env, "stop", "99999999999999999999")
    assert proc.returncode == 1
    assert "no node" in proc.stderr and "Traceback" not in proc.stderr

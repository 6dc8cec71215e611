"""Starting and stopping leaves nothing behind; the CA can persist; the CLI runs and stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import click
import psutil
import pytest
import requests
from click.testing import CliRunner

from engine.sim import Fault, SimBoards

IPIFY = "https://api.ipify.org/?format=json"


def _listening(port: int) -> bool:
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
        for c in psutil.Process().net_connections("tcp")
    )


def _sim_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("jobfleet-sim")]


def test_stop_leaves_no_thread_port_connection_or_temp_ca() -> None:
    threads_before = set(threading.enumerate())
    sim = SimBoards(auth=("u", "p")).start()
    port, ca_dir = sim.port, Path(sim.ca_path).parent
    assert _listening(port) and Path(sim.ca_path).is_file()
    session = requests.Session()  # keeps its tunnel open after the answer
    assert session.get(IPIFY, proxies={"https": sim.proxy_url}, verify=sim.ca_path).ok
    sim.stop()
    assert set(threading.enumerate()) <= threads_before
    assert _sim_threads() == []
    assert not _listening(port)
    open_to_port = [
        c for c in psutil.Process().net_connections("tcp") if c.laddr and c.laddr.port == port
    ]
    assert all(c.status != psutil.CONN_ESTABLISHED for c in open_to_port)
    assert not ca_dir.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    sim.stop()  # idempotent
    session.close()


def test_stop_ends_a_hanging_request() -> None:
    sim = SimBoards().start()
    sim.set_fault("linkedin", Fault("hang"))
    outcome: list[BaseException | int] = []

    def ask() -> None:
        try:
            url = "https://www.linkedin.com/jobs/view/4001000001"
            proxies = {"https": sim.proxy_url}
            outcome.append(
                requests.get(url, proxies=proxies, verify=sim.ca_path, timeout=60).status_code
            )
        except requests.RequestException as e:
            outcome.append(e)

    client = threading.Thread(target=ask)
    client.start()
    while not sim.counters.requests("linkedin"):  # bounded by the test timeout
        threading.Event().wait(0.02)
    sim.stop()
    client.join(30)
    assert not client.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)
    assert _sim_threads() == []


def test_ca_dir_persists_and_a_fixed_port_is_reused(tmp_path: Path) -> None:
    with SimBoards(ca_dir=tmp_path) as first:
        port, ca_path = first.port, first.ca_path
        pem = Path(ca_path).read_bytes()
    assert Path(ca_path).read_bytes() == pem  # kept after stop
    assert oct((tmp_path / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
    with SimBoards(ca_dir=tmp_path, port=port) as second:
        assert second.port == port and second.ca_path == ca_path
        answer = requests.get(IPIFY, proxies={"https": second.proxy_url}, verify=ca_path)
        assert answer.json() == {"ip": "203.0.113.10"}
    assert Path(ca_path).read_bytes() == pem


def test_a_busy_port_fails_start_cleanly() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        sim = SimBoards(port=busy.getsockname()[1])
        with pytest.raises(OSError):
            sim.start()
    assert _sim_threads() == []
    assert not sim.running


def test_proxy_url_masks_and_quotes_credentials() -> None:
    with SimBoards(auth=("us er", "p@ss:word")) as sim:
        assert sim.proxy_url == f"http://us%20er:p%40ss%3Aword@127.0.0.1:{sim.port}"
        assert sim.masked_proxy_url == f"http://us%20er:****@127.0.0.1:{sim.port}"
        assert requests.get(IPIFY, proxies={"https": sim.proxy_url}, verify=sim.ca_path).ok
    with SimBoards() as sim:
        assert sim.proxy_url == f"http://127.0.0.1:{sim.port}"


def test_module_entry_point_runs_until_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine.sim",
            "--auth",
            "demo:secret",
            "--fault",
            "ipecho=leaky",
            "--ca-dir",
            str(tmp_path),
            "--exit-ip",
            "192.0.2.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
        assert lines[0].startswith("proxy: http://demo:****@127.0.0.1:")
        assert lines[1] == f"ca: {tmp_path / 'ca.pem'}"
        assert lines[3] == "fault: ipecho leaky until cleared"
        port = int(lines[0].rsplit(":", 1)[1])
        proxy = f"http://demo:secret@127.0.0.1:{port}"
        answer = requests.get(IPIFY, proxies={"https": proxy}, verify=str(tmp_path / "ca.pem"))
        assert answer.json() == {"ip": "127.0.0.1"}  # leaky from the start
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert proc.stderr is not None and "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_auth_from_the_environment_stays_out_of_argv(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.sim", "--ca-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "JOBFLEET_SIM_AUTH": "demo:env-secret"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("proxy: http://demo:****@127.0.0.1:"), first
        port = int(first.rsplit(":", 1)[1])
        assert b"env-secret" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        ca = str(tmp_path / "ca.pem")
        good = f"http://demo:env-secret@127.0.0.1:{port}"
        assert requests.get(IPIFY, proxies={"https": good}, verify=ca).ok
        with pytest.raises(requests.exceptions.ProxyError):
            requests.get(IPIFY, proxies={"https": f"http://127.0.0.1:{port}"}, verify=ca)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_register_adds_the_sim_command() -> None:
    from engine.cli.sim import register

    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["sim", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--host", "--seed", "--auth", "--fault", "--ca-dir", "--exit-ip"):
        assert option in result.output
    bad = CliRunner().invoke(group, ["sim", "--fault", "linkedin=teapot"])
    assert bad.exit_code == 2 and "unknown fault kind" in bad.output

"""Alerts with real processes: two headless supervisors (two host names) on one database, each
configured with the same json:// URL of a local receiver. A node whose CA file is missing goes
FATAL at once: the receiver gets exactly one alert; once the file is back and the node started
again, exactly one resolve. Secrets in the URL reach neither the supervisors' output nor the
database.

No timing assertions: the waits only guard against hangs. That the FATAL alert came once is
checked after the resolve arrived, so every evaluation round in between had its chance to repeat
it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from tests.alert_receiver import Receiver
from tests.cli import jobfleet
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import SupervisorProc

pytestmark = pytest.mark.e2e

TOKEN = "e2e-Alert-T0ken-1337"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_fatal_node_alerts_once_across_two_supervisors_and_resolves(
    sim, fast_env, fast_db, receiver, tmp_path: Path
):
    url = f"json://jf:{TOKEN}@127.0.0.1:{receiver.port}/{TOKEN}"
    env = {**fast_env, "JOBFLEET_ALERT_URLS": url, "JOBFLEET_ALERT_INTERVAL": "0.5"}
    ca = tmp_path / "ca.pem"
    shutil.copy(sim.ca_path, ca)
    node_id = nodes.deploy(fast_db, parse_spec(node_spec(sim, "alerting", ca_cert=str(ca))))
    os.unlink(ca)  # the worker cannot run: FATAL at once

    sups = []
    for name in ("alerts-a", "alerts-b"):
        logs = tmp_path / name
        logs.mkdir()
        sups.append(SupervisorProc({**env, "JOBFLEET_HOST_NAME": name}, logs).start())
    try:
        receiver.wait_for(lambda m: len(m) >= 1, timeout=120)
        assert nodes.get_node(fast_db, node_id).status == "fatal"
        host = nodes.get_node(fast_db, node_id).host
        assert receiver.titles() == [f"jobfleet: node alerting on host {host} is FATAL"]
        assert "ca_cert: no such file" in receiver.messages[0]["message"]

        shutil.copy(sim.ca_path, ca)
        started = jobfleet(env, "start", "alerting")
        assert started.returncode == 0, started.stderr
        receiver.wait_for(lambda m: len(m) >= 2, timeout=120)
        titles = receiver.titles()
        assert titles[0] == f"jobfleet: node alerting on host {host} is FATAL"
        assert titles[1].startswith(f"jobfleet: resolved — node alerting on host {host}")
        assert len(titles) == 2

        listed = jobfleet(env, "alerts", "--json")
        assert listed.returncode == 0, listed.stderr
        [alert] = json.loads(listed.stdout)
        assert alert["kind"] == "node_fatal" and not alert["open"]
        assert alert["deliveries"] == 2  # the opening and the resolve, to the one destination
        assert alert["reported_by"] in ("alerts-a", "alerts-b")
    finally:
        for sup in sups:
            sup.terminate()
    output = "".join(sup.log_text() for sup in sups)
    assert "alerts are sent to json://127.0.0.1" in output
    assert TOKEN not in output
    with fast_db.connection() as conn:
        for table in ("alerts", "alert_destinations", "node_logs"):
            dump = conn.execute(f"SELECT coalesce(json_agg(t)::text, '') AS d FROM {table} t")
            assert TOKEN not in dump.fetchone()["d"], table  # type: ignore[index]

"""Node health with real processes: a node whose every scrape fails is reported ``failing`` with
the board's error in last_error, and recovers; a node whose spec cannot run goes FATAL with the
worker's reason, not an exit code.

No timing assertions: the time to ``failing`` is measured and printed (run with ``-s``), the
waits only guard against hangs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.protocol import EXIT_CONFIG
from tests.cli import jobfleet_tty
from tests.e2e.conftest import node_spec
from tests.e2e.lifecycle_helpers import wait_for
from tui.widgets.node_card import card_lines

pytestmark = pytest.mark.e2e


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env={**env, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def listed(env: dict[str, str], node_id: int) -> dict[str, object]:
    return next(n for n in json.loads(cli(env, "nodes", "--json")) if n["id"] == node_id)


def test_unreachable_boards_make_a_failing_node(sim, fast_env, fast_db, supervisor):
    from engine.sim import Fault

    # Both boards cut every answer short: each scrape of each site is an error.
    for board in ("linkedin", "indeed"):
        sim.set_fault(board, Fault(kind="truncated"))
    spec = parse_spec(node_spec(sim, "unreachable", sites=["linkedin", "indeed"]))
    node_id = nodes.deploy(fast_db, spec)
    began = time.monotonic()
    supervisor.start()

    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id, failing_after=3)).health == "failing" and r,
        timeout=240,
        what="health failing",
    )
    print(f"\nstart to failing (failing_after=3): {time.monotonic() - began:.1f} s")
    assert row.status == "running"
    assert row.health_reason == "linkedin: 3 errors in a row; indeed: 3 errors in a row"

    node = listed(fast_env, node_id)
    assert node["health"] == "failing"
    assert node["health_reason"] == row.health_reason
    assert "linkedin: " in str(node["last_error"]) and "IncompleteRead" in str(node["last_error"])
    table = cli(fast_env, "nodes")  # piped: tab-separated, every value whole
    assert "failing" in table and "IncompleteRead" in table
    # On a terminal 120 columns wide the table fits (the last error is cut to fit).
    code, screen, err = jobfleet_tty(fast_env, "nodes", columns=120)
    assert code == 0, err
    shown = re.sub(r"\x1b\[[0-9;]*m", "", screen)
    print(shown)
    assert all(len(line) <= 120 for line in shown.splitlines())
    assert "failing" in shown

    card = card_lines(row.as_dict(), None, None, 80).plain.splitlines()
    assert "failing" in card[0]
    assert card[-1].startswith("! linkedin: 3 errors in a row")

    # The boards answer again: the next scrape clears the error this worker wrote.
    sim.clear_faults()
    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).health == "ok" and r,
        timeout=240,
        what="health ok again",
    )
    assert row.health_reason == "linkedin ok; indeed ok"
    wait_for(lambda: nodes.get_node(fast_db, node_id).last_error is None, what="error cleared")


@pytest.mark.parametrize("problem", ["missing", "not PEM"])
def test_an_unusable_ca_file_is_a_config_error_with_its_reason(
    problem, sim, fast_env, fast_db, supervisor, tmp_path
):
    ca = tmp_path / "ca.pem"
    shutil.copy(sim.ca_path, ca)
    spec = parse_spec(node_spec(sim, "bad-ca", ca_cert=str(ca)))  # readable at deploy
    if problem == "missing":
        os.unlink(ca)
        expected = f"ca_cert: no such file: {ca}"
    else:
        Path(ca).write_text("not a certificate\n")
        expected = f"ca_cert: {ca} holds no PEM certificate"
    node_id = nodes.deploy(fast_db, spec)
    supervisor.start()

    row = wait_for(
        lambda: (r := nodes.get_node(fast_db, node_id)).status == "fatal" and r,
        what="fatal",
    )
    assert row.last_exit == EXIT_CONFIG
    assert row.restarts == 1  # at once: no crash loop
    assert str(row.last_error).startswith(expected)

    node = listed(fast_env, node_id)
    assert str(node["last_error"]).startswith(expected)
    card = card_lines(row.as_dict(), None, None, 200).plain.splitlines()
    assert card[-1].startswith(f"! {expected}")
    table = cli(fast_env, "nodes")
    assert "bad-ca: fatal: ca_cert: " in table  # the reason (wrapped at 120 columns)

"""``jobfleet demo --no-ui``: three demo nodes scrape the simulated boards; a rerun reuses them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.fleet import nodes
from tests.e2e.lifecycle_helpers import FAST_SETTINGS, kill_workers, wait_for, workers_by_node

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_runs_and_reuses_its_nodes(jf_env, fast_db, db_url, tmp_path, jf_home):
    env = {**jf_env, **FAST_SETTINGS}
    seen_ids = []
    try:
        for run in range(2):
            log = open(tmp_path / f"demo-{run}.log", "wb")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, "-m", "engine", "demo", "--no-ui"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            try:
                rows = wait_for(
                    lambda: (
                        len(r := nodes.list_nodes(fast_db)) == 3
                        and all(x.status == "running" for x in r)
                        and r
                    ),
                    what="three demo nodes running",
                )
                seen_ids.append(sorted(r.id for r in rows))
                assert len({r.spec["country"] for r in rows}) == 3
                assert len({r.spec["search_term"] for r in rows}) == 3
                assert all("${JOBFLEET_PROXY_DEMO_PASS}" in r.spec["proxies"][0] for r in rows)
                wait_for(
                    lambda: any(r.jobs_found for r in nodes.list_nodes(fast_db)),
                    what="demo results",
                )
            finally:
                proc.terminate()
                assert proc.wait(60) == 0
            # The demo's simulator ends with it, so it stops its workers.
            wait_for(lambda: not workers_by_node(db_url), what="demo workers stopped")
        assert seen_ids[0] == seen_ids[1]
        assert (jf_home / "sim" / "port").exists()
    finally:
        kill_workers(db_url)

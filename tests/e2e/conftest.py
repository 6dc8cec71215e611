from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.db.handle import Database
from engine.settings import Settings
from tests.e2e.lifecycle_helpers import FAST_SETTINGS, SupervisorProc, kill_workers

PROXY_PASS_ENV = "PROXY_E2E_PASS"
PROXY_PASS = "pr0xy-Secret-Value-91"


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from engine.sim import SimBoards

    monkeypatch.setenv(PROXY_PASS_ENV, PROXY_PASS)
    with SimBoards(auth=("jf", PROXY_PASS)) as boards:
        yield boards


@pytest.fixture
def fast_env(jf_env: dict[str, str], db_url: str) -> Iterator[dict[str, str]]:
    env = {**jf_env, **FAST_SETTINGS, PROXY_PASS_ENV: PROXY_PASS}
    yield env
    kill_workers(db_url)
    kill_workers(env["JOBFLEET_DATABASE_URL"])


@pytest.fixture
def fast_db(db_url: str, jf_home: Path) -> Iterator[Database]:
    with Database(Settings(database_url=db_url, home=jf_home)) as database:
        yield database


@pytest.fixture
def supervisor(fast_env: dict[str, str], tmp_path: Path) -> Iterator[SupervisorProc]:
    logs = tmp_path / "supervisor-logs"
    logs.mkdir()
    sup = SupervisorProc(fast_env, logs)
    yield sup
    sup.stop()


def node_spec(sim: object, name: str, **over: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "name": name,
        "search_term": "python developer",
        "country": "US",
        "locations": ["New York", "Austin"],
        "sites": ["linkedin"],
        "results_wanted": 3,
        "hours_old": 168,
        "delay_min": 1,
        "delay_max": 2,
        "cycle_minutes": 0,
        "proxies": [f"http://jf:${{{PROXY_PASS_ENV}}}@{sim.address}"],  # type: ignore[attr-defined]
        "ca_cert": sim.ca_path,  # type: ignore[attr-defined]
    }
    spec.update(over)
    return spec


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here drives real processes: ``-m "not e2e"`` is the fast lane's way to skip it."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)

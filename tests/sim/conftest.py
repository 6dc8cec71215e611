"""Fixtures for the simulated boards: a running simulator and jobspy without its long pauses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from jobspy import scrape_jobs
from jobspy.linkedin import LinkedIn
from jobspy.util import RotatingProxySession

from engine.sim import SimBoards

USER, PASSWORD = "scout", "s3cret"


@pytest.fixture
def sim() -> Iterator[SimBoards]:
    with SimBoards(seed=7, auth=(USER, PASSWORD)) as running:
        yield running


@pytest.fixture(autouse=True)
def no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy set for the machine would catch the tests' direct calls to the control API.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(autouse=True)
def no_linkedin_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    # jobspy's LinkedIn scraper sleeps 3-7 s between pages; only the tests shorten that.
    monkeypatch.setattr(LinkedIn, "delay", (0, 0))


@pytest.fixture
def short_request_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # jobspy waits 15 s for each response; the hang tests need not wait that long.
    monkeypatch.setattr(RotatingProxySession, "request_timeout", 1.0)


def scrape(sim: SimBoards, **kwargs: Any) -> pd.DataFrame:
    """jobspy.scrape_jobs through the simulator, the only way production code reaches it."""
    kwargs.setdefault("proxies", [sim.proxy_url])
    kwargs.setdefault("ca_cert", sim.ca_path)
    kwargs.setdefault("verbose", 0)
    return scrape_jobs(**kwargs)

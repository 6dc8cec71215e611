"""What jobspy 1.4.1 returns or raises under each fault (the table in engine/sim/faults.py)."""

from __future__ import annotations

import math

import pytest
import requests

from engine.sim import Fault, SimBoards
from engine.sim.faults import FaultBook, parse_assignment
from tests.sim.conftest import scrape

SEARCH = {"search_term": "software engineer", "location": "London", "country_indeed": "uk"}


@pytest.mark.parametrize("site", ["linkedin", "indeed"])
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("429", "response status code 429 (blocked: use a proxy)"),
        ("403", "response status code 403 (blocked: use a proxy)"),
        ("999", "response status code 999"),
    ],
)
def test_blocking_statuses_end_up_in_attrs_errors(
    sim: SimBoards, site: str, kind: str, message: str
) -> None:
    sim.set_fault(site, Fault(kind, count=2))
    df = scrape(sim, site_name=site, results_wanted=5, **SEARCH)
    assert df.empty
    assert df.attrs["errors"] == {site: message}
    assert sim.counters.faults == {(site, kind): 1}
    # the fault had one more response to spoil, then the board recovers
    scrape(sim, site_name=site, results_wanted=5, **SEARCH)
    df = scrape(sim, site_name=site, results_wanted=5, **SEARCH)
    assert len(df) == 5 and df.attrs["errors"] == {}
    assert sim.faults == {}


@pytest.mark.parametrize("site", ["linkedin", "indeed"])
def test_a_block_after_some_pages_keeps_the_earlier_rows(sim: SimBoards, site: str) -> None:
    sim.set_fault(site, Fault("429", count=1, after=2))
    wanted = 250 if site == "indeed" else 40
    df = scrape(
        sim, site_name=site, search_term="engineer", country_indeed="uk", results_wanted=wanted
    )
    assert df.attrs["errors"] == {site: "response status code 429 (blocked: use a proxy)"}
    per_page = 100 - 5 if site == "indeed" else 10 - 2
    assert len(df) == (100 if site == "indeed" else 10) + per_page  # the first two pages


@pytest.mark.parametrize("site", ["linkedin", "indeed"])
def test_hang_fails_the_board_after_jobspys_request_timeout(
    sim: SimBoards, site: str, short_request_timeout: None
) -> None:
    sim.set_fault(site, Fault("hang"))
    df = scrape(sim, site_name=site, results_wanted=5, **SEARCH)
    assert df.empty
    assert "Read timed out. (read timeout=1.0)" in df.attrs["errors"][site]
    [record] = sim.counters.requests(site)
    assert (record.status, record.fault) == (0, "hang")


@pytest.mark.parametrize("site", ["linkedin", "indeed"])
def test_slow_responses_still_deliver_everything(sim: SimBoards, site: str) -> None:
    sim.set_fault(site, Fault("slow", delay=0.2))
    df = scrape(sim, site_name=site, results_wanted=15, **SEARCH)
    assert len(df) == 15 and df.attrs["errors"] == {}
    assert sim.counters.faults[(site, "slow")] >= 1


@pytest.mark.parametrize("site", ["linkedin", "indeed"])
def test_truncated_body_is_a_broken_connection(sim: SimBoards, site: str) -> None:
    sim.set_fault(site, Fault("truncated", count=1))
    df = scrape(sim, site_name=site, results_wanted=5, **SEARCH)
    assert df.empty
    assert df.attrs["errors"][site].startswith("('Connection broken: IncompleteRead(")


def test_malformed_linkedin_page_skips_broken_cards(sim: SimBoards) -> None:
    sim.set_fault("linkedin", Fault("malformed", count=1))
    df = scrape(sim, site_name="linkedin", results_wanted=30, **SEARCH)
    # cards without a title or a location are skipped (a log warning, no error), the cut page
    # has fewer than 10 cards, so jobspy stops there
    assert 0 < len(df) < 10
    assert df.attrs["errors"] == {}


def test_malformed_indeed_json_is_a_board_error(sim: SimBoards) -> None:
    sim.set_fault("indeed", Fault("malformed", count=1))
    df = scrape(sim, site_name="indeed", results_wanted=5, **SEARCH)
    assert df.empty
    assert "Unterminated string" in df.attrs["errors"]["indeed"]


@pytest.mark.parametrize("site", ["linkedin", "indeed"])
def test_empty_page_looks_like_no_results(sim: SimBoards, site: str) -> None:
    sim.set_fault(site, Fault("empty"))
    df = scrape(sim, site_name=site, results_wanted=5, **SEARCH)
    assert df.empty
    assert df.attrs["errors"] == {}  # indistinguishable from a search with no jobs


def _hostile_values(df: object) -> str:
    import pandas as pd

    assert isinstance(df, pd.DataFrame)
    return "\n".join(
        str(v) for col in ("title", "company", "location", "description") for v in df[col]
    )


def test_hostile_linkedin_fields_reach_the_dataframe(sim: SimBoards) -> None:
    sim.set_fault("linkedin", Fault("hostile"))
    df = scrape(sim, site_name="linkedin", results_wanted=16, fetch_description=True, **SEARCH)
    assert df.attrs["errors"] == {}
    assert len(df) == 16
    text = _hostile_values(df)
    for needle in ("\x00", "[bold red]", "\x1b[31m", "🚀", "\ufffd", "DROP TABLE"):
        assert needle in text
    assert "NaN" in set(df.title)
    assert df.description.str.len().max() > 100_000
    # HTML cannot carry a lone surrogate: invalid UTF-8 arrives as U+FFFD
    assert not any("\ud800" in v for v in df.title)


def test_hostile_indeed_lone_surrogate_makes_scrape_jobs_raise(sim: SimBoards) -> None:
    # pandas 3 stores strings in pyarrow, which refuses lone surrogates: the whole call fails,
    # every site's rows with it
    sim.set_fault("indeed", Fault("hostile"))
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        scrape(sim, site_name=["indeed", "linkedin"], results_wanted=8, **SEARCH)


def test_hostile_indeed_without_surrogates_reaches_the_dataframe(sim: SimBoards) -> None:
    sim.set_fault("indeed", Fault("hostile", surrogates=False))
    df = scrape(sim, site_name="indeed", results_wanted=16, **SEARCH)
    assert df.attrs["errors"] == {}
    assert len(df) == 16
    text = _hostile_values(df)
    for needle in ("\x00", "[bold red]", "\x1b[31m", "🚀", "NaN"):
        assert needle in text
    assert df.description.str.len().max() > 100_000
    # a NaN in the JSON becomes a NaN salary, next to a real interval and currency
    nan_pay = df[df.min_amount.map(lambda v: isinstance(v, float) and math.isnan(v))]
    assert (nan_pay.interval.notna()).any()


def test_leaky_ip_echo_answers_the_clients_own_address(sim: SimBoards) -> None:
    proxies = {"https": sim.proxy_url}
    url = "https://api.ipify.org/?format=json"
    assert requests.get(url, proxies=proxies, verify=sim.ca_path, timeout=10).json() == {
        "ip": "203.0.113.10"
    }
    sim.set_fault("ipecho", Fault("leaky"))
    assert requests.get(url, proxies=proxies, verify=sim.ca_path, timeout=10).json() == {
        "ip": "127.0.0.1"
    }
    sim.clear_faults()
    assert requests.get(url, proxies=proxies, verify=sim.ca_path, timeout=10).json() == {
        "ip": "203.0.113.10"
    }


def test_faults_are_per_board(sim: SimBoards) -> None:
    sim.set_fault("linkedin", Fault("403"))
    df = scrape(sim, site_name=["linkedin", "indeed"], results_wanted=5, **SEARCH)
    assert set(df.attrs["errors"]) == {"linkedin"}
    assert set(df.site) == {"indeed"}


def test_fault_specs_parse_and_validate() -> None:
    assert parse_assignment("linkedin=429:3") == ("linkedin", Fault("429", count=3))
    assert parse_assignment("indeed=slow:1.5:2") == ("indeed", Fault("slow", count=2, delay=1.5))
    assert parse_assignment("indeed=hostile:utf8") == (
        "indeed",
        Fault("hostile", surrogates=False),
    )
    assert parse_assignment("linkedin=429:1@2") == ("linkedin", Fault("429", count=1, after=2))
    for bad in ("linkedin", "glassdoor=429", "linkedin=teapot", "linkedin=leaky", "indeed=429:x"):
        with pytest.raises(ValueError):
            parse_assignment(bad)
    with pytest.raises(ValueError):
        Fault("429", count=0)


def test_fault_book_counts_down_and_waits() -> None:
    book = FaultBook()
    book.set("indeed", Fault("429", count=2, after=1))
    taken = [book.take("indeed") for _ in range(4)]
    assert [f.kind if f else None for f in taken] == [None, "429", "429", None]
    assert book.active() == {}

"""The real jobspy scrapers against the simulated boards, end to end through the TLS proxy."""

from __future__ import annotations

import pytest

from engine.sim import SimBoards
from tests.sim.conftest import USER, scrape


@pytest.mark.parametrize(
    ("location", "country_indeed", "code", "indeed_host", "place_words"),
    [
        ("Berlin, Germany", "germany", "DE", "de.indeed.com", ("Berlin", "Germany")),
        ("San Francisco, CA", "usa", "US", "www.indeed.com", ("San Francisco", "USA")),
    ],
)
def test_both_boards_return_the_expected_jobs(
    sim: SimBoards,
    location: str,
    country_indeed: str,
    code: str,
    indeed_host: str,
    place_words: tuple[str, str],
) -> None:
    df = scrape(
        sim,
        site_name=["linkedin", "indeed"],
        search_term="software engineer",
        location=location,
        country_indeed=country_indeed,
        results_wanted=30,
    )
    assert df.attrs["errors"] == {}

    linkedin = df[df.site == "linkedin"]
    expected_li = sim.linkedin.results({"keywords": "software engineer", "location": location})
    assert len(linkedin) == 30
    by_url = {f"https://www.linkedin.com/jobs/view/{j.linkedin_id}": j for j in expected_li[:30]}
    assert set(linkedin.job_url) == set(by_url)
    for row in linkedin.itertuples():
        job = by_url[row.job_url]
        assert row.title == job.title
        assert row.company == job.linkedin_company()  # often without the legal form
        assert row.date_posted == job.posted_on(sim.corpus.today)
        assert row.company_url == f"https://www.linkedin.com/company/{job.company_slug}"
        assert job.country.code == code
        assert any(word in row.location for word in place_words)
    # 30 distinct jobs at 10 cards a page, later pages repeating 2: at least 4 pages were read
    assert sim.counters.count("linkedin", "/jobs-guest/jobs/api/seeMoreJobPostings/search") >= 4

    indeed = df[df.site == "indeed"]
    expected_in = sim.indeed.results(code, what="software engineer", where=location)
    assert len(indeed) == 30
    by_url = {f"https://{indeed_host}/viewjob?jk={j.indeed_key}": j for j in expected_in[:30]}
    assert set(indeed.job_url) == set(by_url)
    for row in indeed.itertuples():
        job = by_url[row.job_url]
        assert row.title == job.indeed_title()  # "Sr. ...", "... - City" for some
        assert row.company == job.company
        assert row.date_posted == job.posted_on(sim.corpus.today)
        assert row.location.endswith(place_words[1])
        assert row.description and 1000 <= len(row.description) <= 6000
    assert sim.counters.by_user == {USER: sim.counters.total}


def test_indeed_paginates_with_its_cursor(sim: SimBoards) -> None:
    df = scrape(
        sim,
        site_name="indeed",
        search_term="engineer",
        country_indeed="uk",
        results_wanted=230,
    )
    assert df.attrs["errors"] == {}
    assert len(df) == 230
    assert df.job_url.is_unique
    assert set(df.job_url.str.slice(0, 32)) == {"https://uk.indeed.com/viewjob?jk"}
    assert sim.counters.count("indeed", "/graphql") == 3  # pages of 100, overlapping by 5
    assert {loc.split(", ")[-1] for loc in df.location} == {"UK"}


def test_linkedin_job_pages_give_description_pay_and_criteria(sim: SimBoards) -> None:
    df = scrape(
        sim,
        site_name="linkedin",
        search_term="nurse",
        location="Canada",
        results_wanted=12,
        fetch_description=True,
        description_format="html",
    )
    assert df.attrs["errors"] == {}
    assert len(df) == 12
    assert sim.counters.count("linkedin", "/jobs/view/{id}") == 12
    for row in df.itertuples():
        job = sim.corpus.job_by_linkedin_id(int(row.job_url.rsplit("/", 1)[1]))
        assert job is not None
        assert "Nurse" in row.title or "Krankenpfleger" in row.title
        assert row.location.endswith("Canada")
        assert "About" in row.description and 1000 <= len(row.description.encode()) <= 6000
        assert row.job_type == job.job_type
        assert row.job_level == job.seniority_label.lower()
        if job.salary and job.salary.on_linkedin:
            assert row.currency == "CAD"
            assert (row.min_amount, row.max_amount) == (job.salary.low, job.salary.high)
        else:
            assert row.min_amount != row.min_amount  # NaN: no pay shown


def test_search_terms_and_filters_narrow_the_results(sim: SimBoards) -> None:
    df = scrape(
        sim,
        site_name="indeed",
        search_term="data scientist",
        location="Bengaluru",
        country_indeed="india",
        hours_old=72,
        results_wanted=40,
    )
    assert df.attrs["errors"] == {}
    assert len(df) > 0
    assert all("Data Scientist" in title for title in df.title)
    assert all(loc in ("Bengaluru, KA, India", "India") for loc in df.location)
    today = sim.corpus.today
    assert all((today - posted).days <= 3 for posted in df.date_posted)

    remote = scrape(
        sim,
        site_name="indeed",
        search_term="developer",
        country_indeed="usa",
        is_remote=True,
        job_type="contract",
        results_wanted=20,
    )
    assert len(remote) > 0
    assert remote.is_remote.all()
    assert set(remote.job_type) == {"contract"}


def test_unknown_places_get_local_jobs(sim: SimBoards) -> None:
    df = scrape(
        sim,
        site_name=["linkedin", "indeed"],
        search_term="warehouse",
        location="Springfield, IL",
        results_wanted=10,
    )
    assert df.attrs["errors"] == {}
    assert set(df.site) == {"linkedin", "indeed"}
    assert all(loc.startswith("Springfield") for loc in df.location)


def test_the_same_jobs_come_back_in_later_cycles(sim: SimBoards) -> None:
    first = scrape(sim, site_name="linkedin", search_term="accountant", results_wanted=20)
    second = scrape(sim, site_name="linkedin", search_term="accountant", results_wanted=20)
    repeated = set(first.job_url) & set(second.job_url)
    assert len(repeated) >= 10  # duplicates are normal: the worker must upsert
    # each new cycle may surface a few postings dated today at the top
    new = second[~second.job_url.isin(first.job_url)]
    assert all(d == sim.corpus.today for d in new.date_posted)


def test_politeness_delay_shows_in_the_counters(
    sim: SimBoards, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobspy.linkedin import LinkedIn

    monkeypatch.setattr(LinkedIn, "delay", (0.3, 0.3))
    df = scrape(sim, site_name="linkedin", search_term="engineer", results_wanted=25)
    assert len(df) == 25
    gaps = sim.counters.gaps("linkedin", "/jobs-guest/")
    assert len(gaps) >= 2
    assert min(gaps) >= 0.3  # a lower bound from jobspy's own sleep, not a timing guess


def test_countries_beyond_the_built_in_ones_come_from_geonames(sim: SimBoards) -> None:
    df = scrape(
        sim,
        site_name=["linkedin", "indeed"],
        search_term="product manager",
        location="Tokyo",
        country_indeed="japan",
        results_wanted=10,
    )
    assert df.attrs["errors"] == {}
    assert set(df.site) == {"linkedin", "indeed"}
    assert all(loc.endswith("Japan") for loc in df.location)
    assert set(df.job_url[df.site == "indeed"].str.slice(0, 23)) == {"https://jp.indeed.com/v"}
    assert set(df.currency.dropna()) <= {"JPY", "¥"}

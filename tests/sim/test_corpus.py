"""The generated corpus: deterministic, realistic per board and country, plausibly searchable."""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine.sim import places
from engine.sim.corpus import Corpus
from engine.sim.indeed import IndeedBoard, decode_cursor, encode_cursor
from engine.sim.linkedin import LinkedInBoard, relative_age

TODAY = date(2025, 6, 15)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(seed=7, today=TODAY)


def test_same_seed_same_jobs_other_seed_other_jobs(corpus: Corpus) -> None:
    again = Corpus(seed=7, today=TODAY)
    other = Corpus(seed=8, today=TODAY)
    assert [j.title for j in corpus.pool("US")[:50]] == [j.title for j in again.pool("US")[:50]]
    assert corpus.description_html(corpus.pool("DE")[3]) == again.description_html(
        again.pool("DE")[3]
    )
    assert [j.title for j in corpus.pool("US")[:50]] != [j.title for j in other.pool("US")[:50]]
    assert corpus.pool("US")[0].linkedin_id != other.pool("US")[0].linkedin_id


def test_linkedin_ids_and_indeed_keys_identify_jobs(corpus: Corpus) -> None:
    jobs = [j for code in ("US", "GB", "DE", "IN", "CA") for j in corpus.pool(code)[:100]]
    assert len({j.linkedin_id for j in jobs}) == len(jobs)
    assert len({j.indeed_key for j in jobs}) == len(jobs)
    assert all(re.fullmatch(r"4\d{9}", str(j.linkedin_id)) for j in jobs)
    assert all(re.fullmatch(r"[0-9a-f]{16}", j.indeed_key) for j in jobs)
    assert all(corpus.job_by_linkedin_id(j.linkedin_id) is j for j in jobs)
    literal = corpus.pool("US", "Springfield")[5]
    assert corpus.job_by_linkedin_id(literal.linkedin_id) is literal
    assert corpus.job_by_linkedin_id(4_999_999_999) is None


def test_descriptions_are_one_to_five_kilobytes_of_html(corpus: Corpus) -> None:
    sizes = [len(corpus.description_html(j).encode()) for j in corpus.pool("GB")[:300]]
    assert min(sizes) >= 1000 and max(sizes) <= 5000
    assert len(set(sizes)) > 50  # not one template


@pytest.mark.parametrize(
    ("code", "pattern"),
    [
        ("US", r"[A-Z][\w .]+, [A-Z]{2}|United States|.+ Area|Greater .+|.+ Metropolitan Area"),
        (
            "GB",
            r"[\w ]+, (England|Scotland|Wales|Northern Ireland), United Kingdom|.*United Kingdom",
        ),
        ("DE", r"[\wü ]+, [\w -]+, Germany|.*Germany"),
        ("IN", r"[\w ]+, [\w ]+, India|.*India|Greater Bengaluru Area"),
        ("CA", r"[\w ]+, [\w ]+, Canada|.*Canada"),
    ],
)
def test_linkedin_locations_use_linkedins_formats(corpus: Corpus, code: str, pattern: str) -> None:
    for job in corpus.pool(code)[:200]:
        assert re.fullmatch(pattern, job.linkedin_location()), job.linkedin_location()


def test_indeed_jobs_use_local_names_and_codes(corpus: Corpus) -> None:
    board = IndeedBoard(corpus)
    munich = next(j for j in corpus.pool("DE") if j.city and j.city.name == "Munich")
    data = board.job_json(munich, TODAY)
    assert data["location"] == {
        "countryCode": "DE",
        "admin1Code": "BY",
        "city": None if munich.remote else "München",
    }
    assert (
        data["dateOnIndeed"] // 1000 // 86400 == (munich.posted_on(TODAY) - date(1970, 1, 1)).days
    )
    pay = [board.job_json(j, TODAY)["compensation"] for j in corpus.pool("US")[:200]]
    assert {"YEAR", "HOUR"} <= {
        (p["baseSalary"] or (p["estimated"] or {}).get("baseSalary") or {}).get("unitOfWork")
        for p in pay
    }


def test_salaries_dates_and_types_vary(corpus: Corpus) -> None:
    jobs = corpus.pool("IN")
    assert {j.job_type for j in jobs} == {
        "fulltime",
        "parttime",
        "contract",
        "temporary",
        "internship",
    }
    assert {j.salary.interval for j in jobs if j.salary} == {"YEAR", "MONTH"}
    assert {j.salary.currency for j in jobs if j.salary} == {"INR"}
    assert 0.5 < sum(1 for j in jobs if j.salary) / len(jobs) < 0.9
    ages = {relative_age(j) for j in jobs}
    assert {"1 day ago", "2 weeks ago"} <= ages
    assert any(a.endswith("hours ago") for a in ages)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("San Francisco, CA", places.Place(countries=("US",), cities=("San Francisco",))),
        ("Berlin, Germany", places.Place(countries=("DE",), cities=("Berlin",))),
        ("Bangalore", places.Place(countries=("IN",), cities=("Bengaluru",))),
        ("London", places.Place(countries=("GB",), cities=("London",))),
        ("California", places.Place(countries=("US",), region="CA")),
        ("Canada", places.Place(countries=("CA",))),
        ("United Kingdom", places.Place(countries=("GB",))),
        ("Remote", places.Place(countries=(), remote=True)),
        ("", places.Place(countries=())),
        ("Springfield, IL", places.Place(countries=("US",), literal="Springfield")),
    ],
)
def test_locations_resolve_like_a_search_box(text: str, expected: places.Place) -> None:
    assert places.resolve(text) == expected


def test_indeed_reads_locations_within_its_country() -> None:
    assert places.resolve("München", "DE") == places.Place(countries=("DE",), cities=("Munich",))
    assert places.resolve("Toronto", "DE") == places.Place(countries=("DE",), literal="Toronto")


def test_search_terms_filter_plausibly(corpus: Corpus) -> None:
    place = places.resolve("United States")
    nurses = corpus.search("indeed", "registered nurse", place)
    assert nurses and all("Nurse" in j.title for j in nurses)
    either = corpus.search("indeed", "accountant OR truck driver", place)
    roles = {j.role.title for j in either}
    assert {"Accountant", "Truck Driver"} <= roles  # ("account" executives match too, as on
    assert "Registered Nurse" not in roles  # a real board's fuzzy search)
    engineers = corpus.search("indeed", "engineering", place)
    assert len(engineers) > len(corpus.search("indeed", "software engineer", place))
    assert corpus.search("indeed", "astronaut", place) == []
    everything = corpus.search("indeed", None, place)
    assert len(everything) == len([j for j in corpus.pool("US") if j.reveal_cycle == 0])


def test_later_cycles_add_fresh_jobs_on_top(corpus: Corpus) -> None:
    place = places.resolve("India")
    first = corpus.search("linkedin", "engineer", place, cycle=0)
    later = corpus.search("linkedin", "engineer", place, cycle=40)
    assert set(first) < set(later)
    fresh = later[: len(later) - len(first)]
    assert all(j.reveal_cycle > 0 and j.posted_on(TODAY) == TODAY for j in fresh)


def test_linkedin_pages_overlap_and_end() -> None:
    board = LinkedInBoard(Corpus(seed=7, today=TODAY))
    results = board.results({"keywords": "software engineer", "location": "Germany"})
    pages = [board.window(results, start) for start in range(0, 1100, 10)]
    assert pages[0] == results[:10]
    assert pages[1][:2] == pages[0][-2:]  # the same job on two pages
    shown = {j.uid for page in pages for j in page}
    assert shown == {j.uid for j in results}
    assert pages[-1] == []


def test_linkedin_cycles_advance_on_first_pages_only() -> None:
    board = LinkedInBoard(Corpus(seed=7, today=TODAY))
    key = ("engineer", "Berlin")
    assert [board.cycle(key, first_page=f) for f in (True, False, False, True, False)] == [
        0,
        0,
        0,
        1,
        1,
    ]


def test_indeed_cursor_round_trips() -> None:
    assert decode_cursor(encode_cursor(195)) == 195
    assert decode_cursor("garbage!") is None
    query = (
        'query GetJobData { jobSearch( what: "data \\"x\\"" location: {where: "Köln", radius: 5, '
        'radiusUnit: MILES} limit: 100 cursor: "abc" sort: RELEVANCE filters: [{ date: { field: '
        '"dateOnIndeed", start: "24h" } }, { keyword: { field: "attributes", keys: ["DSQF7"] } }, '
        '{ keyword: { field: "attributes", keys: ["PAXZC"], match: MUST_NOT } }]) { x } }'
    )
    assert IndeedBoard.read_query(query) == {
        "what": 'data "x"',
        "where": "Köln",
        "limit": 100,
        "cursor": "abc",
        "hours": 24,
        "types": (),
        "remote_only": True,
        "exclude_hybrid": True,
    }


def test_other_countries_are_built_from_geonames(corpus: Corpus) -> None:
    japan = places.country("JP")
    assert japan is not None and japan.name == "Japan" and japan.currency == "JPY"
    assert "Tokyo" in [c.name for c in japan.cities]
    assert places.resolve("Osaka, Japan") == places.Place(countries=("JP",), cities=("Osaka",))
    assert places.resolve("Nowhere", "JP") == places.Place(countries=("JP",), literal="Nowhere")
    job = corpus.pool("JP")[0]
    assert job.linkedin_location().endswith(", Japan")
    assert corpus.job_by_linkedin_id(job.linkedin_id) is job
    assert places.country("XX") is None


def test_boards_cross_post_repost_and_agencies_copy(corpus: Corpus) -> None:
    """One job, several postings: each board spells it its own way, some postings are reposts
    or agency copies of an earlier one (same words, new id) — the same for the same seed."""
    jobs = corpus.pool("US")
    assert any(j.linkedin_company() != j.company for j in jobs)
    assert any(j.indeed_title().startswith("Sr. ") for j in jobs)
    assert any(j.indeed_title().endswith(f" - {j.city.name}") for j in jobs if j.city)
    copies = [j for j in jobs if j.origin != j.uid]
    reposts = [j for j in copies if not j.agency]
    agency = [j for j in copies if j.agency]
    assert 0.05 < len(copies) / len(jobs) < 0.15 and reposts and agency
    by_uid = {j.uid: j for j in jobs}
    for job in reposts:
        original = by_uid[job.origin]
        assert corpus.description_html(job) == corpus.description_html(original)
        assert job.linkedin_id != original.linkedin_id and job.days_ago <= original.days_ago
    for job in agency:
        original = by_uid[job.origin]
        text = corpus.description_html(job)
        assert job.company == job.agency and job.employer == original.company
        assert f"our client {original.company}" in text
        assert corpus.description_html(original) in text
    again = Corpus(seed=corpus.seed, today=corpus.today).pool("US")
    assert [(j.origin, j.company) for j in again] == [(j.origin, j.company) for j in jobs]

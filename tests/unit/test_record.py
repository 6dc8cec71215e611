"""engine.jobs.record: whole jobspy rows turned into clean JobRecords, and back from the spool."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, date
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.jobs.record import (
    JOB_RECORD_FIELDS,
    JobRecord,
    clean_record,
    record_from_dict,
    record_to_dict,
)
from engine.jobs.urls import canonical_url

TODAY = date(2026, 11, 28)

# --- clean_record -----------------------------------------------------------------------------

_COLUMN_NAMES = (
    "id site job_url job_url_direct title company location date_posted job_type salary_source "
    "interval min_amount max_amount currency is_remote job_level job_function listing_type emails "
    "description company_industry company_url company_logo company_url_direct company_addresses "
    "company_num_employees company_revenue company_description skills experience_range "
    "company_rating company_reviews_count vacancy_count work_from_home_type"
)
JOBSPY_COLUMNS = _COLUMN_NAMES.split()


def jobspy_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(JOBSPY_COLUMNS, math.nan)
    row.update(
        id="in-abc123",
        site="indeed",
        job_url="https://www.indeed.com/viewjob?jk=abc123",
        title="Data Engineer",
        company="Acme",
        location="San Francisco, CA, USA",
        date_posted=date(2026, 11, 20),
        job_type="fulltime",
        interval="yearly",
        min_amount=120000.0,
        max_amount=150000.0,
        currency="USD",
        is_remote=False,
        description="Build pipelines.",
    )
    row.update(changes)
    return row


def clean(**changes: Any) -> JobRecord:
    rec = clean_record(jobspy_row(**changes), today=TODAY, country_hint="US")
    assert rec is not None
    return rec


def test_job_record_fields_are_in_copy_order() -> None:
    assert JOB_RECORD_FIELDS == (
        "job_url", "site", "site_job_id", "title", "company", "company_url", "description",
        "location_raw", "city", "region", "country", "is_remote", "date_posted", "job_type",
        "salary_min", "salary_max", "salary_currency", "salary_interval", "emails", "extra",
        "search_term", "node_id",
    )  # fmt: skip
    assert not hasattr(clean(), "__dict__")  # slots


def test_jobspy_columns_match_installed_jobspy() -> None:
    jobspy_model = pytest.importorskip("jobspy.model")
    assert list(jobspy_model.JobPost.model_fields) == JOBSPY_COLUMNS


def test_clean_record_typical_row() -> None:
    rec = clean_record(
        jobspy_row(), today=TODAY, country_hint="US", search_term=" data engineer ", node_id=7
    )
    assert rec == JobRecord(
        job_url="https://www.indeed.com/viewjob?jk=abc123",
        site="indeed",
        site_job_id="abc123",
        title="Data Engineer",
        company="Acme",
        company_url=None,
        description="Build pipelines.",
        location_raw="San Francisco, CA, USA",
        city="San Francisco",
        region="CA",
        country="US",
        is_remote=False,
        date_posted=date(2026, 11, 20),
        job_type="fulltime",
        salary_min=120000.0,
        salary_max=150000.0,
        salary_currency="USD",
        salary_interval="yearly",
        emails=None,
        extra={},
        search_term="data engineer",
        node_id=7,
    )


@pytest.mark.parametrize(
    "url", [None, math.nan, "", "   ", "not a url", "ftp://x.com/a", "http://"]
)
def test_clean_record_without_usable_url_is_none(url: Any) -> None:
    assert clean_record(jobspy_row(job_url=url), today=TODAY) is None


def test_clean_record_falls_back_to_direct_url() -> None:
    rec = clean(job_url=None, job_url_direct="https://careers.acme.com/jobs/1?utm_source=indeed")
    assert rec.job_url == "https://careers.acme.com/jobs/1"


def test_clean_record_strips_nul_and_surrogates_everywhere() -> None:
    rec = clean(
        title=" Data\x00 Engineer\ud800 ",
        description="a\x00b",
        company="\x00",
        skills=["py\x00thon", "\udfff", math.nan],
        company_addresses={"hq\x00": ["x\x00", {"k": math.inf}]},
    )
    assert rec.title == "Data Engineer"
    assert rec.description == "ab"
    assert rec.company is None
    assert rec.extra["skills"] == ["python"]
    assert rec.extra["company_addresses"] == {"hq": ["x"]}


@pytest.mark.parametrize(
    ("emails", "expected"),
    [
        (["Jobs@Acme.com", "jobs@acme.com", "hr@acme.com"], ["jobs@acme.com", "hr@acme.com"]),
        ("Jobs@Acme.com, hr@acme.com", ["jobs@acme.com", "hr@acme.com"]),
        ("jobs@acme.com", ["jobs@acme.com"]),
        (np.array(["a@b.co"]), ["a@b.co"]),
        (math.nan, None),
        (None, None),
        ([], None),
        ("no email here", None),
    ],
)
def test_emails(emails: Any, expected: list[str] | None) -> None:
    assert clean(emails=emails).emails == expected


class FakeJobType(Enum):
    FULL_TIME = "fulltime"


@pytest.mark.parametrize(
    ("job_type", "expected", "other"),
    [
        ("fulltime", "fulltime", None),
        ("fulltime, parttime", "fulltime,parttime", None),
        ("parttime, fulltime", "fulltime,parttime", None),
        (["contract", "internship"], "contract,internship", None),
        ("Full-time", "fulltime", None),
        ("part_time", "parttime", None),
        ("temporary", "temporary", None),
        (FakeJobType.FULL_TIME, "fulltime", None),
        ("fulltime, perdiem", "fulltime", ["perdiem"]),
        ("volunteer", None, ["volunteer"]),
        (math.nan, None, None),
        (None, None, None),
    ],
)
def test_job_type(job_type: Any, expected: str | None, other: list[str] | None) -> None:
    rec = clean(job_type=job_type)
    assert rec.job_type == expected
    assert rec.extra.get("job_type_other") == other


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, (120000.0, 150000.0, "USD", "yearly")),
        ({"min_amount": 150000.0, "max_amount": 120000.0}, (120000.0, 150000.0, "USD", "yearly")),
        ({"min_amount": 0.0}, (None, 150000.0, "USD", "yearly")),
        ({"min_amount": -5.0, "max_amount": math.nan}, (None, None, None, None)),
        ({"max_amount": math.inf}, (120000.0, None, "USD", "yearly")),
        ({"currency": "usd", "interval": "Hourly"}, (120000.0, 150000.0, "USD", "hourly")),
        ({"currency": "$", "interval": "per month"}, (120000.0, 150000.0, "USD", "monthly")),
        ({"currency": "£", "interval": "year"}, (120000.0, 150000.0, "GBP", "yearly")),
        ({"currency": "XYZ", "interval": "fortnightly"}, (120000.0, 150000.0, None, None)),
        (
            {"min_amount": np.float64(10.5), "max_amount": np.int64(20)},
            (10.5, 20.0, "USD", "yearly"),
        ),
        ({"min_amount": "50,000", "max_amount": "70k"}, (50000.0, 70000.0, "USD", "yearly")),
        ({"interval": "weekly"}, (120000.0, 150000.0, "USD", "weekly")),
        ({"interval": "daily"}, (120000.0, 150000.0, "USD", "daily")),
    ],
)
def test_salary(changes: dict[str, Any], expected: tuple[Any, ...]) -> None:
    rec = clean(**changes)
    assert (rec.salary_min, rec.salary_max, rec.salary_currency, rec.salary_interval) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"is_remote": True}, True),
        ({"is_remote": False}, False),
        ({"is_remote": np.bool_(True)}, True),
        ({"is_remote": math.nan}, None),
        ({"is_remote": "True"}, True),
        ({"is_remote": False, "location": "Remote - US"}, True),
        ({"is_remote": math.nan, "location": "Remote via NYC (hybrid option available)"}, True),
        ({"is_remote": False, "work_from_home_type": "Remote"}, True),
        ({"is_remote": False, "location": "Hybrid"}, False),
    ],
)
def test_is_remote(changes: dict[str, Any], expected: bool | None) -> None:
    assert clean(**changes).is_remote is expected


def test_location_fields_and_country_hint() -> None:
    rec = clean(location="Remote via NYC (hybrid option available)")
    assert (rec.city, rec.region, rec.country) == (None, "NY", "US")
    munich = clean_record(jobspy_row(location="München, Bayern, Deutschland"), today=TODAY)
    assert munich is not None
    assert (munich.city, munich.region, munich.country) == ("Munich", "BY", "DE")
    # A location that names no country takes the searched country.
    remote = clean_record(jobspy_row(location="Remote"), today=TODAY, country_hint="germany")
    assert remote is not None
    assert (remote.city, remote.country, remote.is_remote) == (None, "DE", True)
    empty = clean_record(jobspy_row(location=math.nan), today=TODAY, country_hint="IN")
    assert empty is not None
    assert (empty.location_raw, empty.city, empty.country) == (None, None, "IN")
    assert clean_record(jobspy_row(location=math.nan), today=TODAY).country is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "site", "site_job_id"),
    [
        ({}, "indeed", "abc123"),
        ({"id": "li-3812345678", "site": "linkedin"}, "linkedin", "3812345678"),
        ({"id": "custom-7", "site": "LinkedIn"}, "linkedin", "custom-7"),
        ({"id": math.nan}, "indeed", "abc123"),
        (
            {"id": None, "site": None, "job_url": "https://ca.linkedin.com/jobs/view/x-99"},
            "linkedin",
            "99",
        ),
        (
            {"id": None, "site": None, "job_url": "https://www.glassdoor.co.uk/job-listing/j?jl=5"},
            "glassdoor",
            "5",
        ),
        (
            {"site": None, "job_url": "https://www.ziprecruiter.com/jobs/x"},
            "zip_recruiter",
            "abc123",
        ),
        ({"site": None, "id": None, "job_url": "https://jobs.acme.co.uk/1"}, "acme", None),
    ],
)
def test_site_and_site_job_id(changes: dict[str, Any], site: str, site_job_id: str | None) -> None:
    rec = clean(**changes)
    assert (rec.site, rec.site_job_id) == (site, site_job_id)


def test_extra_keeps_other_columns_json_safe() -> None:
    rec = clean(
        job_url_direct="https://careers.acme.com/1",
        job_level="mid-senior level",
        skills=np.array(["python", "sql"]),
        company_rating=np.float64(4.2),
        company_reviews_count=12.0,
        vacancy_count=np.int64(3),
        company_num_employees="1000+",
        experience_range=math.nan,
        listing_type=pd.NA,
        posted_at=pd.Timestamp("2026-11-20 10:00"),
        seen_at=np.datetime64("2026-11-20T10:00:00"),
        unexpected={"nested": [1, math.nan, {"deep": np.int32(5)}], 3: "int key"},
    )
    assert rec.extra == {
        "job_url_direct": "https://careers.acme.com/1",
        "job_level": "mid-senior level",
        "skills": ["python", "sql"],
        "company_rating": 4.2,
        "company_reviews_count": 12,
        "vacancy_count": 3,
        "company_num_employees": "1000+",
        "posted_at": "2026-11-20T10:00:00",
        "seen_at": "2026-11-20T10:00:00",
        "unexpected": {"nested": [1, {"deep": 5}], "3": "int key"},
    }
    json.dumps(rec.extra, allow_nan=False)


def test_record_dict_round_trip() -> None:
    rec = clean(emails="a@b.co", skills=["x"])
    as_dict = record_to_dict(rec)
    text = json.dumps(as_dict, allow_nan=False)
    assert json.loads(text)["date_posted"] == "2026-11-20"
    assert record_from_dict(json.loads(text)) == rec
    no_date = dataclasses.replace(rec, date_posted=None, extra={})
    assert record_from_dict(json.loads(json.dumps(record_to_dict(no_date)))) == no_date


def test_rows_from_a_real_jobspy_dataframe() -> None:
    """Rows built the way jobspy.scrape_jobs builds its DataFrame, dtypes and NaNs included."""
    model = pytest.importorskip("jobspy.model")
    posts = [
        model.JobPost(
            id="li-1",
            site="linkedin",
            job_url="https://www.linkedin.com/jobs/view/1",
            title="Engineer",
            company="Acme",
            location=model.Location(city="Austin", state="TX", country=model.Country.USA),
            date_posted=date(2026, 11, 20),
            job_type=[model.JobType.FULL_TIME, model.JobType.CONTRACT],
            interval=model.CompensationInterval.YEARLY,
            min_amount=100000,
            max_amount=90000,
            currency="USD",
            emails=["A@x.com", "a@x.com"],
            is_remote=False,
            skills=["python"],
        ),
        model.JobPost(
            id="in-k2",
            site="indeed",
            job_url="https://de.indeed.com/viewjob?jk=k2",
            title="Entwickler",
            location=model.Location(city="München", state="BY", country=model.Country.GERMANY),
        ),
        model.JobPost(
            site="glassdoor",
            job_url="https://www.glassdoor.com/job-listing/j?jl=3",
            title="Remote role",
            location=model.Location(country="Remote"),
            is_remote=True,
            company_rating=4.5,
        ),
    ]
    frame = pd.DataFrame([p.model_dump() for p in posts], columns=list(model.JobPost.model_fields))
    records = [
        clean_record(row, today=TODAY, country_hint="US") for row in frame.to_dict("records")
    ]
    austin, munich, remote = records
    assert austin is not None and munich is not None and remote is not None
    assert (austin.city, austin.region, austin.country) == ("Austin", "TX", "US")
    assert austin.job_type == "fulltime,contract"
    assert (austin.salary_min, austin.salary_max) == (90000.0, 100000.0)
    assert austin.emails == ["a@x.com"]
    assert austin.extra["skills"] == "python"
    assert (munich.city, munich.region, munich.country, munich.site_job_id) == (
        "Munich",
        "BY",
        "DE",
        "k2",
    )
    assert munich.date_posted is None and munich.salary_min is None
    assert remote.is_remote is True and remote.country == "US"
    for rec in records:
        json.dumps(record_to_dict(rec), allow_nan=False)


# --- properties -------------------------------------------------------------------------------

nasty_text = st.lists(
    st.one_of(
        st.text(max_size=10),
        st.sampled_from(["\x00", "\ud800", "\udc00", "\udfff", "Remote", ", CA", "@x.com"]),
    ),
    max_size=6,
).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and ±inf included
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    nasty_text,
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC])),
    st.sampled_from([pd.NaT, pd.NA, np.nan, np.float64("inf"), np.int64(7), np.bool_(True)]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(nasty_text, st.integers()), inner, max_size=4),
    ),
    max_leaves=6,
)
urls = st.one_of(
    values,
    st.builds(
        lambda host, path: f"https://{host}/{path}",
        st.sampled_from(["www.indeed.com", "ca.linkedin.com", "example.com"]),
        nasty_text,
    ),
)
rows = st.fixed_dictionaries(
    {"job_url": urls},
    optional={
        **{name: values for name in JOBSPY_COLUMNS if name != "job_url"},
        "location": st.one_of(
            values, st.sampled_from(["London, ON", "Remote - US", "München", "NYC"])
        ),
        "date_posted": st.one_of(values, st.sampled_from(["3 days ago", "25/11/2026"])),
    },
).flatmap(
    lambda row: st.dictionaries(st.one_of(nasty_text, st.integers()), values, max_size=3).map(
        lambda more: {**more, **row}
    )
)


def assert_clean(value: Any, path: str = "record") -> None:
    if isinstance(value, float):
        assert math.isfinite(value), path
    elif isinstance(value, str):
        assert "\x00" not in value, path
        value.encode("utf-8")  # raises on a lone surrogate
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_clean(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), path
            assert_clean(key, f"{path} key")
            assert_clean(item, f"{path}.{key}")
    else:
        assert value is None or isinstance(value, (bool, int, date)), (path, value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=rows, hint=st.one_of(st.none(), st.sampled_from(["US", "de", "XX", "canada", ""])))
def test_clean_record_never_raises_nor_lets_nul_nan_or_inf_through(
    row: dict[Any, Any], hint: str | None
) -> None:
    rec = clean_record(row, today=TODAY, country_hint=hint, search_term="x\x00", node_id=1)
    if rec is None:
        return
    assert rec.job_url.startswith(("http://", "https://"))
    assert canonical_url(rec.job_url) == rec.job_url
    assert rec.date_posted is None or rec.date_posted <= TODAY
    for name in JOB_RECORD_FIELDS:
        assert_clean(getattr(rec, name), name)
    if rec.salary_min is not None and rec.salary_max is not None:
        assert 0 < rec.salary_min <= rec.salary_max
    json.dumps(record_to_dict(rec), allow_nan=False)
    assert record_from_dict(json.loads(json.dumps(record_to_dict(rec)))) == rec

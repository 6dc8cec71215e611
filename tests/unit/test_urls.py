"""engine.jobs.urls: one URL per posting."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.jobs.urls import canonical_url

# --- canonical_url ----------------------------------------------------------------------------

URLS = [
    (
        "HTTPS://WWW.Indeed.com:443/rc/clk?jk=abc123&from=vj&tk=xyz#frag",
        "https://www.indeed.com/viewjob?jk=abc123",
    ),
    ("https://de.indeed.com/viewjob?jk=ABC&utm_source=x", "https://de.indeed.com/viewjob?jk=ABC"),
    ("https://www.indeed.com/m/viewjob?vjk=k1&advn=9", "https://www.indeed.com/viewjob?jk=k1"),
    (
        "https://ca.linkedin.com/jobs/view/senior-engineer-at-acme-3812345678/"
        "?refId=1&trackingId=2&position=3&pageNum=0",
        "https://www.linkedin.com/jobs/view/3812345678",
    ),
    (
        "https://www.linkedin.com/jobs/view/3812345678/?trk=public_jobs",
        "https://www.linkedin.com/jobs/view/3812345678",
    ),
    (
        "https://www.linkedin.com/jobs/search/?currentJobId=42&keywords=python",
        "https://www.linkedin.com/jobs/view/42",
    ),
    (
        "https://www.glassdoor.com/job-listing/j?jl=1009&pos=1&ao=2&s=58&guid=x",
        "https://www.glassdoor.com/job-listing/j?jl=1009",
    ),
    (
        "http://Example.com:80/a/b?b=2&a=1&utm_medium=x&gclid=1&fbclid=2",
        "http://example.com/a/b?a=1&b=2",
    ),
    ("https://example.com:8443/x?", "https://example.com:8443/x"),
    ("https://example.com/a b/ü#x", "https://example.com/a%20b/%C3%BC"),
    ("https://example.com/a%20b", "https://example.com/a%20b"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com./careers#apply", "https://example.com/careers"),
    ("https://[::1]:8080/x?src=feed", "https://[::1]:8080/x"),
    ("  https://example.com/job?id=7  ", "https://example.com/job?id=7"),
    ("not a url", "not a url"),
    ("ftp://example.com/x", "ftp://example.com/x"),
    ("", ""),
    (None, ""),
    (math.nan, ""),
]


@pytest.mark.parametrize(("url", "expected"), URLS)
def test_canonical_url(url: Any, expected: str) -> None:
    assert canonical_url(url) == expected


def test_same_posting_seen_twice_has_one_url() -> None:
    a = canonical_url("https://www.indeed.com/viewjob?jk=abc&from=serp&tk=1")
    b = canonical_url("https://WWW.INDEED.COM/viewjob?tk=2&jk=abc#x")
    assert a == b


url_text = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, host, port, path, params, frag: (
            f"{scheme}://{host}{port}{path}?"
            + "&".join(f"{k}={v}" for k, v in params)
            + (f"#{frag}" if frag else "")
        ),
        st.sampled_from(["http", "https", "HTTPS", "Http", "ftp"]),
        st.sampled_from(
            [
                "www.indeed.com",
                "de.Indeed.com",
                "ca.linkedin.com",
                "WWW.glassdoor.com",
                "example.com.",
                "[::1]",
                "Example.COM",
                "x",
            ]
        ),
        st.sampled_from(["", ":80", ":443", ":8080", ":0"]),
        st.sampled_from(
            ["", "/", "/viewjob", "/jobs/view/a-b-123/", "/jobs/search/", "/a%20b/c", "/ü"]
        ),
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "jk",
                        "vjk",
                        "jl",
                        "utm_source",
                        "refId",
                        "a",
                        "A",
                        "b",
                        "currentJobId",
                        "from",
                        "",
                        "x y",
                        "ü",
                    ]
                ),
                st.text(max_size=6),
            ),
            max_size=5,
        ),
        st.text(max_size=5),
    ),
)


@settings(max_examples=400, deadline=None)
@given(url=url_text)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "\x00" not in once

"""Node health (sql/0009 ``node_health``): judged from inserted scrape_runs rows."""

from __future__ import annotations

import pytest

from engine.fleet import nodes
from engine.fleet.spec import parse_spec


def deploy(db, name="n1", sites=("linkedin", "indeed")):
    spec = parse_spec(
        {
            "name": name,
            "search_term": "python",
            "country": "DE",
            "locations": ["Berlin"],
            "sites": list(sites),
        }
    )
    return nodes.deploy(db, spec)


def scrapes(db, node_id, site, outcomes):
    """``outcomes`` oldest first, a minute apart, the last one a minute ago."""
    with db.connection() as conn:
        for age, outcome in enumerate(reversed(outcomes), start=1):
            conn.execute(
                "INSERT INTO scrape_runs (node_id, site, started_at, outcome, error) "
                "VALUES (%s, %s, now() - make_interval(mins => %s), %s, %s)",
                (node_id, site, age, outcome, None if outcome == "ok" else f"{outcome}!"),
            )


def health(db, node_id, failing_after=3):
    row = nodes.get_node(db, node_id, failing_after=failing_after)
    return row.health, row.health_reason


def test_unknown_before_any_scrape(db):
    node_id = deploy(db)
    assert health(db, node_id) == ("unknown", "no scrape yet")
    assert nodes.list_nodes(db)[0].health == "unknown"


def test_ok_when_every_latest_scrape_succeeded(db):
    node_id = deploy(db)
    scrapes(db, node_id, "linkedin", ["timeout", "timeout", "ok"])
    scrapes(db, node_id, "indeed", ["ok"])
    assert health(db, node_id) == ("ok", "linkedin ok; indeed ok")


@pytest.mark.parametrize(
    ("linkedin", "indeed", "expected"),
    [
        (["ok", "timeout"], ["ok"], ("degraded", "linkedin: 1 timeout; indeed ok")),
        (
            ["timeout", "timeout", "timeout"],
            ["ok", "ok"],
            ("degraded", "linkedin: 3 timeouts in a row; indeed ok"),
        ),
        # every site failed, but not yet on its last three scrapes
        (
            ["timeout"],
            ["ok", "error", "error"],
            ("degraded", "linkedin: 1 timeout; indeed: 2 errors in a row"),
        ),
        (
            ["error", "timeout", "blocked"],
            ["blocked", "blocked", "blocked"],
            (
                "failing",
                "linkedin: 3 failures in a row; indeed: blocked 3 times in a row",
            ),
        ),
        (
            ["ok", "ok", "error", "error", "error", "error"],
            ["error", "error", "error"],
            ("failing", "linkedin: 3 errors in a row; indeed: 3 errors in a row"),
        ),
    ],
)
def test_degraded_and_failing(db, linkedin, indeed, expected):
    node_id = deploy(db)
    scrapes(db, node_id, "linkedin", linkedin)
    scrapes(db, node_id, "indeed", indeed)
    assert health(db, node_id) == expected


def test_failing_after_is_a_parameter(db):
    node_id = deploy(db)
    scrapes(db, node_id, "linkedin", ["ok", "timeout"])
    scrapes(db, node_id, "indeed", ["ok", "blocked"])
    assert health(db, node_id, failing_after=1) == (
        "failing",
        "linkedin: 1 timeout; indeed: blocked",
    )
    assert health(db, node_id, failing_after=2)[0] == "degraded"


def test_unscraped_and_removed_sites(db):
    """A site of the spec not scraped yet does not hold a failing node back; a site no longer
    in the spec does not count at all."""
    node_id = deploy(db, sites=("linkedin", "indeed"))
    scrapes(db, node_id, "linkedin", ["error", "error", "error"])
    scrapes(db, node_id, "glassdoor", ["ok"])
    assert health(db, node_id) == (
        "failing",
        "linkedin: 3 errors in a row; indeed: no scrape yet",
    )


def test_health_is_per_node(db):
    a = deploy(db, "a")
    b = deploy(db, "b")
    scrapes(db, a, "linkedin", ["error"] * 3)
    scrapes(db, a, "indeed", ["error"] * 3)
    scrapes(db, b, "indeed", ["ok"])
    by_name = {r.name: r.health for r in nodes.list_nodes(db, failing_after=3)}
    assert by_name == {"a": "failing", "b": "ok"}

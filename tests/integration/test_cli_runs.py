"""`jobfleet runs`: scrapes newest first from inserted scrape_runs rows, through the real command;
and their retention (engine.jobs.runs.prune_runs, JOBFLEET_RUNS_KEEP_DAYS)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.jobs.runs import prune_runs
from tests.cli import jobfleet

LONG_ERROR = "proxy refused the connection: " + "x" * 200 + "\nsecond line of the traceback"


def _deploy(db: Database, name: str) -> int:
    spec = {"name": name, "search_term": "python", "country": "DE", "locations": ["Berlin"]}
    return nodes.deploy(db, parse_spec(spec))


def _insert(db: Database, rows: list[tuple[Any, ...]]) -> None:
    """(node_id, site, location, minutes ago, seconds taken, found, new, outcome, error)"""
    with db.connection() as conn:
        for node_id, site, location, ago, took, found, new, outcome, err in rows:
            conn.execute(
                "INSERT INTO scrape_runs (node_id, site, location, started_at, finished_at, "
                "found, new, outcome, error, proxy) VALUES (%s, %s, %s, "
                "now() - make_interval(mins => %s), "
                "now() - make_interval(mins => %s) + make_interval(secs => %s), "
                "%s, %s, %s, %s, 'http://***@proxy:8080')",
                (node_id, site, location, ago, ago, took, found, new, outcome, err),
            )


@pytest.fixture
def fleet(db: Database) -> dict[str, int]:
    a = _deploy(db, "alpha")
    b = _deploy(db, "beta")
    _insert(
        db,
        [
            (a, "indeed", "Berlin", 5, 12.5, 30, 7, "ok", None),
            (b, "linkedin", "Hamburg", 10, 3, 0, 0, "blocked", "HTTP 429 from linkedin"),
            (a, "linkedin", "Berlin", 20, 180, 0, 0, "timeout", LONG_ERROR),
            (a, "indeed", "Munich", 3 * 60, 9, 12, 2, "ok", None),
            (b, "indeed", "Hamburg", 3 * 24 * 60, 4, 5, 5, "ok", None),
            (None, "indeed", "Köln", 30, 2, 1, 1, "error", "node removed since"),
        ],
    )
    return {"alpha": a, "beta": b}


def _runs(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    proc = jobfleet(env, "runs", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_json_lists_the_last_day_newest_first_with_every_field(
    jf_env: dict[str, str], fleet: dict[str, int]
) -> None:
    runs = _runs(jf_env)
    assert [(r["node_name"], r["site"], r["location"]) for r in runs] == [
        ("alpha", "indeed", "Berlin"),
        ("beta", "linkedin", "Hamburg"),
        ("alpha", "linkedin", "Berlin"),
        (None, "indeed", "Köln"),
        ("alpha", "indeed", "Munich"),
    ]
    first = runs[0]
    assert set(first) == {
        "id", "started_at", "finished_at", "seconds", "node_id", "node_name", "site",
        "location", "search_term", "outcome", "found", "new", "error", "proxy",
    }  # fmt: skip
    assert first["node_id"] == fleet["alpha"]
    assert (first["outcome"], first["found"], first["new"]) == ("ok", 30, 7)
    assert first["seconds"] == pytest.approx(12.5)
    assert first["proxy"] == "http://***@proxy:8080"
    # --json keeps the error whole (the table shortens it).
    assert runs[2]["error"] == LONG_ERROR


def test_filters(jf_env: dict[str, str], fleet: dict[str, int]) -> None:
    by_name = _runs(jf_env, "alpha")
    assert [r["location"] for r in by_name] == ["Berlin", "Berlin", "Munich"]
    assert _runs(jf_env, str(fleet["alpha"])) == by_name
    # Names are matched ignoring case, as in the other commands.
    assert _runs(jf_env, "ALPHA") == by_name
    assert [r["location"] for r in _runs(jf_env, "beta", "--since", "7d")] == [
        "Hamburg",
        "Hamburg",
    ]
    assert [r["location"] for r in _runs(jf_env, "--since", "1h")] == [
        "Berlin",
        "Hamburg",
        "Berlin",
        "Köln",
    ]
    assert [r["outcome"] for r in _runs(jf_env, "--site", "linkedin")] == ["blocked", "timeout"]
    assert [r["site"] for r in _runs(jf_env, "--outcome", "timeout")] == ["linkedin"]
    assert [r["location"] for r in _runs(jf_env, "alpha", "--outcome", "ok")] == [
        "Berlin",
        "Munich",
    ]
    assert [r["location"] for r in _runs(jf_env, "--limit", "2")] == ["Berlin", "Hamburg"]
    assert _runs(jf_env, "--site", "glassdoor") == []


def test_table(jf_env: dict[str, str], fleet: dict[str, int]) -> None:
    # Wide enough for a row per line (rich wraps cells to the terminal's width).
    proc = jobfleet({**jf_env, "COLUMNS": "200"}, "runs", "--since", "1h")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == [
        "time", "node", "location", "site", "outcome", "found/new", "secs", "error",
    ]  # fmt: skip
    assert len(lines) == 5
    assert "alpha" in lines[1] and "30/7" in lines[1] and "12.5" in lines[1]
    assert "HTTP 429 from linkedin" in lines[2]
    # The long error: its first line, cut, never the second line.
    assert "proxy refused the connection: xxx" in lines[3] and "…" in lines[3]
    assert "x" * 100 not in proc.stdout and "second line" not in proc.stdout
    assert "(removed)" in lines[4]
    empty = jobfleet(jf_env, "runs", "--site", "glassdoor")
    assert empty.returncode == 0 and empty.stdout == ""
    assert "no scrapes in the last 24h" in empty.stderr


@pytest.mark.parametrize("since", ["24", "1w", "1.5h", "-3d", "0m", "36501d", "h", "1 h", ""])
def test_a_bad_since_is_one_sentence(jf_env: dict[str, str], since: str) -> None:
    proc = jobfleet(jf_env, "runs", "--since", since)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--since must be" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unknown_node_is_one_sentence(jf_env: dict[str, str], fleet: dict[str, int]) -> None:
    for ref in ("gamma", "999999"):
        proc = jobfleet(jf_env, "runs", ref)
        assert proc.returncode == 1
        assert proc.stderr.strip() == f"jobfleet: error: no node '{ref}' (see jobfleet nodes)"


def test_a_bad_outcome_is_refused(jf_env: dict[str, str]) -> None:
    proc = jobfleet(jf_env, "runs", "--outcome", "crashed")
    assert proc.returncode == 2 and "crashed" in proc.stderr


def test_prune_deletes_only_runs_older_than_keep_days(db: Database) -> None:
    node = _deploy(db, "old")
    day = 24 * 60
    _insert(
        db,
        [
            (node, "indeed", "Berlin", 31 * day, 1, 1, 1, "ok", None),
            (None, "indeed", "Berlin", 40 * day, 1, 1, 1, "ok", None),
            (node, "indeed", "Berlin", 29 * day, 1, 1, 1, "ok", None),
            (node, "indeed", "Berlin", 5, 1, 1, 1, "ok", None),
        ],
    )
    assert prune_runs(db, keep_days=30) == 2
    assert prune_runs(db, keep_days=30) == 0
    with db.connection() as conn:
        left = conn.execute(
            "SELECT round(extract(epoch FROM now() - started_at) / 86400) AS days "
            "FROM scrape_runs ORDER BY started_at"
        ).fetchall()
    assert [int(r["days"]) for r in left] == [29, 0]

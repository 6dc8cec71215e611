"""``jobfleet jobs search|show|stats|import`` and ``jobfleet export`` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli import jobfleet

TODAY = datetime.now(UTC).date()


def raw_row(i: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": f"in-{i}",
        "site": "indeed" if i % 2 else "linkedin",
        "job_url": f"https://www.indeed.com/viewjob?jk=abc{i}&from=serp"
        if i % 2
        else f"https://www.linkedin.com/jobs/view/{500 + i}?trk=x",
        "title": "Rust Backend Engineer" if i % 3 else "Nurse Practitioner",
        "company": f"Company {i}",
        "location": "Berlin, Germany" if i % 4 == 0 else "Austin, TX",
        "date_posted": (TODAY - timedelta(days=i)).isoformat(),
        "description": f"Posting {i}: we build things.",
        "is_remote": i % 5 == 0,
    }
    row.update(overrides)
    return row


@pytest.fixture
def imported(jf_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(raw_row(i)) + "\n" for i in range(12)))
    done = jobfleet(jf_env, "jobs", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "12 new" in done.stderr
    return jf_env


def test_import_jobspy_csv_with_progress(jf_env: dict[str, str], tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "jobspy.csv"
    pd.DataFrame([raw_row(i) for i in range(6)]).to_csv(path, index=False)
    done = jobfleet(jf_env, "jobs", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "6 postings, 6 new, 0 already known" in done.stderr
    again = jobfleet(jf_env, "jobs", "import", "--quiet", str(path))
    assert "6 postings, 0 new, 6 already known" in again.stderr


def test_search_json(imported: dict[str, str]) -> None:
    done = jobfleet(imported, "jobs", "search", "rust backend", "--country", "US", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(r["country"] == "US" for r in rows)
    for key in ("job_url", "title", "company", "city", "region", "country", "is_remote"):
        assert key in rows[0]
    assert {"date_posted", "site"} <= set(rows[0])
    dates = [r["date_posted"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert all("Rust" in r["title"] for r in rows)


def test_search_filters_and_table(imported: dict[str, str]) -> None:
    done = jobfleet(
        imported, "jobs", "search", "--city", "berlin", "--days", "8", "--limit", "2", "--json"
    )
    rows = json.loads(done.stdout)
    assert [r["city"] for r in rows] == ["Berlin", "Berlin"]
    table = jobfleet(imported, "jobs", "search", "engineer", "--site", "indeed", "--remote")
    assert table.returncode == 0, table.stderr
    assert "indeed" in table.stdout
    none = jobfleet(imported, "jobs", "search", "zzzzunknownword")
    assert none.returncode == 0 and "no postings match" in none.stderr


HOSTILE = ['"unclosed', "back\\slash\\", "rust:*", "a & b | !c", "!!!", "()", "'; DROP TABLE"]


def test_hostile_search_text(imported: dict[str, str]) -> None:
    for text in HOSTILE:
        done = jobfleet(imported, "jobs", "search", text, "--json")
        assert done.returncode == 0, (text, done.stderr)
        assert isinstance(json.loads(done.stdout), list)
        assert "Traceback" not in done.stderr


def test_bad_input_is_one_sentence(imported: dict[str, str]) -> None:
    done = jobfleet(imported, "jobs", "search", "rust", "--country", "Atlantis")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("jobfleet: error:")
    assert len(done.stderr.strip().splitlines()) == 1


def test_show_and_stats(imported: dict[str, str]) -> None:
    rows = json.loads(jobfleet(imported, "jobs", "search", "--limit", "1", "--json").stdout)
    shown = jobfleet(imported, "jobs", "show", str(rows[0]["id"]), "--json")
    assert json.loads(shown.stdout)["description"].startswith("Posting")
    missing = jobfleet(imported, "jobs", "show", "999999")
    assert missing.returncode == 1 and "no posting" in missing.stderr
    stats = json.loads(jobfleet(imported, "jobs", "stats", "--json").stdout)
    assert stats["total"] == 12
    assert stats["by_site"] == {"linkedin": 6, "indeed": 6}
    assert stats["by_country"] == {"US": 9, "DE": 3}
    # New per day (UTC) by site and by country: the import saw all twelve today.
    assert stats["days"] == 30
    ((day, sites),) = stats["per_day_by_site"].items()
    assert sites == {"linkedin": 6, "indeed": 6}
    assert stats["per_day_by_country"] == {day: {"US": 9, "DE": 3}}
    assert stats["first_day"] < day
    week = json.loads(jobfleet(imported, "jobs", "stats", "--days", "7", "--json").stdout)
    assert week["days"] == 7 and week["per_day_by_site"] == stats["per_day_by_site"]
    plain = jobfleet(imported, "jobs", "stats")
    assert plain.returncode == 0 and "total" in plain.stdout
    # Piped: the per-day numbers as plain columns, a day per line (no bars).
    assert "new per day by site (30 days, UTC)" in plain.stdout
    today = next(ln for ln in plain.stdout.splitlines() if ln.startswith(day))
    assert today.split()[1:] in (["12", "6", "6"],)
    assert "█" not in plain.stdout


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export(imported: dict[str, str], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    done = jobfleet(imported, "export", "--format", fmt, "--out", str(out), "--country", "DE")
    assert done.returncode == 0, done.stderr
    assert "wrote 3 postings" in done.stderr
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["country"] for r in rows] == ["DE"] * 3
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out).num_rows == 3
    else:
        assert len(out.read_text().splitlines()) == 4


def test_export_to_a_missing_directory(imported: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "nope" / "x.csv"
    done = jobfleet(imported, "export", "--format", "csv", "--out", str(out))
    assert done.returncode == 1
    assert "directory does not exist" in done.stderr

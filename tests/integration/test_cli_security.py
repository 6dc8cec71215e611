"""The CLI against hostile input, run as a user would (real ``jobfleet`` processes): scraped text
that tries to drive the terminal, export targets that are not plain files, half-bad imports, a
``.env`` that picks the database, and secrets kept out of argv."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.redact import mask_url
from tests.cli import jobfleet

TITLE = "Boss\x1b]0;pwned\x07 [bold red]Engineer[/bold red]\r\x1b[2J"
COMPANY = "Evil\x9b31m Corp \x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ \u202eliame"
DESCRIPTION = (
    "Line one\r\nline two \x1b[2J\x1b[H [link=https://evil.example]here[/link]\r"
    "overwritten \x9b1;31m \x07\x1b]0;title\x07 :smile: end"
)


def run_bytes(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    """jobfleet with its output as bytes, on a wide terminal so rich does not wrap cells."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        env={**env, "COLUMNS": "400"},
        capture_output=True,
        timeout=120,
    )


def assert_inert(output: bytes) -> str:
    """No ESC, BEL, lone CR or C1 control (as UTF-8 or raw) reaches the terminal."""
    assert b"\x1b" not in output
    assert b"\x07" not in output
    assert b"\r" not in output.replace(b"\r\n", b"")
    text = output.decode("utf-8")  # a raw C1 byte would not even decode
    assert not any(0x80 <= ord(ch) <= 0x9F for ch in text), text
    assert "\u202e" not in text
    return text


@pytest.fixture
def hostile(jf_env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], int]:
    row = {
        "site": "indeed",
        "job_url": "https://www.indeed.com/viewjob?jk=hostile1",
        "title": TITLE,
        "company": COMPANY,
        "location": "Austin, TX",
        "description": DESCRIPTION,
    }
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(row) + "\n")
    done = jobfleet(jf_env, "jobs", "import", str(path))
    assert done.returncode == 0, done.stderr
    rows = json.loads(jobfleet(jf_env, "jobs", "search", "--json").stdout)
    return jf_env, int(rows[0]["id"])


def test_search_and_show_print_scraped_text_inert_and_literal(
    hostile: tuple[dict[str, str], int],
) -> None:
    env, job_id = hostile
    table = run_bytes(env, "jobs", "search")
    assert table.returncode == 0, table.stderr
    text = assert_inert(table.stdout)
    # Controls are shown, not sent; rich markup stays literal.
    assert "Boss␛]0;pwned␇ [bold red]Engineer[/bold red]␍␛[2J" in text
    assert "Evil\\u009b31m Corp ␛]8;;https://evil.example/␛\\click" in text

    shown = run_bytes(env, "jobs", "show", str(job_id))
    assert shown.returncode == 0, shown.stderr
    text = assert_inert(shown.stdout)
    assert "[link=https://evil.example]here[/link]␍overwritten \\u009b1;31m" in text
    assert ":smile:" in text and "Line one\nline two ␛[2J" in text

    for args in (("jobs", "search", "--json"), ("jobs", "show", str(job_id), "--json")):
        done = run_bytes(env, *args)
        assert done.returncode == 0, done.stderr
        assert_inert(done.stdout)
        value = json.loads(done.stdout)
        row = value[0] if isinstance(value, list) else value
        # Still the same data for a program reading it.
        assert row["title"] == TITLE.strip() and row["company"] == COMPANY
        if "description" in row:
            assert row["description"] == DESCRIPTION


def test_logs_print_messages_inert(jf_env: dict[str, str], db_url: str) -> None:
    deployed = jobfleet(
        jf_env, "deploy", "--name", "py-us", "--search", "x", "--country", "US", "--no-start",
        "--json",
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    node_id = int(json.loads(deployed.stdout)["id"])
    with psycopg.connect(db_url) as conn:
        conn.execute(
            "INSERT INTO node_logs (node_id, level, event, message, fields) "
            "VALUES (%s, 'error', 'scrape_failed', %s, %s)",
            (node_id, DESCRIPTION, json.dumps({"title": TITLE})),
        )
    for args in (("logs", "py-us"), ("logs", "--all")):
        done = run_bytes(jf_env, *args)
        assert done.returncode == 0, done.stderr
        text = assert_inert(done.stdout)
        assert "␍overwritten \\u009b1;31m ␇␛]0;title␇" in text
        assert "[link=https://evil.example]" in text


def test_event_mirror_shows_controls(db: Any) -> None:
    from engine.fleet.events import EventWriter

    mirror = io.StringIO()
    writer = EventWriter(db, mirror=mirror)
    try:
        writer.emit("warning", "x", TITLE)
    finally:
        writer.close()
    assert_inert(mirror.getvalue().encode())
    assert "Boss␛]0;pwned␇" in mirror.getvalue()


# --- export targets -----------------------------------------------------------------------------


@pytest.fixture
def one_posting(jf_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "one.jsonl"
    row = {"site": "indeed", "job_url": "https://www.indeed.com/viewjob?jk=1", "title": "T"}
    path.write_text(json.dumps(row) + "\n")
    assert jobfleet(jf_env, "jobs", "import", str(path)).returncode == 0
    return jf_env


def _refused(done: subprocess.CompletedProcess[str], what: str) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("jobfleet: error: refusing to write"), done.stderr
    assert f"it is {what}, not a regular file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_export_refuses_a_symlink_and_leaves_its_target(
    one_posting: dict[str, str], tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out.csv"
    out.symlink_to(victim)
    done = jobfleet(one_posting, "export", "--format", "csv", "--out", str(out), "-q")
    _refused(done, "a symbolic link")
    assert out.is_symlink() and victim.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir() if ".part" in p.name) == []


def test_export_refuses_a_fifo(one_posting: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "pipe"
    os.mkfifo(out)
    done = jobfleet(one_posting, "export", "--format", "jsonl", "--out", str(out), "-q")
    _refused(done, "a fifo")
    assert stat.S_ISFIFO(out.lstat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_export_refuses_a_device(one_posting: dict[str, str], tmp_path: Path) -> None:
    # A private copy of /dev/null (char 1:3): the real one must never be at risk in a test.
    out = tmp_path / "null"
    os.mknod(out, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    done = jobfleet(one_posting, "export", "--format", "csv", "--out", str(out), "-q")
    _refused(done, "a device")
    assert stat.S_ISCHR(out.lstat().st_mode)


def test_export_refuses_a_directory(one_posting: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "adir"
    out.mkdir()
    done = jobfleet(one_posting, "export", "--format", "csv", "--out", str(out), "-q")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert out.is_dir() and list(out.iterdir()) == []


def test_export_ignores_a_planted_temporary_file(
    one_posting: dict[str, str], tmp_path: Path
) -> None:
    # The old code wrote through ".NAME.part"; a link planted there must not be followed.
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out.csv"
    (tmp_path / ".out.csv.part").symlink_to(victim)
    done = jobfleet(one_posting, "export", "--format", "csv", "--out", str(out), "-q")
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "precious\n"
    assert not out.is_symlink() and out.read_text().startswith("id,")


def test_export_replaces_a_regular_file_keeping_its_mode(
    one_posting: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    out.chmod(0o640)
    done = jobfleet(one_posting, "export", "--format", "jsonl", "--out", str(out), "-q")
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["title"] == "T"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.jsonl"
    assert jobfleet(one_posting, "export", "--format", "jsonl", "--out", str(fresh)).returncode == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_to_stdout(one_posting: dict[str, str], fmt: str) -> None:
    done = run_bytes(one_posting, "export", "--format", fmt, "--out", "-")
    assert done.returncode == 0, done.stderr
    assert b"wrote 1 postings to stdout" in done.stderr
    if fmt == "jsonl":
        assert json.loads(done.stdout)["title"] == "T"
    elif fmt == "csv":
        assert done.stdout.decode().splitlines()[0].startswith("id,")
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(io.BytesIO(done.stdout)).num_rows == 1


def test_export_to_stdout_refuses_a_terminal(one_posting: dict[str, str]) -> None:
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "engine", "export", "--format", "csv", "--out", "-"],
            env=one_posting,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 1
    assert "refusing to write the export to a terminal" in done.stderr


# --- import -------------------------------------------------------------------------------------


def test_import_reports_bad_lines_and_stores_the_rest(
    jf_env: dict[str, str], tmp_path: Path
) -> None:
    good = [
        json.dumps({"site": "indeed", "job_url": f"https://www.indeed.com/viewjob?jk={i}"})
        for i in range(4)
    ]
    lines = [good[0], "{broken", good[1], "[1]", "7", '"s"', "null", "{", good[2], good[3]]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    done = jobfleet(jf_env, "jobs", "import", "-q", str(path))
    assert done.returncode == 0, done.stderr
    assert "stored 4 postings, 4 new, 0 already known, 6 skipped" in done.stderr
    assert "line 2: not JSON" in done.stderr and "line 4: a JSON array" in done.stderr
    assert "line 7: a JSON null" in done.stderr and "and 1 more" in done.stderr
    assert "line 8" not in done.stderr
    count = json.loads(jobfleet(jf_env, "jobs", "stats", "--json").stdout)["total"]
    assert count == 4

    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n[]\n")
    done = jobfleet(jf_env, "jobs", "import", "-q", str(bad))
    assert done.returncode == 1
    assert "stored 0 postings" in done.stderr and "nothing was stored" in done.stderr


# --- settings and secrets -----------------------------------------------------------------------


def test_a_dotenv_choosing_the_database_is_announced(
    jf_env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in jf_env.items() if k not in ("JOBFLEET_DATABASE_URL", "JOBFLEET_HOME")}
    # The test server trusts every connection, so any password works; it must not be shown.
    url = psycopg.conninfo.make_conninfo(db_url, password="s3cret-pw")
    home = tmp_path / "dotenv-home"
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / ".env").write_text(f"JOBFLEET_DATABASE_URL={url}\nJOBFLEET_HOME={home}\n")
    done = subprocess.run(
        [sys.executable, "-m", "engine", "nodes", "--json"],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if ".env" in line]
    assert len(notes) == 1, done.stderr
    assert str(workdir / ".env") in notes[0]
    assert f"JOBFLEET_DATABASE_URL={mask_url(url)}" in notes[0]
    assert "password=***" in notes[0]
    assert f"JOBFLEET_HOME={home}" in notes[0]
    assert "s3cret-pw" not in done.stderr

    # The environment wins over .env: then the file chose nothing and nothing is said.
    done = subprocess.run(
        [sys.executable, "-m", "engine", "nodes", "--json"],
        env={**jf_env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert ".env" not in done.stderr


def test_help_says_to_keep_passwords_out_of_argv(jf_env: dict[str, str]) -> None:
    for args in (("nodes", "-h"), ("sim", "-h")):
        done = jobfleet(jf_env, *args)
        assert done.returncode == 0
        assert "visible to other users in ps" in " ".join(done.stdout.split())
    assert "JOBFLEET_SIM_AUTH" in jobfleet(jf_env, "sim", "-h").stdout


def test_deploying_a_name_that_differs_only_in_case_is_refused(jf_env: dict[str, str]) -> None:
    base = ("deploy", "--search", "x", "--country", "US", "--no-start", "--name")
    first = jobfleet(jf_env, *base, "py-us", "--json")
    assert first.returncode == 0, first.stderr
    again = jobfleet(jf_env, *base, "PY-US")
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "jobfleet: error: a node named 'PY-US' already exists; choose another name or remove it "
        "first (jobfleet rm)"
    )
    stopped = jobfleet(jf_env, "stop", "PY-US")
    assert stopped.returncode == 0, stopped.stderr
    assert f"node py-us (id {json.loads(first.stdout)['id']})" in stopped.stderr

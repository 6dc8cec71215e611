"""User errors from the CLI: one line on stderr, non-zero exit, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.cli import jobfleet


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.yaml", "name: [unclosed\n", "is not valid YAML"),
        ("bad.json", '{"name": ', "is not valid JSON"),
        ("list.yaml", "- a\n- b\n", "one mapping"),
        ("extra.json", '{"name": "a", "search_term": "x", "country": "US", "x": 1}', "x: "),
    ],
)
def test_bad_spec_files_are_one_line_and_write_nothing(
    jf_env: dict[str, str], db_url: str, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    spec = tmp_path / name
    spec.write_text(content)
    proc = jobfleet(jf_env, "deploy", "--file", str(spec), "--no-start")
    assert proc.returncode == 1
    assert expected in proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM nodes").fetchone() == (0,)

"""Every named query in sql/queries is used by the code and is valid on the migrated schema.

Validity is checked without running anything that changes data: a query is parsed, analysed and
typed by ``PREPARE`` (its ``%(name)s`` placeholders turned into ``$n``, one number per name, so the
server infers each parameter's type from its use as it does for psycopg's server-side binding).
``EXPLAIN`` blocks are prepared without their ``EXPLAIN (...)`` prefix. The few utility statements
PREPARE does not take (COPY, SET LOCAL, CREATE TEMP TABLE) run inside a transaction that is rolled
back, COPY with no rows. Literal substitution of NULLs (a client-side cursor) was the alternative;
it hides type errors (``NULL`` fits anywhere), so it checks less.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from engine.db.queries import all_queries
from engine.jobs.pgvalues import INSERT_COLUMNS, STAGE_TYPES

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_EXPLAIN = re.compile(r"^EXPLAIN\s*(\([^)]*\))?\s*", re.IGNORECASE)
_UTILITY = ("COPY", "SET", "CREATE", "LOCK", "TRUNCATE")
# Per-session temp tables: the statement that creates each one before use.
_TEMP_TABLES = {
    "jobs_stage": "jobs_stage_create",
    "jobs_stage_grouped": "jobs_stage_grouped_create",
    "regroup_before": "regroup_remember",
}


def _statement(body: str) -> str:
    """The SQL of a named block without its comment lines and final semicolon."""
    lines = [line for line in body.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";").strip()


def _numbered(sql: str) -> str:
    """``%(name)s`` placeholders as ``$n``: the same name always gets the same number."""
    numbers: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

    return _PLACEHOLDER.sub(number, sql)


def _source_text() -> str:
    files = [*sorted((ROOT / "engine").rglob("*.py")), *sorted((ROOT / "tui").rglob("*.py"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_every_named_query_is_used_by_engine_or_tui() -> None:
    # Names reach q() directly (q("list_nodes")) or through a helper or a tuple of names
    # (_request(db, "request_stop", ...), q("search_walk" if walk else "search_bitmap")), so a
    # quoted literal of the name anywhere in engine/ or tui/ counts as a use.
    source = _source_text()
    unused = [
        name for name in all_queries() if f'"{name}"' not in source and f"'{name}'" not in source
    ]
    assert unused == [], f"named queries no code refers to: {unused}"


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url) as connection:
        yield connection


@pytest.mark.parametrize("name", sorted(all_queries()))
def test_named_query_is_valid_on_the_migrated_schema(conn: psycopg.Connection, name: str) -> None:
    sql = _statement(all_queries()[name])
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        for table, create in _TEMP_TABLES.items():
            if re.search(rf"\b{table}\b", sql) and name != create:
                # A per-session temp table the code creates before use.
                cur.execute(_statement(all_queries()[create]))  # type: ignore[arg-type]
        if sql.split(None, 1)[0].upper() not in _UTILITY:
            # The statement name is ours; the text comes from our own query files.
            prepared = _numbered(_EXPLAIN.sub("", sql, count=1))
            cur.execute(f"PREPARE named_query_check AS {prepared}")  # type: ignore[arg-type]
            cur.execute("DEALLOCATE named_query_check")
        elif sql.upper().startswith("COPY"):
            with cur.copy(sql):
                pass  # no rows: the statement and its columns are checked all the same
        else:
            cur.execute(sql)


def test_the_columns_the_store_writes_agree_everywhere(conn: psycopg.Connection) -> None:
    """The binary COPY writes INSERT_COLUMNS with STAGE_TYPES: jobs_input (staging table, staged
    INSERT) and jobs_copy's column list must say the same, in the same order."""
    rows = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type "
        "FROM pg_attribute a WHERE a.attrelid = 'jobs_input'::regclass AND a.attnum > 0 "
        "ORDER BY a.attnum"
    ).fetchall()
    assert tuple(r[0] for r in rows) == INSERT_COLUMNS
    binary_names = {"boolean": "bool", "double precision": "float8", "bigint": "int8"}
    assert tuple(binary_names.get(r[1], r[1]) for r in rows) == STAGE_TYPES
    copy_columns = re.search(r"COPY jobs \(([^)]*)\)", all_queries()["jobs_copy"])
    assert copy_columns is not None
    assert tuple(c.strip() for c in copy_columns.group(1).split(",")) == INSERT_COLUMNS


def test_the_grouped_writes_name_the_same_columns_then_id_and_group() -> None:
    grouped = (*INSERT_COLUMNS, "id", "group_id")
    for name, pattern in (
        ("jobs_copy_grouped", r"COPY jobs \(([^)]*)\)"),
        ("jobs_insert_staged_grouped", r"INSERT INTO jobs \(([^)]*)\)"),
    ):
        columns = re.search(pattern, all_queries()[name])
        assert columns is not None, name
        assert tuple(c.strip() for c in columns.group(1).split(",")) == grouped, name

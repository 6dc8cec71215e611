"""Values made safe for Postgres: the columns the store writes, JSON without NaN or NUL, and rows
for the binary COPY. Text goes through ``engine.text.pg_text``, the one DB-safe text function."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

from psycopg.types.json import Jsonb

from engine.jobs.record import JobRecord
from engine.text import pg_text

# Columns of jobs written by the store, in the order of the staging COPY.
INSERT_COLUMNS = (
    "job_url",
    "site",
    "site_job_id",
    "title",
    "company",
    "company_url",
    "description",
    "location_raw",
    "city",
    "region",
    "country",
    "is_remote",
    "date_posted",
    "job_type",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_interval",
    "emails",
    "extra",
    "node_id",
    "search_term",
)
# Their Postgres types, for the binary COPY (no text escaping of 1-5 KB descriptions).
STAGE_TYPES = (
    "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
    "bool", "date", "text", "float8", "float8", "text", "text", "text[]", "jsonb", "int8", "text",
)  # fmt: skip


def json_safe(value: Any) -> Any:
    """A JSON-ready copy of ``value``: no NaN/inf (JSON has none), no NUL, plain containers."""
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {pg_text(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return pg_text(str(value))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(json_safe(value or {}), dumps=dumps)


def _column_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "extra":
        return _jsonb(value)
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if name == "emails":
        return [pg_text(str(v)) for v in value] or None
    return value


def stage_row(record: JobRecord) -> tuple[Any, ...]:
    return tuple(_column_value(name, getattr(record, name)) for name in INSERT_COLUMNS)

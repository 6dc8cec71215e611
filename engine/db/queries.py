"""Named SQL queries, loaded once from ``sql/queries/*.sql``.

Each file holds blocks introduced by a ``-- name: some_name`` line (procrastinate's layout); the
text up to the next such line is the query. Values always go as parameters (``%(x)s``), never by
string formatting. Names are unique across all files.
"""

from __future__ import annotations

import re
from functools import cache
from typing import LiteralString

from engine.db.migrations import sql_dir

_NAME = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str, source: str = "<text>") -> dict[str, str]:
    found: dict[str, str] = {}
    matches = list(_NAME.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip()
        name = match.group("name")
        if name in found:
            raise ValueError(f"query {name!r} is defined twice in {source}")
        if not body:
            raise ValueError(f"query {name!r} in {source} is empty")
        found[name] = body
    return found


@cache
def all_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for path in sorted((sql_dir() / "queries").glob("*.sql")):
        for name, body in parse_queries(path.read_text(encoding="utf-8"), path.name).items():
            if name in queries:
                raise ValueError(f"query {name!r} is defined in two files (second: {path.name})")
            queries[name] = body
    return queries


def q(name: str) -> LiteralString:
    """The SQL text of the named query (typed as a literal: it comes from our own files)."""
    try:
        return all_queries()[name]  # our own files: literal in spirit (mypy treats it as str)
    except KeyError:
        raise KeyError(f"no SQL query named {name!r} in sql/queries/*.sql") from None

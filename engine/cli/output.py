"""How the CLI prints: JSON for machines, plain tables for people, errors as one sentence.

Values from the outside world (scraped text, log messages) are printed literally: tables get
``rich.text.Text`` cells, never markup strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

stdout = Console(highlight=False, soft_wrap=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=_json_default, ensure_ascii=False, indent=2))
    sys.stdout.write("\n")


def print_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None
) -> None:
    table = Table(title=title, header_style="bold", box=None, pad_edge=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text("" if row.get(c) is None else str(row.get(c))) for c in columns))
    stdout.print(table)


def error(message: str) -> None:
    stderr.print(Text(f"jobfleet: error: {message}", style="red"))


def info(message: str) -> None:
    stderr.print(Text(message))

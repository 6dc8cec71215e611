"""How the CLI prints: JSON for machines, plain tables for people, errors as one sentence.

Values from the outside world (scraped text, log messages, node names) are printed literally:
every string goes through :func:`engine.text.visible_text` (control characters shown, never
sent) and into a ``rich.text.Text`` (markup never parsed); JSON through
:func:`engine.text.json_for_terminal`, written with ``sys.stdout.write`` (rich never sees it).
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

from engine.text import json_for_terminal, visible_text

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


def print_json(value: Any) -> None:
    text = json.dumps(value, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write(json_for_terminal(text))
    sys.stdout.write("\n")


def literal(value: object, *, one_line: bool = False, style: str = "") -> Text:
    """``value`` as a rich ``Text`` that prints exactly what it says, controls made visible."""
    return Text(visible_text(value, one_line=one_line), style=style)


def print_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None
) -> None:
    table = Table(title=title, header_style="bold", box=None, pad_edge=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(literal(row.get(c), one_line=True) for c in columns))
    stdout.print(table)


def print_line(value: object) -> None:
    """One line on stdout exactly as it is: controls made visible, never wrapped (the output
    may be piped to tools that read it line by line)."""
    sys.stdout.write(visible_text(value, one_line=True) + "\n")


def error(message: str) -> None:
    stderr.print(literal(f"jobfleet: error: {message}", style="red"))


def info(message: str) -> None:
    stderr.print(literal(message))

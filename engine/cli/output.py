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

from rich.cells import cell_len
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


def cell_text(value: Any) -> str:
    """A table cell as one line of visible text (None is empty)."""
    return "" if value is None else visible_text(value, one_line=True)


def print_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    cut: Sequence[str] = (),
) -> None:
    """A table for people on a terminal (rich, fitted to its width: the ``cut`` columns are
    shortened with … so the others stay whole; without ``cut``, long cells wrap); piped or
    redirected, tab-separated values with a header line (a ``title`` as a ``# title`` line
    first), every value whole on one line, so ``cut -f``, ``awk -F'\\t'`` and ``grep`` get whole
    titles and URLs."""
    if not stdout.is_terminal:
        out = []
        if title:
            out.append(f"# {title}")
        out.append("\t".join(columns))
        for row in rows:
            out.append("\t".join(cell_text(row.get(c)).replace("\t", " ") for c in columns))
        sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
        return
    rows = list(rows)
    cells = [[cell_text(row.get(c)) for c in columns] for row in rows]
    table = Table(title=title, header_style="bold", box=None, pad_edge=False)
    # What the other columns need (two spaces between columns): the cut ones get the rest.
    needed = {
        c: max([cell_len(c), *(cell_len(line[i]) for line in cells)]) for i, c in enumerate(columns)
    }
    rest = stdout.width - 2 * (len(columns) - 1)
    rest -= sum(w for c, w in needed.items() if c not in cut)
    share = max(10, rest // max(1, sum(1 for c in columns if c in cut)))
    for column in columns:
        if column in cut:
            table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=share)
        else:
            # With a column to cut the others stay whole; without, rich wraps long cells.
            table.add_column(column, no_wrap=bool(cut))
    for line in cells:
        table.add_row(*(Text(cell) for cell in line))
    stdout.print(table)


def print_line(value: object) -> None:
    """One line on stdout exactly as it is: controls made visible, never wrapped (the output
    may be piped to tools that read it line by line)."""
    sys.stdout.write(visible_text(value, one_line=True) + "\n")


def terminal_width() -> int:
    """The width of the terminal stdout is (80 when it is not one)."""
    return stdout.width if stdout.is_terminal else 80


def error(message: str) -> None:
    stderr.print(literal(f"jobfleet: error: {message}", style="red"))


def info(message: str) -> None:
    stderr.print(literal(message))

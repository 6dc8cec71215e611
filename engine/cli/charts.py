"""Charts for a terminal, drawn with rich: a day per line, a bar per day stacked by key (site
or country), a legend. Piped output gets the same numbers as plain columns instead."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine.jobs.stats import OTHER, DailySeries
from engine.text import visible_text

PALETTE = ("cyan", "green", "yellow", "magenta", "blue", "red")
OTHER_STYLE = "bright_black"
BLOCK = "█"


def _styles(keys: list[str]) -> dict[str, str]:
    styles, colours = {}, iter(PALETTE * 2)
    for key in keys:
        styles[key] = OTHER_STYLE if key == OTHER else next(colours)
    return styles


def stacked_bars(series: DailySeries, title: str, width: int) -> RenderableType:
    """One line per day: the date, the total and a bar whose coloured parts are the keys'
    shares; the longest bar fills ``width`` columns less the labels."""
    keys = list(series.series)
    styles = _styles(keys)
    totals = series.totals()
    top = max(totals, default=0)
    bar_width = max(10, width - 10 - 1 - 7 - 2)
    table = Table(title=title, title_justify="left", box=None, pad_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    for i, day in enumerate(series.days):
        bar = Text()
        drawn, running = 0, 0
        for key in keys:
            running += series.series[key][i]
            # Cumulative rounding: the parts add up to the whole bar.
            end = round(running / top * bar_width) if top else 0
            if end > drawn:
                bar.append(BLOCK * (end - drawn), styles[key])
                drawn = end
        table.add_row(day.strftime("%Y-%m-%d"), f"{totals[i]:,}", bar)
    legend = Text("  ")
    for key in keys:
        legend.append(BLOCK, styles[key])
        legend.append(f" {visible_text(key, one_line=True)} ({sum(series.series[key]):,})  ")
    return Group(table, legend)


def plain_columns(series: DailySeries, label: str) -> tuple[list[dict[str, object]], list[str]]:
    """The same numbers as rows for print_table: day, total, one column per key."""
    keys = list(series.series)
    totals = series.totals()
    rows: list[dict[str, object]] = []
    for i, day in enumerate(series.days):
        row: dict[str, object] = {label: day.isoformat(), "total": totals[i]}
        row.update({key: series.series[key][i] for key in keys})
        rows.append(row)
    return rows, [label, "total", *keys]

"""The CLI's stacked day bars (engine.cli.charts) and the per-day series (engine.jobs.stats)."""

from __future__ import annotations

from datetime import date

from rich.console import Console

from engine.cli.charts import plain_columns, stacked_bars
from engine.jobs.stats import DailySeries

DAYS = [date(2025, 6, 1), date(2025, 6, 2), date(2025, 6, 3)]


def test_top_keeps_the_largest_and_sums_the_rest() -> None:
    series = DailySeries(
        DAYS, {"a": [1, 0, 0], "b": [5, 5, 5], "c": [0, 2, 0], "d": [0, 0, 1], "e": [3, 0, 0]}
    )
    top = series.top(3)
    assert list(top.series) == ["b", "e", "other"]
    assert top.series["other"] == [1, 2, 1]
    assert top.totals() == series.totals() == [9, 7, 6]
    assert series.as_json()["2025-06-02"] == {"b": 5, "c": 2}
    assert DailySeries(DAYS, {}).totals() == [0, 0, 0]


def test_stacked_bars_scale_to_the_longest_day_and_add_up() -> None:
    series = DailySeries(DAYS, {"indeed": [10, 5, 0], "linkedin": [10, 0, 1]})
    console = Console(width=60, record=True, color_system=None)
    console.print(stacked_bars(series, "new per day", 60))
    lines = [ln.rstrip() for ln in console.export_text().splitlines()]
    assert lines[0] == "new per day"
    bars = [ln.count("█") for ln in lines[1:4]]
    assert bars[0] == 60 - 10 - 1 - 7 - 2  # the longest day fills the bar
    assert bars[1] == round(5 / 20 * bars[0]) and bars[2] == round(1 / 20 * bars[0])
    assert lines[1].startswith("2025-06-01") and " 20 " in lines[1]
    assert "indeed (15)" in lines[-1] and "linkedin (11)" in lines[-1]


def test_plain_columns_have_a_column_per_key() -> None:
    rows, columns = plain_columns(DailySeries(DAYS, {"US": [1, 2, 3]}), "day")
    assert columns == ["day", "total", "US"]
    assert rows[2] == {"day": "2025-06-03", "total": 3, "US": 3}

"""Unit tests of the display helpers (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tui.app import JobfleetApp
from tui.screens.help import help_sections
from tui.text import clean, fmt_bytes, fmt_duration, literal, sparkline
from tui.widgets.card_grid import CardFilter, sort_key
from tui.widgets.log_view import LogView, format_row


def test_clean_removes_control_and_bidi_characters() -> None:
    assert clean("a\x1b[31mb\x07c\x00d\u202ee\r\nf") == "a[31mbcde f"
    assert clean("x" * 10, max_len=5) == "xxxx…"
    assert clean(None) == ""
    assert clean("a\nb", one_line=False) == "a\nb"


@given(st.text())
def test_clean_output_has_no_control_characters(text: str) -> None:
    out = clean(text)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_literal_never_parses_markup() -> None:
    text = literal("[bold red]x[/] [link=http://e]y[/link]")
    assert text.plain == "[bold red]x[/] [link=http://e]y[/link]"
    assert text.spans == []


def test_formats() -> None:
    assert fmt_duration(None) == "—"
    assert fmt_duration(5) == "5s"
    assert fmt_duration(187) == "3m07s"
    assert fmt_duration(7500) == "2h05m"
    assert fmt_duration(3 * 86400 + 4 * 3600) == "3d04h"
    assert fmt_bytes(None) == "—"
    assert fmt_bytes(512) == "512 B"
    assert fmt_bytes(182 * 2**20) == "182 MiB"
    assert fmt_bytes(3 * 2**30) == "3.0 GiB"


def test_sparkline_scales_to_the_maximum_and_width() -> None:
    assert sparkline([0, 0, 0], 10) == "▁▁▁"
    assert sparkline([0, 5, 10], 10) == "▁▅█"
    assert sparkline(list(range(30)), 4) == "▇███"
    assert sparkline([1, 2], 0) == ""


def test_card_filter_and_sort() -> None:
    nodes = [
        {"id": 1, "name": "b", "status": "running", "jobs_found": 5, "spec": {"country": "DE"}},
        {"id": 2, "name": "a", "status": "fatal", "jobs_found": 9, "spec": {"country": "FR"}},
    ]
    assert [n["id"] for n in nodes if CardFilter(country="de").matches(n)] == [1]
    assert [n["id"] for n in nodes if CardFilter(status="fatal").matches(n)] == [2]
    assert [n["id"] for n in nodes if CardFilter(text="B").matches(n)] == [1]
    assert [n["id"] for n in sorted(nodes, key=lambda n: sort_key("name", n))] == [2, 1]
    assert [n["id"] for n in sorted(nodes, key=lambda n: sort_key("status", n))] == [2, 1]
    assert [n["id"] for n in sorted(nodes, key=lambda n: sort_key("found", n))] == [2, 1]


def test_log_row_is_one_clean_line() -> None:
    row = {
        "id": 7,
        "ts": datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
        "level": "error",
        "node_id": 3,
        "event": "boom",
        "message": "line1\nline2 \x1b[2J[b]x[/b]",
        "fields": {"k": "v\r"},
    }
    entry = format_row(row, {3: "n3"})
    assert "\n" not in entry.line and "\x1b" not in entry.line
    assert "ERROR" in entry.line and "n3 boom: line1 line2 [2J[b]x[/b] k=v" in entry.line
    assert entry.level == 3 and entry.id == 7


def test_log_view_keeps_a_bounded_buffer() -> None:
    view = LogView(max_entries=3)
    rows = [
        {"id": i, "ts": None, "level": "info", "node_id": None, "event": "e", "message": str(i)}
        for i in range(1, 6)
    ]
    view.entries.extend(format_row(r, {}) for r in rows)
    assert [e.id for e in view.entries] == [3, 4, 5]


def test_help_lists_every_screen_binding() -> None:
    sections = dict(help_sections(JobfleetApp.BINDINGS))
    assert any(key == "ctrl+q" for key, _ in sections["Everywhere"])
    dashboard_keys = {key for key, _ in sections["Dashboard"]}
    assert {"n", "s", "x", "k", "r", "Del", "Enter", "l", "c", "j", "/"} <= dashboard_keys
    assert {"t", "Esc, q", "l"} <= {key for key, _ in sections["Node"]}
    assert {"s", "c", "g", "o", "e"} <= {key for key, _ in sections["Jobs browser"]}
    assert any(key == "ctrl+s" for key, _ in sections["Deploy form"])
    assert all(what for rows in sections.values() for _, what in rows)


def test_every_status_has_a_place_in_each_status_list() -> None:
    from engine.fleet.states import NodeStatus
    from tui.screens.dashboard import STATUSES
    from tui.widgets import card_grid, fleet_header
    from tui.widgets.node_card import STATUS_ICON, STATUS_STYLE

    every = sorted(NodeStatus)
    for listed in (STATUSES, card_grid.STATUS_ORDER, fleet_header.STATUS_ORDER):
        assert sorted(listed) == every
    assert sorted(STATUS_STYLE) == every
    assert sorted(STATUS_ICON) == every


def test_deploy_form_has_every_spec_field_once_labelled_by_its_title() -> None:
    from engine.fleet.spec import NodeSpec
    from tui.screens.deploy import ALL_FIELDS, LABELS

    assert sorted(ALL_FIELDS) == sorted(NodeSpec.model_fields)
    for name in ALL_FIELDS:
        title = NodeSpec.model_fields[name].title
        assert title and LABELS[name].startswith(title)


def test_count_ticks_are_whole_numbers() -> None:
    from tui.text import count_ticks

    assert count_ticks(0) == [0, 1]
    assert count_ticks(1) == [0, 1]
    assert count_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert count_ticks(36) == [0, 8, 16, 24, 32, 40]

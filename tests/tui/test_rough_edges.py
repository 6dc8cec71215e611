"""Pilot tests of the control plane's rough edges (issue 14): keys that arrive in one burst (as
tmux and SSH deliver them) keep their order in the deploy form; every red field says why in
plain words; Delete asks once, says the worker will be stopped, then stops and deletes; the log
pane keeps time order and wraps long lines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from textual import events
from textual.widgets import Input, Static

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.tui.helpers import make_app, wait_for
from tui.screens.confirm import ConfirmScreen
from tui.screens.deploy import ALL_FIELDS, DeployScreen
from tui.widgets.card_grid import CardGrid
from tui.widgets.log_view import CONTINUATION, LogView, format_row


async def _form(pilot: Any, app: Any) -> DeployScreen:
    await wait_for(pilot, lambda: app.polls > 0, "first poll")
    await pilot.press("n")
    form: DeployScreen = await wait_for(
        pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "deploy form"
    )
    return form


def _burst(app: Any, *keys: str) -> None:
    """Keys as one read from the terminal delivers them: all queued before any is handled."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def test_a_burst_of_keys_keeps_its_order_in_the_deploy_form(settings: Any, db: Any) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(100, 40)) as pilot:
            form = await _form(pilot, app)
            name = form.query_one("#f-name", Input)
            term = form.query_one("#f-search_term", Input)
            name.value = "abc"
            await pilot.pause()
            _burst(app, "home", "1", "end", "2", "tab", "x", "shift+tab", "end", "3")
            await wait_for(pilot, lambda: name.value == "1abc23", f"name is {name.value!r}")
            assert term.value == "x"
            assert form.focused is name

    asyncio.run(run())


def test_every_red_field_says_why_in_plain_words(settings: Any, db: Any) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(100, 40)) as pilot:
            form = await _form(pilot, app)
            form.query_one("#f-results_wanted", Input).value = "5000"
            form.query_one("#f-memory_limit_mb", Input).value = "12"
            form.query_one("#f-max_cycles", Input).value = ""  # blank: never recycled, valid
            await pilot.press("ctrl+s")

            def message(field: str) -> str:
                widget = form.query_one(f"#err-{field}", Static)
                return str(widget.render()) if widget.display else ""

            await wait_for(pilot, lambda: message("name"), "messages")
            assert message("name") == "required"
            assert message("search_term") == "required"
            assert message("country") == "required"
            assert message("results_wanted") == "a whole number from 1 to 1000"
            assert message("memory_limit_mb") == "a whole number from 64 to 65536"
            assert message("max_cycles") == ""
            for field in ALL_FIELDS:
                red = form.query_one(f"#box-{field}").has_class("-invalid")
                assert red == bool(message(field)), field
            # No input is red on its own (Textual's validators) without the form saying why.
            assert not [i.id for i in form.query(Input) if i.has_class("-invalid")]
            label = form.query_one("#box-max_cycles").query_one("Label")
            assert "Cycles before the worker is recycled" in str(label.render())

    asyncio.run(run())


def test_delete_asks_once_then_stops_the_worker_and_deletes(settings: Any, db: Any) -> None:
    spec = parse_spec(
        {"name": "busy", "search_term": "x", "country": "DE", "locations": ["Berlin"]}
    )
    node_id = nodes.deploy(db, spec, start=True)
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING, pid=999_999)
        nodes.change_state(conn, node_id, NodeStatus.RUNNING)

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            grid = app.dashboard.query_one(CardGrid)
            await wait_for(pilot, lambda: grid.card_text(node_id), "card")
            grid.select(node_id)
            await pilot.press("delete")
            dialog = await wait_for(
                pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, "question"
            )
            question = " ".join(str(s.render()) for s in dialog.query(Static))
            assert "Delete node busy?" in question
            assert "Its worker will be stopped first." in question
            await pilot.press("y")
            # The kill is requested first; play the supervisor carrying it out.
            await wait_for(
                pilot, lambda: nodes.get_node(db, node_id).kill_requested, "kill requested"
            )
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STOPPED)
            await wait_for(pilot, lambda: not nodes.list_nodes(db), "node deleted")
            assert not isinstance(app.screen, ConfirmScreen)  # asked once

    asyncio.run(run())


def _row(i: int, ts: datetime, message: str, level: str = "info") -> dict[str, Any]:
    return {"id": i, "ts": ts, "level": level, "node_id": 1, "event": "e", "message": message}


def test_the_log_pane_keeps_time_order_and_wraps_long_lines(settings: Any, db: Any) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(80, 24)) as pilot:
            view = LogView()
            await app.screen.mount(view)
            await pilot.pause()
            t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
            view.add_entries([format_row(_row(2, t0 + timedelta(seconds=5), "second"), {})])
            # A batch written later holds an event that happened earlier: it goes in its place.
            view.add_entries([format_row(_row(3, t0, "first"), {})])
            long = "x" * 300
            view.add_entries([format_row(_row(4, t0 + timedelta(seconds=9), long, "error"), {})])
            await pilot.pause()
            shown = view.shown_lines
            assert ["first" in shown[0], "second" in shown[1], long in shown[2]] == [True] * 3
            rows = list(view.lines)
            assert len(rows) > 3 and all(len(r) <= view.size.width for r in rows)
            assert rows[3].startswith(CONTINUATION)
            assert "".join(r.removeprefix(CONTINUATION) for r in rows[2:]).endswith(long)
            assert view.toggle_wrap() is False
            assert len(view.lines) == 3
            view.add_entries([format_row(_row(3, t0, "first"), {})])  # a repeat: ignored
            assert len(view.shown_lines) == 3

    asyncio.run(run())


def test_the_form_warns_like_deploy_about_unknown_places(settings: Any, db: Any) -> None:
    from textual.widgets import Select, TextArea

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(100, 40)) as pilot:
            form = await _form(pilot, app)
            form.query_one("#f-name", Input).value = "typo"
            form.query_one("#f-search_term", Input).value = "python"
            form.query_one("#f-country", Select).value = "DE"
            await wait_for(pilot, lambda: form.form_data()["locations"], "location pool filled")
            form.query_one("#f-locations", TextArea).text = "Berlin\nQwrtz Zzyxq"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: nodes.list_nodes(db), "deployed")

            def warned() -> list[str]:
                return [n.message for n in app._notifications if "Qwrtz" in n.message]

            (message,) = await wait_for(pilot, warned, "warning shown")
            assert "'Qwrtz Zzyxq' is not a place jobfleet knows" in message
            assert "Berlin" not in message

    asyncio.run(run())


def test_a_burst_of_keys_keeps_its_order_in_the_jobs_filters(settings: Any, db: Any) -> None:
    """The same ordered keys on every screen with text fields (where no field has the focus,
    Home and End go on to the widget: tests/tui/test_card_grid.py)."""
    from tui.screens.jobs import JobsScreen

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            await pilot.press("j")
            jobs = await wait_for(
                pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen, "jobs screen"
            )
            text = jobs.query_one("#q", Input)
            country = jobs.query_one("#country", Input)
            text.focus()
            text.value = "abc"
            await pilot.pause()
            _burst(app, "home", "1", "end", "2", "tab", "x", "shift+tab", "end", "3")
            await wait_for(pilot, lambda: text.value == "1abc23", f"text is {text.value!r}")
            assert country.value == "x"
            assert jobs.focused is text

    asyncio.run(run())

"""Pilot tests of the control plane against a real Postgres (no embedded supervisor: the test
plays the supervisor's part through engine.nodes.change_state where a status must move)."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import Input, Select, Static

from engine import nodes
from engine.spec import parse_spec
from engine.states import NodeStatus
from tui.screens.dashboard import DashboardScreen
from tui.screens.deploy import DeployScreen
from tui.widgets.card_grid import CardGrid
from tests.tui.helpers import make_app, wait_for


def _node_rows(db: Any) -> list[dict[str, Any]]:
    with db.connection() as conn:
        return conn.execute(
            "SELECT id, name, desired, status::text AS status FROM nodes"
        ).fetchall()


def _grid(app: Any) -> CardGrid:
    return app.dashboard.query_one(CardGrid)


def test_deploy_card_appears_then_stop_changes_status(settings: Any, db: Any) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            await pilot.press("n")
            form = await wait_for(
                pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "deploy form"
            )
            form.query_one("#f-name", Input).value = "berlin-py"
            form.query_one("#f-search_term", Input).value = "python developer"
            form.query_one("#f-country", Select).value = "DE"
            await wait_for(pilot, lambda: form.form_data()["locations"], "location pool filled")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: _node_rows(db), "node row written")
            (row,) = _node_rows(db)
            assert row["name"] == "berlin-py" and row["desired"] == "running"
            node_id = int(row["id"])

            card = await wait_for(pilot, lambda: _grid(app).cards.get(node_id), "card appears")
            assert isinstance(app.screen, DashboardScreen)
            assert "berlin-py" in card.render().plain
            assert _grid(app).selected_id == node_id

            # Act as the supervisor: the worker came up.
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STARTING, pid=4242)
                nodes.change_state(conn, node_id, NodeStatus.RUNNING)
            await wait_for(pilot, lambda: card.node.get("status") == "running", "card running")

            await pilot.press("x")
            await wait_for(
                pilot, lambda: _node_rows(db)[0]["desired"] == "stopped", "stop requested"
            )
            # The supervisor carries the stop out; the card follows.
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STOPPING)
            await wait_for(pilot, lambda: card.node.get("status") == "stopping", "card stopping")
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STOPPED, pid=None)
            await wait_for(pilot, lambda: card.node.get("status") == "stopped", "card stopped")
            assert card.has_class("-stopped")
            assert "stopped" in card.render().plain

    asyncio.run(run())


def test_bad_fields_show_inline_messages_and_write_nothing(settings: Any, db: Any) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            await pilot.press("n")
            form = await wait_for(
                pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "deploy form"
            )
            form.query_one("#f-name", Input).value = "bad/name!"
            form.query_one("#f-search_term", Input).value = "python"
            form.query_one("#f-results_wanted", Input).value = "0"
            form.query_one("#f-delay_min", Input).value = "100"
            form.query_one("#f-delay_max", Input).value = "10"
            await pilot.press("ctrl+s")

            def message(field: str) -> str:
                widget = form.query_one(f"#err-{field}", Static)
                return str(widget.render()) if widget.display else ""

            await wait_for(pilot, lambda: message("name"), "name message")
            assert "letters, digits" in message("name")
            assert "greater than or equal to 1" in message("results_wanted")
            assert "required" in message("country")
            assert message("search_term") == ""
            assert form.query_one("#box-name").has_class("-invalid")
            assert isinstance(app.screen, DeployScreen)  # the form stays open
            assert _node_rows(db) == []

            # Fixing the fields clears their messages as the user types; the model's cross-field
            # rule (delay_max >= delay_min) speaks once the fields themselves are valid.
            form.query_one("#f-name", Input).value = "good-name"
            form.query_one("#f-results_wanted", Input).value = "5"
            form.query_one("#f-country", Select).value = "DE"
            await wait_for(pilot, lambda: message("name") == "", "name message cleared")
            await wait_for(pilot, lambda: "delay_min" in message("delay_max"), "delay rule")
            assert message("results_wanted") == "" and message("country") == ""
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: form.deploying is False, "deploy refused")
            assert _node_rows(db) == []

    asyncio.run(run())


def test_duplicate_name_is_reported_on_the_name_field(settings: Any, db: Any) -> None:
    nodes.deploy(db, parse_spec({"name": "taken", "search_term": "x", "country": "DE"}))

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("n")
            form = await wait_for(
                pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "deploy form"
            )
            form.query_one("#f-name", Input).value = "taken"
            form.query_one("#f-search_term", Input).value = "python"
            form.query_one("#f-country", Select).value = "FR"
            await wait_for(pilot, lambda: form.form_data()["locations"], "location pool filled")
            await pilot.press("ctrl+s")
            err = form.query_one("#err-name", Static)
            await wait_for(
                pilot, lambda: err.display and "already exists" in str(err.render()), "dup"
            )
            assert len(_node_rows(db)) == 1

    asyncio.run(run())

"""Pilot tests of marking cards and acting on many nodes at once, and of run-once (real
Postgres, no embedded supervisor: the test plays the supervisor's part where a status moves)."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.tui.helpers import make_app, wait_for
from tui.commands import FleetCommands
from tui.screens.confirm import ConfirmScreen
from tui.widgets.card_grid import CardGrid
from tui.widgets.node_card import MARK

S = NodeStatus


def _deploy_running(db: Any, name: str) -> int:
    spec = parse_spec(
        {"name": name, "search_term": "python", "country": "DE", "locations": ["Bonn"]}
    )
    node_id = nodes.deploy(db, spec)
    with db.connection() as conn:
        nodes.change_state(conn, node_id, S.STARTING, pid=4000 + node_id)
        nodes.change_state(conn, node_id, S.RUNNING)
    return node_id


def _row(db: Any, node_id: int) -> dict[str, Any]:
    with db.connection() as conn:
        return conn.execute(
            "SELECT desired, status::text AS status, stop_requested, run_once FROM nodes"
            " WHERE id = %s",
            (node_id,),
        ).fetchone()


def _grid(app: Any) -> CardGrid:
    return app.dashboard.query_one(CardGrid)


def _status(app: Any, node_id: int) -> str | None:
    node = _grid(app).nodes.get(node_id)
    return str(node.get("status")) if node else None


def test_mark_two_cards_stop_both_with_one_question(settings: Any, db: Any) -> None:
    a, b, c = (_deploy_running(db, name) for name in ("alpha", "bravo", "charlie"))

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            grid = _grid(app)
            await wait_for(pilot, lambda: len(grid.nodes) == 3, "three cards")
            grid.focus()
            grid.select(a)
            await pilot.press("space")
            grid.select(b)
            await pilot.press("space")
            assert grid.marked == {a, b}
            for node_id in (a, b):
                assert grid.card_text(node_id).plain.startswith(MARK)  # type: ignore[union-attr]
            assert not grid.card_text(c).plain.startswith(MARK)  # type: ignore[union-attr]
            # Space again unmarks, and marks again.
            await pilot.press("space")
            assert grid.marked == {a}
            await pilot.press("space")

            await pilot.press("x")
            confirm = await wait_for(
                pilot,
                lambda: isinstance(app.screen, ConfirmScreen) and app.screen,
                "one question",
            )
            assert confirm.question.startswith("Stop 2 nodes? (alpha, bravo)")
            await pilot.press("y")
            await wait_for(
                pilot,
                lambda: all(_row(db, i)["desired"] == "stopped" for i in (a, b)),
                "both stop requested",
            )
            assert _row(db, c)["desired"] == "running"
            assert grid.marked == set()
            # The supervisor's part: both workers exit; both cards follow.
            with db.connection() as conn:
                for node_id in (a, b):
                    nodes.change_state(conn, node_id, S.STOPPING)
                    nodes.change_state(conn, node_id, S.STOPPED, pid=None)
            await wait_for(
                pilot,
                lambda: _status(app, a) == _status(app, b) == "stopped",
                "both cards stopped",
            )
            assert _status(app, c) == "running"

    asyncio.run(run())


def test_cancelled_question_does_nothing_and_escape_unmarks(settings: Any, db: Any) -> None:
    a, b = (_deploy_running(db, name) for name in ("delta", "echo"))

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            grid = _grid(app)
            await wait_for(pilot, lambda: len(grid.nodes) == 2, "cards")
            grid.focus()
            await pilot.press("ctrl+a")
            assert grid.marked == {a, b}
            await pilot.press("k")
            confirm = await wait_for(
                pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, "question"
            )
            assert confirm.question.startswith("Kill the workers of 2 nodes?")
            await pilot.press("n")
            await pilot.pause()
            assert all(_row(db, i)["desired"] == "running" for i in (a, b))
            assert grid.marked == {a, b}  # still marked after a cancel
            await pilot.press("escape")
            assert grid.marked == set()

    asyncio.run(run())


def test_palette_acts_on_every_filtered_node(settings: Any, db: Any) -> None:
    a = _deploy_running(db, "web-one")
    b = _deploy_running(db, "web-two")
    other = _deploy_running(db, "batch")

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            grid = _grid(app)
            await wait_for(pilot, lambda: len(grid.nodes) == 3, "cards")
            app.dashboard.query_one("#filter-text").value = "web"
            await wait_for(pilot, lambda: len(grid.visible_ids) == 2, "filtered")
            provider = FleetCommands(app.screen)
            commands = {text: command for text, command, _ in provider._commands()}
            assert "Run once all marked nodes" in commands
            commands["Restart all filtered nodes"]()
            confirm = await wait_for(
                pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, "question"
            )
            assert confirm.question.startswith("Restart 2 nodes?")
            await pilot.press("y")
            await wait_for(
                pilot,
                lambda: all(_row(db, i)["stop_requested"] for i in (a, b)),
                "both restarts requested",
            )
            assert not _row(db, other)["stop_requested"]

    asyncio.run(run())


def test_run_once_key_asks_for_one_cycle_of_a_stopped_node(settings: Any, db: Any) -> None:
    spec = parse_spec(
        {"name": "quiet", "search_term": "go", "country": "DE", "locations": ["Kiel"]}
    )
    node_id = nodes.deploy(db, spec, start=False)

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            grid = _grid(app)
            await wait_for(pilot, lambda: node_id in grid.nodes, "card")
            grid.focus()
            grid.select(node_id)
            await pilot.press("1")
            await wait_for(pilot, lambda: _row(db, node_id)["run_once"], "run-once requested")
            assert _row(db, node_id)["desired"] == "stopped"

    asyncio.run(run())

"""The dashboard's card grid: selection by keys and mouse, scrolling, and redraws that stay local.

The grid draws every card itself (line API), so these tests read what it draws (``render_line``)
and count card drawings (``grid.draws``) instead of looking for card widgets.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from tests.tui.helpers import make_app, wait_for
from tui.screens.node_detail import NodeDetailScreen
from tui.widgets.card_grid import CardGrid
from tui.widgets.node_card import CARD_HEIGHT

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def _deploy_many(db: Any, count: int) -> list[int]:
    ids = []
    for i in range(count):
        spec = parse_spec(
            {"name": f"node-{i:02d}", "search_term": "python", "country": "DE", "locations": ["A"]}
        )
        ids.append(nodes.deploy(db, spec, start=False))
    return ids


def _grid(app: Any) -> CardGrid:
    return app.dashboard.query_one(CardGrid)


def _screen_text(grid: CardGrid) -> str:
    """What the grid shows right now: every visible line, as drawn."""
    return "\n".join(grid.render_line(y).text for y in range(grid.scrollable_content_region.height))


def test_keys_move_the_selection_and_scroll_it_into_view(settings: Any, db: Any) -> None:
    ids = _deploy_many(db, 30)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(_grid(app).nodes) == 30, "all nodes")
            grid = _grid(app)
            await wait_for(pilot, lambda: grid.selected_id == ids[0], "first selected")
            assert grid._columns == 2  # 100 columns fit two cards of at least 38
            await pilot.press("right")
            assert grid.selected_id == ids[1]
            await pilot.press("down")
            assert grid.selected_id == ids[3]
            await pilot.press("left", "up")
            assert grid.selected_id == ids[0]
            assert grid.scroll_offset.y == 0

            await pilot.press("end")
            assert grid.selected_id == ids[-1]
            await pilot.pause()
            # The last card scrolled into view, drawn with the selection's double border.
            assert grid.scroll_offset.y > 0
            text = _screen_text(grid)
            assert "node-29" in text and "╔" in text
            assert "node-00" not in text

            await pilot.press("home")
            await pilot.pause()
            assert grid.selected_id == ids[0] and grid.scroll_offset.y == 0
            await pilot.press("pagedown")
            assert grid.selected_id not in (None, ids[0])
            await pilot.press("pageup")
            assert grid.selected_id == ids[0]

    asyncio.run(run())


def test_click_selects_and_double_click_opens_the_node_screen(settings: Any, db: Any) -> None:
    ids = _deploy_many(db, 4)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(_grid(app).nodes) == 4, "all nodes")
            grid = _grid(app)
            await wait_for(pilot, lambda: grid.selected_id == ids[0], "first selected")
            # Second row, second column: node-03 (cards are sorted by name).
            left = grid._lefts[1] + 3
            await pilot.click(CardGrid, offset=(left, CARD_HEIGHT + 2))
            assert grid.selected_id == ids[3]
            # The gutter between two cards selects nothing.
            await pilot.click(CardGrid, offset=(grid._lefts[1] - 1, 2))
            assert grid.selected_id == ids[3]
            await pilot.double_click(CardGrid, offset=(3, 2))
            screen = await wait_for(
                pilot,
                lambda: isinstance(app.screen, NodeDetailScreen) and app.screen,
                "node screen",
            )
            assert grid.selected_id == ids[0]
            assert screen.node_id == ids[0]

    asyncio.run(run())


def test_only_changed_cards_are_drawn_again(settings: Any, db: Any) -> None:
    ids = _deploy_many(db, 30)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(_grid(app).nodes) == 30, "all nodes")
            grid = _grid(app)
            await wait_for(pilot, lambda: grid.selected_id == ids[0], "first selected")
            await wait_for(pilot, lambda: grid.draws > 0, "first paint")
            await pilot.pause()
            # Only the cards in view were ever drawn, not all thirty.
            assert grid.draws < 30

            polls, draws = app.polls, grid.draws
            await wait_for(pilot, lambda: app.polls >= polls + 2, "two more polls")
            await pilot.pause()
            assert grid.draws == draws  # nothing changed, nothing drawn

            await pilot.press("right")
            await wait_for(pilot, lambda: grid.draws >= draws + 2, "selection repainted")
            await pilot.pause()
            assert grid.draws == draws + 2  # the card left and the card selected

            with db.connection() as conn:
                conn.execute("UPDATE nodes SET jobs_found = 4321 WHERE id = %s", (ids[2],))
            polls, draws = app.polls, grid.draws
            await wait_for(pilot, lambda: "4,321" in _screen_text(grid), "changed card shown")
            assert grid.draws == draws + 1

    asyncio.run(run())


def test_filter_and_sort_change_what_is_drawn(settings: Any, db: Any) -> None:
    ids = _deploy_many(db, 6)
    with db.connection() as conn:
        conn.execute("UPDATE nodes SET jobs_found = id * 10")

    async def run() -> None:
        from textual.widgets import Input

        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_for(pilot, lambda: len(_grid(app).nodes) == 6, "all nodes")
            grid = _grid(app)
            app.dashboard.query_one("#filter-text", Input).value = "node-04"
            await wait_for(pilot, lambda: grid.visible_ids == [ids[4]], "filtered")
            await pilot.pause()
            text = _screen_text(grid)
            assert "node-04" in text and "node-00" not in text
            assert grid.selected_id == ids[4]

            await pilot.press("escape")
            await wait_for(pilot, lambda: len(grid.visible_ids) == 6, "filter cleared")
            grid.set_sort("found")
            assert grid.visible_ids == ids[::-1]
            await pilot.pause()
            assert _screen_text(grid).index("node-05") < _screen_text(grid).index("node-00")

    asyncio.run(run())


def test_a_selected_card_in_view_stays_in_view_when_the_order_changes(
    settings: Any, db: Any
) -> None:
    ids = _deploy_many(db, 30)
    with db.connection() as conn:
        conn.execute("UPDATE nodes SET jobs_found = id * 10")

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(_grid(app).nodes) == 30, "all nodes")
            grid = _grid(app)
            await wait_for(pilot, lambda: grid.selected_id == ids[0], "first selected")
            await pilot.pause()
            assert grid.scroll_offset.y == 0
            grid.set_sort("found")  # node-00 found the fewest jobs: it moves to the end
            assert grid.visible_ids[-1] == ids[0] and grid.selected_id == ids[0]
            # The scroll follows once the new order is laid out.
            await wait_for(pilot, lambda: grid.scroll_offset.y > 0, "scrolled to the selection")
            await wait_for(pilot, lambda: "node-00" in _screen_text(grid), "selection shown")

    asyncio.run(run())


def test_changes_behind_another_screen_are_drawn_when_the_dashboard_returns(
    settings: Any, db: Any
) -> None:
    """While another screen is on top the grid asks for no repaints, and on return it shows what
    changed meanwhile."""
    ids = _deploy_many(db, 4)

    async def run() -> None:
        app = make_app(settings, db, clock=lambda: NOW)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: len(_grid(app).nodes) == 4, "all nodes")
            grid = _grid(app)
            await wait_for(pilot, lambda: grid.draws > 0, "first paint")
            await pilot.press("j")
            await wait_for(pilot, lambda: app.screen is not app.dashboard, "jobs browser on top")
            # Textual still counts the screen right under the top one as current and would
            # repaint it: the grid must not ask while hidden.
            repaints: list[Any] = []
            real_refresh = grid.refresh
            grid.refresh = lambda *a, **k: (repaints.append(a), real_refresh(*a, **k))[1]  # type: ignore[method-assign]
            with db.connection() as conn:
                conn.execute("UPDATE nodes SET jobs_found = 8765 WHERE id = %s", (ids[1],))
            polls = app.polls
            await wait_for(pilot, lambda: app.polls >= polls + 2, "polls while hidden")
            await wait_for(pilot, lambda: grid.nodes[ids[1]]["jobs_found"] == 8765, "data in")
            await pilot.pause()
            assert repaints == []
            grid.refresh = real_refresh  # type: ignore[method-assign]
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.dashboard, "dashboard back")
            await wait_for(pilot, lambda: "8,765" in _screen_text(grid), "change shown")

    asyncio.run(run())


def test_a_card_shows_health_that_needs_a_look() -> None:
    from tui.widgets.node_card import card_lines

    base = {"name": "n", "status": "running", "desired": "running", "last_error": "old"}
    failing = {
        **base,
        "health": "failing",
        "health_reason": "linkedin: 3 timeouts in a row; indeed: 3 errors in a row",
    }
    lines = card_lines(failing, None, None, 120).plain.splitlines()
    assert lines[0].endswith("running · failing")
    assert lines[-1] == "! linkedin: 3 timeouts in a row; indeed: 3 errors in a row"
    degraded = {**base, "health": "degraded", "health_reason": "linkedin: 1 timeout; indeed ok"}
    assert card_lines(degraded, None, None, 120).plain.splitlines()[-1] == (
        "! linkedin: 1 timeout; indeed ok"
    )
    for quiet in ("ok", "unknown"):
        lines = card_lines({**base, "health": quiet}, None, None, 120).plain.splitlines()
        assert lines[0].endswith("running") and lines[-1] == "! old"
    # A FATAL node shows why it cannot run (last_error), whatever its last scrapes said.
    fatal = {**failing, "status": "fatal", "last_error": "ca_cert: no such file: /x.pem"}
    assert card_lines(fatal, None, None, 120).plain.splitlines()[-1] == (
        "! ca_cert: no such file: /x.pem"
    )

"""Pilot tests of the control plane against a real Postgres (no embedded supervisor: the test
plays the supervisor's part through engine.nodes.change_state where a status must move)."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import Input, Select, Static

from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.tui.helpers import make_app, wait_for
from tui.screens.dashboard import DashboardScreen
from tui.screens.deploy import DeployScreen
from tui.screens.export_dialog import ExportDialog
from tui.screens.job_detail import JobDetailScreen
from tui.screens.jobs import JobsScreen
from tui.screens.logs import LogsScreen
from tui.widgets.card_grid import CardGrid
from tui.widgets.log_view import LogView


def _node_rows(db: Any) -> list[dict[str, Any]]:
    with db.connection() as conn:
        return conn.execute(
            "SELECT id, name, desired, status::text AS status FROM nodes"
        ).fetchall()


def _grid(app: Any) -> CardGrid:
    return app.dashboard.query_one(CardGrid)


def _card(app: Any, node_id: int) -> Any:
    """What the node's card shows, once the grid has the node (None before)."""
    return _grid(app).card_text(node_id)


def _status(app: Any, node_id: int) -> str | None:
    node = _grid(app).nodes.get(node_id)
    return str(node.get("status")) if node else None


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

            card = await wait_for(pilot, lambda: _card(app, node_id), "card appears")
            assert isinstance(app.screen, DashboardScreen)
            assert "berlin-py" in card.plain
            await wait_for(pilot, lambda: _grid(app).selected_id == node_id, "card selected")

            # Act as the supervisor: the worker came up.
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STARTING, pid=4242)
                nodes.change_state(conn, node_id, NodeStatus.RUNNING)
            await wait_for(pilot, lambda: _status(app, node_id) == "running", "card running")

            await pilot.press("x")
            await wait_for(
                pilot, lambda: _node_rows(db)[0]["desired"] == "stopped", "stop requested"
            )
            # The supervisor carries the stop out; the card follows.
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STOPPING)
            await wait_for(pilot, lambda: _status(app, node_id) == "stopping", "card stopping")
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STOPPED, pid=None)
            await wait_for(pilot, lambda: _status(app, node_id) == "stopped", "card stopped")
            assert "stopped" in _card(app, node_id).plain.splitlines()[0]

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
            assert message("results_wanted") == "a whole number from 1 to 1000"
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
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
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


HOSTILE = "[bold red]pwn[/] \x1b[31mred\x1b[0m [link=http://x]click[/link]"


def _deploy(db: Any, name: str, country: str = "DE") -> int:
    spec = parse_spec(
        {"name": name, "search_term": "python", "country": country, "locations": ["Berlin"]}
    )
    return nodes.deploy(db, spec, start=False)


def test_log_follow_shows_history_then_new_events_literally(settings: Any, db: Any) -> None:
    from engine.fleet.events import log_event_now

    node_id = _deploy(db, "logger")
    other = _deploy(db, "other")

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            grid = _grid(app)
            await wait_for(pilot, lambda: _card(app, node_id) and _card(app, other), "cards")
            grid.select(node_id)
            await pilot.press("l")
            screen = await wait_for(
                pilot, lambda: isinstance(app.screen, LogsScreen) and app.screen, "logs screen"
            )
            view = screen.query_one(LogView)
            await wait_for(
                pilot, lambda: any("deployed" in ln for ln in view.shown_lines), "history"
            )

            with db.connection() as conn:
                log_event_now(conn, "error", "scrape_failed", HOSTILE, node_id=node_id, site="x")
                log_event_now(conn, "info", "not_mine", "other node", node_id=other)
                log_event_now(conn, "warning", "slow", "second line\nthird", node_id=node_id)
            await wait_for(pilot, lambda: any("slow" in ln for ln in view.shown_lines), "followed")
            lines = view.shown_lines
            hostile = next(ln for ln in lines if "scrape_failed" in ln)
            # Markup stays literal; the escape character is gone, so no terminal sequence is left.
            assert "[bold red]pwn[/]" in hostile and "[link=http://x]click[/link]" in hostile
            assert "\x1b" not in hostile and "ERROR" in hostile and "site=x" in hostile
            assert not any("not_mine" in ln for ln in lines)  # another node's events
            assert any("second line third" in ln for ln in lines)  # one event, one line

            # Level filter keeps only warnings and errors; text filter narrows further.
            screen.query_one("#log-level", Select).value = "warning"
            await wait_for(pilot, lambda: len(view.shown_lines) == 2, "level filter")
            screen.query_one("#log-text", Input).value = "pwn"
            await wait_for(pilot, lambda: len(view.shown_lines) == 1, "text filter")
            assert "scrape_failed" in view.shown_lines[0]

            await pilot.press("escape", "escape")
            await wait_for(pilot, lambda: app.screen is app.dashboard, "back to dashboard")

    asyncio.run(run())


def test_card_shows_hostile_error_text_literally(settings: Any, db: Any) -> None:
    node_id = _deploy(db, "victim")
    with db.connection() as conn:
        conn.execute(
            "UPDATE nodes SET last_error = %s, current_location = %s WHERE id = %s",
            (HOSTILE, "[i]Berlin[/i]\r\x07", node_id),
        )

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            text = await wait_for(pilot, lambda: _card(app, node_id), "card")
            assert "[bold red]pwn[/]" in text.plain and "[i]Berlin[/i]" in text.plain
            assert not any(ch in text.plain for ch in "\x1b\x07\r")
            # Nothing in the hostile text became a style: only the card's own spans exist.
            assert all("link" not in str(span.style) for span in text.spans)

            # What the grid draws on screen carries the same literal text and no link.
            def drawn() -> list[Any]:
                return [_grid(app).render_line(y) for y in range(8)]

            await wait_for(pilot, lambda: "victim" in drawn()[1].text, "card drawn")
            screen_text = "\n".join(strip.text for strip in drawn())
            assert "[bold red]pwn[/]" in screen_text and "\x1b" not in screen_text
            assert not any(seg.style and seg.style.link for strip in drawn() for seg in strip)

    asyncio.run(run())


def _insert_job(db: Any, **values: Any) -> int:
    cols = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    with db.connection() as conn:
        row = conn.execute(
            f"INSERT INTO jobs ({cols}) VALUES ({marks}) RETURNING id",  # test data only
            tuple(values.values()),
        ).fetchone()
    return int(row["id"])


def test_jobs_search_and_detail_render_scraped_text_literally(settings: Any, db: Any) -> None:
    import datetime as dt

    from textual.widgets import DataTable, Markdown

    hostile_id = _insert_job(
        db,
        job_url="https://example.test/jobs/1",
        site="indeed",
        title="[b]Senior[/b] Python \x1b[2J Engineer",
        company="[red]ACME[/red]",
        description="## Role\n\nWrite **Python**. [red]not markup[/red] "
        "<script>alert(1)</script>\n\n"
        "[click](javascript:alert(1))",
        city="Berlin",
        country="DE",
        date_posted=dt.date(2025, 1, 2),
    )
    _insert_job(
        db,
        job_url="https://example.test/jobs/2",
        site="linkedin",
        title="Gardener",
        company="Green",
        description="Plants.",
        country="FR",
    )

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: app.db is not None and app.polls > 0, "connected")
            await pilot.press("j")
            screen = await wait_for(
                pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen, "jobs screen"
            )
            table = screen.query_one(DataTable)
            await wait_for(pilot, lambda: table.row_count == 2, "all jobs listed")

            screen.query_one("#q", Input).value = "python"
            screen.query_one("#q", Input).focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.searches >= 2 and table.row_count == 1, "search")
            title_cell = table.get_row_at(0)[0]
            assert (
                title_cell.plain.startswith("[b]Senior[/b] Python")
                and "\x1b" not in title_cell.plain
            )

            table.focus()
            await pilot.press("enter")
            detail = await wait_for(
                pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen, "detail"
            )
            await wait_for(pilot, lambda: detail.job is not None, "job loaded")
            assert detail.job["id"] == hostile_id
            md = detail.query_one(Markdown)
            await wait_for(pilot, lambda: "Role" in md.source, "markdown")
            assert "[red]not markup[/red]" in md.source
            rendered = "\n".join(str(w.render()) for w in md.query("*") if hasattr(w, "render"))
            assert "[red]not markup[/red]" in rendered
            # A link in the description is not followed.
            md.post_message(Markdown.LinkClicked(md, "javascript:alert(1)"))
            await pilot.pause()
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, "back to results")

            # Export the current results (the search for "python"): the dialog's defaults.
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog), "export dialog")
            await pilot.press("enter")
            exports = settings.home / "exports"
            await wait_for(pilot, lambda: list(exports.glob("jobs-*.csv")), "export file")
            (out,) = list(exports.glob("jobs-*.csv"))
            await wait_for(pilot, lambda: "Senior" in out.read_text(), "export written")
            assert "Gardener" not in out.read_text()

    asyncio.run(run())


def test_jobs_browser_merges_the_postings_of_one_job(settings: Any, db: Any) -> None:
    import datetime as dt
    import io

    from rich.console import Console
    from textual.widgets import DataTable

    today = dt.date.today()
    ids = [
        _insert_job(
            db,
            job_url=f"https://example.test/{site}/7",
            site=site,
            title="Rust Backend Engineer",
            company="Ferrous GmbH",
            description="rust backend",
            city="Munich" if site == "glassdoor" else None,
            country="DE",
            date_posted=today - dt.timedelta(days=n),
        )
        for n, site in enumerate(["linkedin", "indeed", "glassdoor"])
    ]
    _insert_job(
        db,
        job_url="https://example.test/solo",
        site="indeed",
        title="Gardener",
        date_posted=today - dt.timedelta(days=10),
    )
    with db.connection() as conn:
        conn.execute("UPDATE jobs SET group_id = %s WHERE id = ANY(%s)", (ids[0], ids))

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(140, 36)) as pilot:
            await wait_for(pilot, lambda: app.db is not None and app.polls > 0, "connected")
            await pilot.press("j")
            screen = await wait_for(
                pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen, "jobs screen"
            )
            table = screen.query_one(DataTable)
            await wait_for(pilot, lambda: screen.searches >= 1, "first search")
            assert table.row_count == 2  # three postings of one job, and the gardener
            first = table.get_row_at(0)
            assert first[0].plain == "Rust Backend Engineer"
            assert first[2].plain == "Munich, DE"  # the most precise location of the group
            cell = dict(zip(screen._columns, first, strict=True))
            assert cell["site"].plain == "linkedin" and cell["also"].plain == "indeed, glassdoor"

            table.focus()
            await pilot.press("a")  # every posting
            await wait_for(pilot, lambda: screen.searches >= 2, "all postings")
            assert table.row_count == 4 and screen.all_postings

            await pilot.press("a")
            await wait_for(pilot, lambda: screen.searches >= 3 and table.row_count == 2, "jobs")
            table.move_cursor(row=0)
            await pilot.press("enter")
            detail = await wait_for(
                pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen, "detail"
            )
            await wait_for(pilot, lambda: detail.job is not None, "job loaded")
            assert len(detail.job["group_postings"]) == 3
            console = Console(width=140, record=True, file=io.StringIO())
            console.print(detail.query_one("#job-fields", Static).content)
            fields = console.export_text()
            assert "glassdoor" in fields and "2 other posting(s)" in fields

    asyncio.run(run())


def test_check_proxy_shows_the_exit_ip(
    settings: Any, db: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    from textual.widgets import TextArea

    from engine.sim import SimBoards

    monkeypatch.setenv("PROXY_TUI_TEST_PASS", "pw-for-the-sim")
    with SimBoards(seed=7, port=0, auth=("u", "pw-for-the-sim"), ca_dir=tmp_path) as sim:
        proxy = f"http://u:${{PROXY_TUI_TEST_PASS}}@127.0.0.1:{sim.port}"

        async def run() -> None:
            app = make_app(settings, db)
            async with app.run_test(size=(100, 40)) as pilot:
                await wait_for(pilot, lambda: app.polls > 0, "first poll")
                await pilot.press("n")
                form = await wait_for(
                    pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "form"
                )
                form.query_one("#f-proxies", TextArea).text = proxy
                form.query_one("#f-ca_cert", Input).value = str(sim.ca_path)
                result = form.query_one("#proxy-result", Static)
                form.action_check_proxy()
                await wait_for(pilot, lambda: "exit IP" in str(result.render()), "exit IP")
                assert "203.0.113.10" in str(result.render())
                assert result.has_class("-ok")

                # A wrong password is reported, not shown.
                monkeypatch.setenv("PROXY_TUI_TEST_PASS", "wrong-password")
                form.action_check_proxy()
                await wait_for(pilot, lambda: result.has_class("-bad"), "failure shown")
                assert "wrong-password" not in str(result.render())

        asyncio.run(run())


def test_command_palette_opens_the_jobs_browser(settings: Any, db: Any) -> None:
    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            await pilot.press("ctrl+p")
            await pilot.press(*"browse jobs")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen), "jobs screen")
            await pilot.press("escape")
            await pilot.press("f1")
            from tui.screens.help import HelpScreen

            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help screen")

    asyncio.run(run())


class _RecordingSupervisor:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def shutdown(self, stop_workers: bool = False) -> None:
        self.calls.append(stop_workers)


def test_quit_asks_only_when_workers_run_and_leaves_them_by_default(settings: Any, db: Any) -> None:
    from tui.screens.quit import QuitScreen

    node_id = _deploy(db, "busy")

    async def run(running: bool) -> _RecordingSupervisor:
        if running:
            with db.connection() as conn:
                nodes.change_state(conn, node_id, NodeStatus.STARTING, pid=999_999)
                nodes.change_state(conn, node_id, NodeStatus.RUNNING)
        app = make_app(settings, db)
        supervisor = _RecordingSupervisor()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            app.supervisor = supervisor  # as if embedded
            await pilot.press("ctrl+q")
            if running:
                await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen), "quit dialog")
                await pilot.press("enter")  # the focused default: leave them running
            await wait_for(pilot, lambda: supervisor.calls, "supervisor shut down")
        return supervisor

    assert asyncio.run(run(running=False)).calls == [False]
    assert asyncio.run(run(running=True)).calls == [False]


def test_freeze_gc_exempts_startup_objects_after_the_first_poll(settings: Any, db: Any) -> None:
    import gc

    async def run(freeze: bool) -> int:
        app = make_app(settings, db, freeze_gc=freeze)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            await pilot.pause()
            return gc.get_freeze_count()

    assert gc.get_freeze_count() == 0
    try:
        assert asyncio.run(run(freeze=False)) == 0  # tests and embedders keep the default
        assert asyncio.run(run(freeze=True)) > 0
    finally:
        gc.unfreeze()


def test_demo_quit_dialog_stops_the_workers_by_default(settings: Any, db: Any) -> None:
    from textual.widgets import Button

    from tui.screens.quit import QuitScreen

    node_id = _deploy(db, "demo-busy")
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING, pid=999_999)
        nodes.change_state(conn, node_id, NodeStatus.RUNNING)

    async def run() -> tuple[list[bool], str | None, str]:
        app = make_app(settings, db, demo=True)
        supervisor = _RecordingSupervisor()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            app.supervisor = supervisor  # as if embedded
            await pilot.press("ctrl+q")
            dialog = await wait_for(
                pilot, lambda: isinstance(app.screen, QuitScreen) and app.screen, "quit dialog"
            )
            focused = app.focused.id if app.focused else None
            first = dialog.query(Button).first().id or ""
            await pilot.press("enter")  # the focused default: stop them
            await wait_for(pilot, lambda: supervisor.calls, "supervisor shut down")
        return supervisor.calls, focused, first

    calls, focused, first = asyncio.run(run())
    assert calls == [True]
    assert focused == "stop" and first == "stop"


def test_demo_deploy_form_is_prefilled_and_pins_nodes_to_the_demo_host(
    settings: Any, db: Any, tmp_path: Any
) -> None:
    import trustme

    from engine.sim import search_terms_hint
    from tui.screens.deploy import DeployPreset

    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))  # deploy checks that it is a real PEM file
    proxy = "http://demo:${JOBFLEET_PROXY_DEMO_PASS}@127.0.0.1:8899"
    preset = DeployPreset(
        values={"proxies": [proxy], "ca_cert": str(ca)},
        host="demo@box",
        hint=f"Demo: proxy and CA filled in. {search_terms_hint()}",
    )

    async def run() -> None:
        app = make_app(settings, db, demo=True, deploy_preset=preset)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.polls > 0, "first poll")
            await pilot.press("n")
            form = await wait_for(
                pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "deploy form"
            )
            data = form.form_data()
            assert data["proxies"] == [proxy] and data["ca_cert"] == str(ca)
            hint = str(form.query_one("#preset-hint", Static).render())
            assert "python developer" in hint and "registered nurse" in hint
            assert "Deploy a new node" in str(form.query_one(".dialog-title", Static).render())
            form.query_one("#f-name", Input).value = "demo-extra"
            form.query_one("#f-search_term", Input).value = "nurse"
            form.query_one("#f-country", Select).value = "GB"
            await wait_for(pilot, lambda: form.form_data()["locations"], "location pool filled")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: _node_rows(db), "node row written")

    asyncio.run(run())
    row = nodes.get_node(db, "demo-extra")
    assert row.spec["proxies"] == [proxy] and row.spec["ca_cert"] == str(ca)
    assert row.host == "demo@box" and row.pinned


def test_edit_key_opens_the_form_prefilled_and_saves_through_update_spec(
    settings: Any, db: Any
) -> None:
    from textual.widgets import TextArea

    from engine.fleet.history import spec_history

    node_id = _deploy(db, "edit-me")
    nodes.deploy(
        db, parse_spec({"name": "other", "search_term": "x", "country": "DE"}), start=False
    )

    async def run() -> None:
        app = make_app(settings, db)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: _card(app, node_id), "card appears")
            _grid(app).select(node_id)
            await pilot.press("e")
            form = await wait_for(
                pilot, lambda: isinstance(app.screen, DeployScreen) and app.screen, "edit form"
            )
            assert form.editing == node_id
            assert form.query_one("#f-name", Input).value == "edit-me"
            assert form.query_one("#f-search_term", Input).value == "python"
            assert form.query_one("#f-results_wanted", Input).value == "20"
            assert form.query_one("#f-country", Select).value == "DE"
            assert form.query_one("#f-locations", TextArea).text == "Berlin"
            assert "Save" in str(form.query_one("#deploy").label)

            # Invalid: the form says why and nothing is written.
            form.query_one("#f-results_wanted", Input).value = "0"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: form.deploying is False, "save refused")
            assert isinstance(app.screen, DeployScreen)
            # A name that is taken: said on the name field, nothing written.
            form.query_one("#f-results_wanted", Input).value = "45"
            form.query_one("#f-name", Input).value = "OTHER"
            await pilot.press("ctrl+s")
            err = form.query_one("#err-name", Static)
            await wait_for(
                pilot, lambda: err.display and "already exists" in str(err.render()), "taken"
            )
            assert nodes.get_node(db, node_id).spec["results_wanted"] == 20

            form.query_one("#f-name", Input).value = "edit-me"
            form.query_one("#f-search_term", Input).value = "golang"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "form closed")
            spec = nodes.get_node(db, node_id).spec
            assert (spec["search_term"], spec["results_wanted"]) == ("golang", 45)
            assert len(nodes.list_nodes(db)) == 2  # edited, not deployed anew
            latest = spec_history(db, node_id)[0]
            assert latest.action == "edit"
            assert [c["field"] for c in latest.changes] == ["search_term", "results_wanted"]
            await wait_for(
                pilot, lambda: "golang" in _card(app, node_id).plain, "card shows the new term"
            )

    asyncio.run(run())

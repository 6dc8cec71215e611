"""The dashboard: a card per node, filters, sorting, and actions on the selected card."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Select, Static

from engine.fleet.states import NodeStatus
from tui.data import FleetSnapshot
from tui.keys import ORDERED_KEYS, OrderedKeys
from tui.screens.confirm import ConfirmScreen
from tui.text import clean
from tui.widgets.card_grid import SORTS, CardFilter, CardGrid
from tui.widgets.fleet_header import FleetHeader
from tui.widgets.node_card import node_spec

# The status filter's choices, in the order of the dropdown.
STATUSES: tuple[NodeStatus, ...] = (
    NodeStatus.RUNNING,
    NodeStatus.STARTING,
    NodeStatus.STOPPING,
    NodeStatus.STOPPED,
    NodeStatus.EXITED,
    NodeStatus.BACKOFF,
    NodeStatus.FATAL,
    NodeStatus.LOST,
    NodeStatus.SCHEDULED,
)

# How a question names a bulk action on several nodes: "Stop 5 nodes?".
BULK_VERBS: dict[str, tuple[str, str]] = {
    "start": ("Start", "Start"),
    "stop": ("Stop", "Stop"),
    "kill": ("Kill the workers of", "Kill"),
    "restart": ("Restart", "Restart"),
    "delete": ("Delete", "Delete"),
    "run_once": ("Run one cycle now of", "Run once"),
}

ACTION_BUTTONS = [
    ("deploy", "Deploy", "Deploy a new node (n)"),
    ("start", "Start", "Start the selected node (s)"),
    ("stop", "Stop", "Stop the selected node gracefully (x)"),
    ("kill", "Kill", "Kill the selected node's worker now (k, asks first)"),
    ("restart", "Restart", "Restart the selected node (r)"),
    ("delete", "Delete", "Delete the selected node (Del, asks first)"),
    ("logs", "Logs", "Live logs of the selected node (l)"),
    ("clone", "Clone", "Deploy form prefilled from the selected node (c)"),
    ("jobs", "Jobs", "Browse scraped jobs (j)"),
]


class DashboardScreen(OrderedKeys, Screen[None]):
    """Every node at a glance."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ORDERED_KEYS,  # Tab, Shift+Tab, Home, End keep their order in a burst (tmux, SSH)
        Binding("n", "deploy", "Deploy", tooltip="Open the deploy form for a new node"),
        Binding("s", "node('start')", "Start", tooltip="Start the selected node"),
        Binding("x", "node('stop')", "Stop", tooltip="Stop the selected node gracefully"),
        Binding("k", "node('kill')", "Kill", tooltip="Kill the selected node's worker (asks)"),
        Binding("r", "node('restart')", "Restart", tooltip="Restart the selected node"),
        Binding("delete", "node('delete')", "Delete", tooltip="Delete the selected node (asks)"),
        Binding(
            "1",
            "node('run_once')",
            "Run once",
            show=False,
            tooltip="Run one cycle now (a stopped or scheduled node), then back to its state",
        ),
        Binding("ctrl+a", "mark_all", "Mark all", show=False, tooltip="Mark every filtered card"),
        Binding(
            "enter", "detail", "Details", tooltip="Charts, spec and recent scrapes of the node"
        ),
        Binding("l", "logs", "Logs", tooltip="Live logs of the selected node"),
        Binding("a", "all_logs", "All logs", tooltip="Live logs of every node and supervisor"),
        Binding("c", "clone", "Clone", tooltip="Deploy form prefilled from the selected node"),
        Binding(
            "e",
            "edit",
            "Edit",
            show=False,
            tooltip="Edit the selected node's spec (a running worker restarts on it)",
        ),
        Binding("j", "jobs", "Jobs", tooltip="Browse and search scraped jobs"),
        Binding("h", "hosts", "Hosts", tooltip="Hosts and whether their supervisor is alive"),
        Binding("slash", "filter", "Filter", tooltip="Filter cards by name or search term"),
        Binding("o", "cycle_sort", "Sort", tooltip="Cycle the card order"),
        Binding("escape", "clear_filter", "Clear filter / marks", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._countries: list[str] = []
        self._select_after_poll: int | None = None
        self._early_snapshot: FleetSnapshot | None = None

    def compose(self) -> ComposeResult:
        yield FleetHeader()
        with Horizontal(id="filters"):
            yield Input(placeholder="/ filter name or term", id="filter-text", compact=True)
            yield Select[str]([], prompt="country", id="filter-country", compact=True)
            yield Select[str](
                [(s.value, s.value) for s in STATUSES],
                prompt="status",
                id="filter-status",
                compact=True,
            )
            yield Select[str](
                [(f"sort: {label}", key) for key, label in SORTS.items()],
                value="name",
                allow_blank=False,
                id="sort",
                compact=True,
            )
        yield Static("Connecting to the database…", id="empty")
        yield CardGrid(id="cards")
        with Horizontal(id="actions"):
            for key, label, tip in ACTION_BUTTONS:
                button = Button(label, id=f"do-{key}", compact=True)
                button.tooltip = tip
                yield button
        yield Footer()

    @property
    def grid(self) -> CardGrid:
        return self.query_one(CardGrid)

    def on_screen_resume(self) -> None:
        self.query_one(CardGrid).resumed()

    async def on_mount(self) -> None:
        self.grid.focus()
        if self._early_snapshot is not None:
            snap, self._early_snapshot = self._early_snapshot, None
            await self.apply_snapshot(snap)

    async def apply_snapshot(self, snap: FleetSnapshot) -> None:
        if not self.query(CardGrid):
            # The first poll can finish before this screen has composed (a loaded machine):
            # keep it for on_mount instead of failing on a missing widget.
            self._early_snapshot = snap
            return
        grid = self.grid
        grid.update_nodes(snap.nodes, snap.sparks, snap.now)
        countries = sorted({str(node_spec(n).get("country") or "") for n in snap.nodes} - {""})
        if countries != self._countries:
            self._countries = countries
            select = self.query_one("#filter-country", Select)
            current = select.value
            select.set_options([(clean(c), c) for c in countries])
            if isinstance(current, str) and current in countries:
                select.value = current
        empty = self.query_one("#empty", Static)
        if not snap.nodes:
            empty.update("No nodes yet. Press n (or click Deploy) to deploy one.")
        elif not grid.visible_ids:
            empty.update("No node matches the filter (Esc clears it).")
        empty.display = not grid.visible_ids
        if self._select_after_poll is not None and self._select_after_poll in grid.nodes:
            grid.select(self._select_after_poll)
            self._select_after_poll = None

    # --- filters ---

    def _read_filter(self) -> CardFilter:
        text = self.query_one("#filter-text", Input).value.strip()
        country = self.query_one("#filter-country", Select).value
        status = self.query_one("#filter-status", Select).value
        return CardFilter(
            text=text,
            country=country if isinstance(country, str) else "",
            status=status if isinstance(status, str) else "",
        )

    def _refilter(self) -> None:
        grid = self.grid
        grid.set_filter(self._read_filter())
        empty = self.query_one("#empty", Static)
        if grid.nodes and not grid.visible_ids:
            empty.update("No node matches the filter (Esc clears it).")
        empty.display = not grid.visible_ids

    @on(Input.Changed, "#filter-text")
    def _text_changed(self) -> None:
        self._refilter()

    @on(Input.Submitted, "#filter-text")
    def _text_submitted(self) -> None:
        self.grid.focus()

    @on(Select.Changed, "#filter-country")
    @on(Select.Changed, "#filter-status")
    def _select_changed(self) -> None:
        self._refilter()

    @on(Select.Changed, "#sort")
    def _sort_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.grid.set_sort(event.value)

    def action_filter(self) -> None:
        self.query_one("#filter-text", Input).focus()

    def action_clear_filter(self) -> None:
        if self.grid.marked:
            self.grid.clear_marks()  # Escape drops the marks first, then the filter
            return
        self.query_one("#filter-text", Input).value = ""
        self.query_one("#filter-country", Select).clear()
        self.query_one("#filter-status", Select).clear()
        self._refilter()
        self.grid.focus()

    def action_cycle_sort(self) -> None:
        keys = list(SORTS)
        select = self.query_one("#sort", Select)
        current = select.value if isinstance(select.value, str) else "name"
        select.value = keys[(keys.index(current) + 1) % len(keys)]

    # --- actions on the selected node ---

    def _selected(self) -> dict[str, Any] | None:
        node = self.grid.selected_node()
        if node is None:
            self.app.notify("Select a node first.", severity="warning", markup=False)
        return node

    def action_mark_all(self) -> None:
        self.grid.set_marked(self.grid.visible_ids, True)

    def on_card_grid_marks_changed(self, event: CardGrid.MarksChanged) -> None:
        if event.count:
            self.app.notify(
                f"{event.count} marked: s x k r 1 Del act on all of them (Esc unmarks)",
                markup=False,
                timeout=3,
            )

    def act_on(self, action: str, scope: str) -> None:
        """``action`` on every marked (``scope="marked"``) or filtered node, after one question
        naming how many."""
        grid = self.grid
        targets = grid.marked_nodes() if scope == "marked" else grid.visible_nodes()
        if not targets:
            self.app.notify(f"No {scope} nodes.", severity="warning", markup=False)
            return
        pairs = [(int(n["id"]), clean(n.get("name"))) for n in targets]
        verb, button = BULK_VERBS[action]
        names = ", ".join(name for _, name in pairs[:5])
        more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
        count = f"{len(pairs)} node" + ("s" if len(pairs) > 1 else "")
        question = f"{verb} {count}? ({names}{more})"
        if action == "delete":
            working = sum(
                1 for n in targets if n.get("status") in ("starting", "running", "stopping")
            )
            if working:
                question += (
                    f" {working} running worker{'s' if working > 1 else ''} will be stopped first."
                )
            question += " Their logs go too; scraped jobs stay."
        app: Any = self.app

        def confirmed(yes: bool | None) -> None:
            if yes:
                app.nodes_action(action, pairs)
                if scope == "marked":
                    grid.clear_marks()

        self.app.push_screen(ConfirmScreen(question, button), confirmed)

    def action_node(self, action: str) -> None:
        if self.grid.marked:
            self.act_on(action, "marked")
            return
        node = self._selected()
        if node is None:
            return
        node_id, name = int(node["id"]), clean(node.get("name"))
        app: Any = self.app
        if action in ("kill", "delete"):
            question = {
                "kill": f"Kill the worker of {name} now? Its current search is lost.",
                "delete": f"Delete node {name}? "
                + (
                    "Its worker will be stopped first. "
                    if node.get("status") in ("starting", "running", "stopping")
                    else ""
                )
                + "Its logs go too; scraped jobs stay.",
            }[action]

            def confirmed(yes: bool | None) -> None:
                if yes:
                    app.node_action(action, node_id, name)

            self.app.push_screen(ConfirmScreen(question, action.capitalize()), confirmed)
            return
        app.node_action(action, node_id, name)

    def action_deploy(
        self, initial: dict[str, Any] | None = None, editing: int | None = None
    ) -> None:
        """The deploy form: empty, a clone's (``initial``), or a node's to edit (``editing``)."""
        from tui.screens.deploy import DeployScreen

        app: Any = self.app
        if app.db is None:
            app.say("Not connected to the database yet.", severity="warning")
            return

        def deployed(node_id: int | None) -> None:
            if node_id is not None:
                self._select_after_poll = node_id
                app.request_refresh()

        self.app.push_screen(
            DeployScreen(app.db, initial=initial, preset=app.deploy_preset, editing=editing),
            deployed,
        )

    def action_edit(self, node_id: int | None = None) -> None:
        """The deploy form prefilled from a node's spec (the selected one by default)."""
        node = self.grid.nodes.get(node_id) if node_id is not None else self._selected()
        if node is None:
            return
        self.action_deploy(dict(node_spec(node)), editing=int(node["id"]))

    def action_clone(self) -> None:
        node = self._selected()
        if node is None:
            return
        spec = dict(node_spec(node))
        spec["name"] = f"{clean(node.get('name'))}-copy"
        self.action_deploy(spec)

    def action_logs(self) -> None:
        node = self._selected()
        if node is not None:
            self._open_logs(int(node["id"]), clean(node.get("name")))

    def action_all_logs(self) -> None:
        self._open_logs(None, None)

    def _open_logs(self, node_id: int | None, name: str | None) -> None:
        from tui.screens.logs import LogsScreen

        app: Any = self.app
        if app.db is not None:
            self.app.push_screen(LogsScreen(app.db, node_id=node_id, node_name=name))

    def action_jobs(self) -> None:
        from tui.screens.jobs import JobsScreen

        app: Any = self.app
        if app.db is not None:
            self.app.push_screen(JobsScreen(app.db, now=app.clock() if app.clock else None))

    def action_hosts(self) -> None:
        app: Any = self.app
        app.action_hosts()

    def action_detail(self) -> None:
        node = self._selected()
        if node is not None:
            self._open_detail(node)

    def _open_detail(self, node: dict[str, Any]) -> None:
        from tui.screens.node_detail import NodeDetailScreen

        app: Any = self.app
        if app.db is not None:
            self.app.push_screen(
                NodeDetailScreen(app.db, node, now=app.clock() if app.clock else None)
            )

    def on_card_grid_open_requested(self, event: CardGrid.OpenRequested) -> None:
        self._open_detail(self.grid.nodes[event.node_id])

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        key = (event.button.id or "").removeprefix("do-")
        if key in ("start", "stop", "kill", "restart", "delete"):
            self.action_node(key)
        elif key == "deploy":
            self.action_deploy()
        elif key == "logs":
            self.action_logs()
        elif key == "clone":
            self.action_clone()
        elif key == "jobs":
            self.action_jobs()
        self.grid.focus()

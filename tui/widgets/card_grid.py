"""The dashboard's grid of node cards: incremental updates, filtering, sorting and selection.

One widget draws every card through Textual's line API (``render_line``): nothing is mounted per
node, and only the lines on screen are ever drawn, so 200 nodes cost what the twenty cards in
view cost. Each card's strips are kept until its data, its width, the selection or the theme
changes. Polls arrive every second with every node; a node whose card would look the same is
not redrawn, and a changed card repaints only its own rectangle. Moving the selection redraws two
cards. The selection is remembered by node id, so it survives re-sorting and filtering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.fleet.states import NodeStatus
from tui.widgets.node_card import (
    CARD_CHROME,
    CARD_HEIGHT,
    card_changed,
    card_lines,
    card_texts,
    draw_card,
    node_spec,
    shown_health,
)

CARD_MIN_WIDTH = 38
GUTTER = 1  # blank columns between two cards

SORTS: dict[str, str] = {
    "name": "name",
    "status": "status",
    "found": "jobs found",
    "new": "jobs new",
    "heartbeat": "heartbeat age",
    "restarts": "restarts",
}
# Sorting by status puts the nodes that need a person first.
STATUS_ORDER: tuple[NodeStatus, ...] = (
    NodeStatus.FATAL,
    NodeStatus.LOST,
    NodeStatus.EXITED,
    NodeStatus.BACKOFF,
    NodeStatus.STARTING,
    NodeStatus.STOPPING,
    NodeStatus.RUNNING,
    NodeStatus.SCHEDULED,
    NodeStatus.STOPPED,
)


@dataclass(frozen=True)
class CardFilter:
    text: str = ""
    country: str = ""
    status: str = ""

    def matches(self, node: dict[str, Any]) -> bool:
        spec = node_spec(node)
        if self.status and str(node.get("status")) != self.status:
            return False
        if self.country and str(spec.get("country") or "").upper() != self.country.upper():
            return False
        if self.text:
            needle = self.text.casefold()
            hay = f"{node.get('name') or ''} {spec.get('search_term') or ''}".casefold()
            if needle not in hay:
                return False
        return True


def sort_key(sort: str, node: dict[str, Any]) -> tuple[Any, ...]:
    name = str(node.get("name") or "").casefold()
    if sort == "status":
        status = str(node.get("status"))
        rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
        return (rank, name)
    if sort == "found":
        return (-int(node.get("jobs_found") or 0), name)
    if sort == "new":
        return (-int(node.get("jobs_new") or 0), name)
    if sort == "heartbeat":
        age = node.get("heartbeat_age_s")
        return (-(float(age) if age is not None else -1.0), name)
    if sort == "restarts":
        return (-int(node.get("restarts") or 0), name)
    return (name,)


class CardGrid(ScrollView, can_focus=True):
    """Cards laid out in as many columns as fit; arrow keys move the selection."""

    BINDINGS = [
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("home", "edge(-1)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            show=False,
            tooltip="Mark or unmark the card for bulk actions",
        ),
    ]

    # Colours live in app.tcss: a border colour per node status, one per health worth a look
    # (degraded, failing: they colour a running node's border), and the selected card's look.
    COMPONENT_CLASSES = {
        "card-grid--selected",
        "card-grid--degraded",
        "card-grid--failing",
        *(f"card-grid--{status}" for status in STATUS_ORDER),
    }

    DEFAULT_CSS = """
    CardGrid {
        height: 1fr;
        overflow-x: hidden;
    }
    CardGrid > .card-grid--selected {
        color: $primary;
        background: $boost;
    }
    """

    selected_id: reactive[int | None] = reactive(None)

    @dataclass
    class SelectionChanged(Message):
        node_id: int | None

    @dataclass
    class OpenRequested(Message):
        node_id: int

    @dataclass
    class MarksChanged(Message):
        count: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.nodes: dict[int, dict[str, Any]] = {}
        self.sparks: dict[int, list[int]] = {}
        self.now: datetime | None = None
        self.filter = CardFilter()
        self.sort = "name"
        self._order: list[int] = []
        self._visible: list[int] = []
        self._index: dict[int, int] = {}  # node id → position in _visible
        self._columns = 1
        self._layout_width = 0
        self._base = Style()  # the widget's own style, taken at the start of each repaint
        self._widths: list[int] = []  # width of each column
        self._lefts: list[int] = []  # x of each column
        # Cards marked for a bulk action (space), by node id.
        self.marked: set[int] = set()
        # node id → (width, selected, marked, strips): a drawn card, valid while its inputs stay.
        self._drawn: dict[int, tuple[int, bool, bool, list[Strip]]] = {}
        # Canvas line y → that line across all columns; a card's change drops its own lines.
        self._lines: dict[int, Strip] = {}
        self._stale = False  # changes arrived while our screen was hidden
        self.draws = 0  # cards drawn since mount (tests check that redraws stay local)
        self.tooltip = (
            "Click to select, double-click for logs. The bars are new jobs per hour, "
            "newest on the right."
        )

    # --- data ---

    def update_nodes(
        self, nodes: list[dict[str, Any]], sparks: dict[int, list[int]], now: datetime | None
    ) -> int:
        """Bring the cards in line with ``nodes``; returns how many cards changed."""
        fresh: dict[int, dict[str, Any]] = {}
        fresh_sparks: dict[int, list[int]] = {}
        changed: list[int] = []
        added = False
        for node in nodes:
            node_id = int(node["id"])
            spark = list(sparks.get(node_id) or [])
            fresh[node_id], fresh_sparks[node_id] = node, spark
            old = self.nodes.get(node_id)
            if old is None:
                added = True
                changed.append(node_id)
            elif card_changed(old, self.sparks[node_id], self.now, node, spark, now):
                changed.append(node_id)
        gone = [i for i in self.nodes if i not in fresh]
        self.marked.difference_update(gone)
        self.nodes, self.sparks, self.now = fresh, fresh_sparks, now
        for node_id in (*changed, *gone):
            self._drawn.pop(node_id, None)
        if not self._relayout(force=added or bool(gone)):
            for node_id in changed:
                self._refresh_card(node_id)
        return len(changed) + len(gone)

    def _relayout(self, *, force: bool = False) -> bool:
        """Re-sort and re-filter; returns whether the layout changed (and was repainted)."""
        order = sorted(self.nodes, key=lambda i: sort_key(self.sort, self.nodes[i]))
        visible = [i for i in order if self.filter.matches(self.nodes[i])]
        moved = force or order != self._order or visible != self._visible
        if moved:
            # A selected card in view stays in view when the order changes under it; one the
            # user scrolled away from is left where it is.
            follow = self._in_view(self.selected_id)
            self._order, self._visible = order, visible
            self._index = {node_id: n for n, node_id in enumerate(visible)}
            self._update_virtual_size()
            self._refresh_all()
            if follow and self.selected_id is not None:
                # After the refresh: the new virtual size may bring the scrollbar it needs.
                self.call_after_refresh(self._scroll_to_card, self.selected_id)
        if self.selected_id not in self._index:
            self.selected_id = self._visible[0] if self._visible else None
        return moved

    def set_filter(self, card_filter: CardFilter) -> None:
        self.filter = card_filter
        self._relayout()

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self._relayout()

    @property
    def visible_ids(self) -> list[int]:
        return list(self._visible)

    def selected_node(self) -> dict[str, Any] | None:
        return self.nodes.get(self.selected_id) if self.selected_id is not None else None

    def card_text(self, node_id: int) -> Text | None:
        """What the node's card shows, as plain lines with their styles (None if no card)."""
        node = self.nodes.get(node_id)
        if node is None:
            return None
        width = self._widths[0] if self._widths else CARD_MIN_WIDTH
        return card_lines(
            node,
            self.sparks.get(node_id),
            self.now,
            width - CARD_CHROME,
            marked=node_id in self.marked,
        )

    # --- marks (bulk actions) ---

    def action_toggle_mark(self) -> None:
        if self.selected_id is not None:
            self.set_marked([self.selected_id], self.selected_id not in self.marked)

    def set_marked(self, node_ids: list[int], marked: bool) -> None:
        for node_id in node_ids:
            if node_id not in self.nodes:
                continue
            if marked:
                self.marked.add(node_id)
            else:
                self.marked.discard(node_id)
            self._refresh_card(node_id)
        self.post_message(self.MarksChanged(len(self.marked)))

    def clear_marks(self) -> None:
        self.set_marked(list(self.marked), False)

    def marked_nodes(self) -> list[dict[str, Any]]:
        """The marked nodes, in the cards' order."""
        return [self.nodes[i] for i in self._order if i in self.marked]

    def visible_nodes(self) -> list[dict[str, Any]]:
        """The nodes the filter lets through, in the cards' order."""
        return [self.nodes[i] for i in self._visible]

    # --- geometry ---

    def _layout_columns(self) -> None:
        """Fit the columns to the width (which the scrollbar coming and going also changes)."""
        width = max(1, self.scrollable_content_region.width)
        if width == self._layout_width:
            return
        self._layout_width = width
        columns = max(1, width // CARD_MIN_WIDTH)
        usable = max(columns, width - GUTTER * (columns - 1))
        base, extra = divmod(usable, columns)
        # Like a CSS grid of 1fr columns: the last columns take the leftover cells.
        widths = [base + (1 if c >= columns - extra else 0) for c in range(columns)]
        if widths != self._widths:
            self._columns, self._widths = columns, widths
            self._lefts = [sum(widths[:c]) + GUTTER * c for c in range(columns)]
            self._drawn.clear()
            self._update_virtual_size()
            self._refresh_all()

    def _update_virtual_size(self) -> None:
        rows = -(-len(self._visible) // max(1, self._columns))
        self.virtual_size = Size(self._layout_width, rows * CARD_HEIGHT)

    def _card_region(self, node_id: int) -> Region | None:
        """Where the card is on the virtual canvas."""
        index = self._index.get(node_id)
        if index is None or not self._widths:
            return None
        row, column = divmod(index, self._columns)
        return Region(self._lefts[column], row * CARD_HEIGHT, self._widths[column], CARD_HEIGHT)

    def _in_view(self, node_id: int | None) -> bool:
        region = self._card_region(node_id) if node_id is not None else None
        if region is None:
            return False
        view = Region(0, self.scroll_offset.y, self._layout_width, self.size.height)
        return view.overlaps(region)

    def _refresh_card(self, node_id: int) -> None:
        if not self._shown():
            return
        region = self._card_region(node_id)
        if region is not None:
            for y in range(region.y, region.bottom):
                self._lines.pop(y, None)
            self.refresh(region.translate(-self.scroll_offset))

    def _refresh_all(self) -> None:
        self._lines.clear()
        if self._shown():
            self.refresh()

    def _shown(self) -> bool:
        """Whether our screen is the one on top. While another screen covers the dashboard the
        grid asks for no repaints (the polls go on): it drops its cached lines and redraws once,
        on ``resumed``, instead of repainting cards nobody sees once a second."""
        try:
            # Not Screen.is_current: that also counts the screen right under the top one.
            shown = self.app.screen is self.screen
        except Exception:  # not mounted yet, or being torn down
            return True
        if not shown:
            self._lines.clear()
            self._stale = True
        return shown

    def resumed(self) -> None:
        """Our screen is on top again: draw what changed while it was hidden."""
        if self._stale:
            self._stale = False
            self._refresh_all()

    def _scroll_to_card(self, node_id: int) -> None:
        region = self._card_region(node_id)
        if region is not None:
            self.scroll_to_region(region, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._layout_columns()

    def notify_style_update(self) -> None:
        # A theme or focus change restyles borders and the selection: draw every card anew.
        super().notify_style_update()
        self._drawn.clear()
        self._refresh_all()

    # --- drawing ---

    def _card_strips(self, node_id: int, width: int) -> list[Strip]:
        selected = node_id == self.selected_id
        marked = node_id in self.marked
        drawn = self._drawn.get(node_id)
        if drawn is not None and drawn[:3] == (width, selected, marked):
            return drawn[3]
        node = self.nodes[node_id]
        status = str(node.get("status") or NodeStatus.STOPPED)
        base = self._base
        if selected:
            chosen = self.get_component_rich_style("card-grid--selected")
            fill = base + Style(bgcolor=chosen.bgcolor)
            border = fill + Style(color=chosen.color)
        else:
            fill = base
            health = shown_health(node)
            look = health if health and status == NodeStatus.RUNNING else status
            status_style = self.get_component_rich_style(f"card-grid--{look}", default=base)
            border = base + Style(color=status_style.color)
        lines = card_texts(
            node, self.sparks.get(node_id), self.now, width - CARD_CHROME, marked=marked
        )
        strips = draw_card(
            self.app.console, lines, width, border=border, fill=fill, double=selected
        )
        self._drawn[node_id] = (width, selected, marked, strips)
        self.draws += 1
        return strips

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once per repaint rather than once per line: both cost more than drawing from cache.
        self._layout_columns()
        self._base = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        y += self.scroll_offset.y
        strip = self._lines.get(y)
        if strip is not None:
            return strip
        base = self._base
        row, line = divmod(y, CARD_HEIGHT)
        parts: list[Strip] = []
        for column, card_width in enumerate(self._widths):
            if column:
                parts.append(Strip.blank(GUTTER, base))
            index = row * self._columns + column
            if index < len(self._visible):
                parts.append(self._card_strips(self._visible[index], card_width)[line])
            else:
                parts.append(Strip.blank(card_width, base))
        # overflow-x is hidden: the canvas is exactly as wide as the widget, never scrolled.
        strip = Strip.join(parts).extend_cell_length(self._layout_width, base)
        self._lines[y] = strip
        return strip

    def _card_at(self, x: int, y: int) -> int | None:
        """The node whose card covers canvas point (x, y), if any."""
        row = y // CARD_HEIGHT
        for column, (left, width) in enumerate(zip(self._lefts, self._widths, strict=True)):
            if left <= x < left + width:
                index = row * self._columns + column
                return self._visible[index] if 0 <= index < len(self._visible) else None
        return None

    # --- selection ---

    def watch_selected_id(self, old: int | None, new: int | None) -> None:
        for node_id in (old, new):
            if node_id is not None:
                self._refresh_card(node_id)
        if new is not None:
            self._scroll_to_card(new)
        self.post_message(self.SelectionChanged(new))

    def select(self, node_id: int) -> None:
        if node_id in self._index:
            self.selected_id = node_id

    def _step(self, delta: int) -> None:
        if not self._visible:
            return
        index = self._index.get(self.selected_id) if self.selected_id is not None else None
        if index is None:
            self.selected_id = self._visible[0]
            return
        self.selected_id = self._visible[max(0, min(len(self._visible) - 1, index + delta))]

    def action_move(self, dx: int, dy: int) -> None:
        self._step(dx + dy * self._columns)

    def action_edge(self, direction: int) -> None:
        if self._visible:
            self.selected_id = self._visible[0 if direction < 0 else -1]

    def action_page(self, direction: int) -> None:
        rows = max(1, self.scrollable_content_region.height // CARD_HEIGHT)
        self._step(direction * rows * self._columns)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        node_id = self._card_at(offset.x + self.scroll_offset.x, offset.y + self.scroll_offset.y)
        if node_id is None:
            return
        event.stop()
        self.focus()
        self.selected_id = node_id
        if event.chain >= 2:
            self.post_message(self.OpenRequested(node_id))

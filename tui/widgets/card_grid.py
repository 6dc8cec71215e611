"""The dashboard's grid of node cards: incremental updates, filtering, sorting and selection.

Polls arrive every second with every node; the grid mounts cards only for new nodes, removes
cards of deleted ones and otherwise hands each card its new row (the card repaints only if what
it shows changed). Filtering toggles ``display``; sorting reorders children in place. The
selection is remembered by node id, so it survives re-sorting and filtering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive

from tui.widgets.node_card import NodeCard, node_spec

CARD_MIN_WIDTH = 38

SORTS: dict[str, str] = {
    "name": "name",
    "status": "status",
    "found": "jobs found",
    "new": "jobs new",
    "heartbeat": "heartbeat age",
    "restarts": "restarts",
}
STATUS_ORDER = ["fatal", "lost", "exited", "backoff", "starting", "stopping", "running", "stopped"]


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


class CardGrid(VerticalScroll, can_focus=True):
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
    ]

    DEFAULT_CSS = """
    CardGrid {
        layout: grid;
        grid-size: 2;
        grid-rows: 8;
        grid-gutter: 0 1;
        height: 1fr;
    }
    """

    selected_id: reactive[int | None] = reactive(None)

    class SelectionChanged(Message):
        def __init__(self, node_id: int | None) -> None:
            super().__init__()
            self.node_id = node_id

    class OpenRequested(Message):
        def __init__(self, node_id: int) -> None:
            super().__init__()
            self.node_id = node_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cards: dict[int, NodeCard] = {}
        self.filter = CardFilter()
        self.sort = "name"
        self._order: list[int] = []
        self._visible: list[int] = []
        self._columns = 2

    # --- data ---

    async def update_nodes(
        self, nodes: list[dict[str, Any]], sparks: dict[int, list[int]], now: datetime | None
    ) -> int:
        """Bring the cards in line with ``nodes``; returns how many cards repainted."""
        seen: set[int] = set()
        new_cards: list[NodeCard] = []
        changed = 0
        for node in nodes:
            node_id = int(node["id"])
            seen.add(node_id)
            card = self.cards.get(node_id)
            if card is None:
                card = NodeCard(node, sparks.get(node_id), now)
                self.cards[node_id] = card
                new_cards.append(card)
                changed += 1
            elif card.show(node, sparks.get(node_id), now):
                changed += 1
        gone = [self.cards.pop(i) for i in list(self.cards) if i not in seen]
        if gone:
            await self.remove_children(gone)
            changed += len(gone)
        if new_cards:
            await self.mount_all(new_cards)
        self._relayout(force=bool(new_cards or gone))
        return changed

    def _relayout(self, *, force: bool = False) -> None:
        order = sorted(self.cards, key=lambda i: sort_key(self.sort, self.cards[i].node))
        if force or order != self._order:
            self._order = order
            rank = {node_id: n for n, node_id in enumerate(order)}
            self.sort_children(key=lambda w: rank.get(getattr(w, "node_id", -1), len(rank)))
        visible = [i for i in order if self.filter.matches(self.cards[i].node)]
        if force or visible != self._visible:
            shown = set(visible)
            for node_id, card in self.cards.items():
                card.display = node_id in shown
            self._visible = visible
        if self.selected_id not in self._visible:
            self.selected_id = self._visible[0] if self._visible else None

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
        card = self.cards.get(self.selected_id) if self.selected_id is not None else None
        return card.node if card else None

    # --- selection ---

    def watch_selected_id(self, old: int | None, new: int | None) -> None:
        if old is not None and old in self.cards:
            self.cards[old].remove_class("-selected")
        if new is not None and new in self.cards:
            card = self.cards[new]
            card.add_class("-selected")
            self.scroll_to_widget(card, animate=False)
        self.post_message(self.SelectionChanged(new))

    def select(self, node_id: int) -> None:
        if node_id in self._visible:
            self.selected_id = node_id

    def on_resize(self) -> None:
        columns = max(1, self.scrollable_content_region.width // CARD_MIN_WIDTH)
        if columns != self._columns:
            self._columns = columns
            self.styles.grid_size_columns = columns

    def _step(self, delta: int) -> None:
        if not self._visible:
            return
        if self.selected_id not in self._visible:
            self.selected_id = self._visible[0]
            return
        index = self._visible.index(self.selected_id)  # type: ignore[arg-type]
        self.selected_id = self._visible[max(0, min(len(self._visible) - 1, index + delta))]

    def action_move(self, dx: int, dy: int) -> None:
        self._step(dx + dy * self._columns)

    def action_edge(self, direction: int) -> None:
        if self._visible:
            self.selected_id = self._visible[0 if direction < 0 else -1]

    def action_page(self, direction: int) -> None:
        rows = max(1, self.scrollable_content_region.height // 8)
        self._step(direction * rows * self._columns)

    def on_node_card_clicked(self, event: NodeCard.Clicked) -> None:
        event.stop()
        self.focus()
        self.selected_id = event.card.node_id
        if event.double:
            self.post_message(self.OpenRequested(event.card.node_id))

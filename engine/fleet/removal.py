"""Removing nodes, the one way the CLI (`jobfleet rm`) and the TUI (Delete) do it: a running
worker is killed first (SIGKILL through its supervisor), then the rows go, with their logs.
Scraped postings stay (they keep the old node id)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

from engine.db.connections import ConnectionSource
from engine.fleet import nodes
from engine.fleet.rows import NodeRow
from engine.fleet.states import PROCESS_STATES


def has_worker(row: NodeRow) -> bool:
    """Whether removing the node stops a worker (the question says so)."""
    return row.status in PROCESS_STATES


def remove_nodes(
    db: ConnectionSource,
    rows: Sequence[NodeRow],
    *,
    grace: float,
    removed: Callable[[NodeRow], None] = lambda row: None,
) -> None:
    """Kill every running worker, wait for them together (one ``grace`` for all, not one each),
    then delete the nodes. A worker no supervisor stopped within the grace exits by itself when
    it finds its row gone, and a supervisor kills any worker of a node it no longer finds."""
    running = [r.id for r in rows if has_worker(r)]
    for node_id in running:
        nodes.request_kill(db, node_id)
    deadline = time.monotonic() + grace
    while running and time.monotonic() < deadline:
        running = [i for i in running if _still_running(db, i)]
        if running:
            time.sleep(0.2)
    for row in rows:
        # Removed meanwhile (another rm, another TUI): what was asked is done.
        with contextlib.suppress(nodes.UnknownNode):
            nodes.delete_node(db, row.id, force=True)
        removed(row)


def _still_running(db: ConnectionSource, node_id: int) -> bool:
    try:
        return nodes.get_node(db, node_id).status in PROCESS_STATES
    except nodes.UnknownNode:
        return False

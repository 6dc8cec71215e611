"""Reading alerts back (``jobfleet alerts``) and the TUI's summary."""

from __future__ import annotations

from typing import Any

from engine.db.connections import ConnectionSource
from engine.db.queries import q

MAX_ALERTS = 10_000


def list_alerts(db: ConnectionSource, *, since_s: float, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts opened or resolved in the last ``since_s`` seconds and every one still open, newest
    first, each with ``deliveries`` (how many messages carried its notices)."""
    params = {"since_s": float(since_s), "limit": max(1, min(limit, MAX_ALERTS))}
    with db.connection() as conn:
        return [dict(r) for r in conn.execute(q("alerts_list"), params).fetchall()]

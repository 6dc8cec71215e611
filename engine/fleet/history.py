"""Spec history: who changed which fields of a node's spec, and when.

Every function that writes ``nodes.spec`` (deploy, ``update_spec`` for edits, ``jobfleet apply``)
records a version here in the same transaction (table ``node_spec_history``, sql/0013), and a
spec change also goes into the node's events as ``spec changed: search_term 'x' -> 'y' (by
user@host)``. Specs hold secrets only as ``${VAR}`` references (NodeSpec refuses a literal
password), so a version never holds a resolved secret either.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg

from engine.db.connections import ConnectionSource
from engine.db.queries import q
from engine.fleet.spec import NodeSpec
from engine.settings import get_settings
from engine.text import visible_text

SpecAction = Literal["deploy", "edit", "apply"]
# A list longer than this is shown as what was added and removed, not in full.
_SHOWN_ITEMS = 4
_SHOWN_TEXT = 80


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def describe(self) -> str:
        """``search_term 'x' -> 'y'``; lists as their additions and removals when long."""
        return f"{self.field} {_change_text(self.old, self.new)}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class SpecVersion:
    """One row of ``node_spec_history``."""

    id: int
    node_id: int
    changed_at: datetime
    changed_by: str
    action: str
    old_spec: dict[str, Any] | None
    new_spec: dict[str, Any]
    changes: list[dict[str, Any]]

    def summary(self) -> str:
        if self.old_spec is None:
            return "first version"
        return describe_changes([FieldChange(**c) for c in self.changes]) or "no field changed"


def spec_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[FieldChange]:
    """The fields whose stored values differ, in NodeSpec's field order (then any others)."""
    old = old or {}
    order = list(NodeSpec.model_fields)
    keys = order + sorted((set(old) | set(new)) - set(order))
    return [
        FieldChange(key, old.get(key), new.get(key))
        for key in keys
        if (key in old or key in new) and old.get(key) != new.get(key)
    ]


def describe_changes(changes: list[FieldChange]) -> str:
    return "; ".join(change.describe() for change in changes)


def _value_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        text = value if len(value) <= _SHOWN_TEXT else value[: _SHOWN_TEXT - 1] + "…"
        return repr(visible_text(text, one_line=True))
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return visible_text(str(value), one_line=True)


def _change_text(old: Any, new: Any) -> str:
    long_lists = (
        isinstance(old, list) and isinstance(new, list) and max(len(old), len(new)) > _SHOWN_ITEMS
    )
    if not long_lists:
        return f"{_value_text(old)} -> {_value_text(new)}"
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    parts = [f"+{_value_text(v)}" for v in added] + [f"-{_value_text(v)}" for v in removed]
    if not parts:
        return "reordered"
    if len(parts) > 2 * _SHOWN_ITEMS:
        parts = [*parts[: 2 * _SHOWN_ITEMS], f"and {len(parts) - 2 * _SHOWN_ITEMS} more"]
    return " ".join(parts)


def changed_by() -> str:
    """``user@host`` of this process (the host as jobfleet names it: JOBFLEET_HOST_NAME)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = f"uid{os.getuid()}"
    return f"{user}@{get_settings().host_name}"[:300]


def record_spec_version(
    conn: psycopg.Connection[Any],
    node_id: int,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    action: SpecAction,
    by: str | None = None,
) -> list[FieldChange]:
    """Write one version in ``conn``'s transaction; returns the changed fields (none: nothing
    is written, unless it is the first version)."""
    changes = spec_changes(old, new)
    if old is not None and not changes:
        return changes
    conn.execute(
        q("insert_spec_version"),
        {
            "node_id": node_id,
            "changed_by": (by or changed_by())[:300],
            "action": action,
            "old_spec": None if old is None else json.dumps(old, allow_nan=False),
            "new_spec": json.dumps(new, allow_nan=False),
            "changes": json.dumps([c.as_dict() for c in changes], allow_nan=False),
        },
    )
    return changes


def spec_history(db: ConnectionSource, node_id: int, *, limit: int = 100) -> list[SpecVersion]:
    """A node's spec versions, newest first."""
    with db.connection() as conn:
        rows = conn.execute(q("spec_history"), {"node_id": node_id, "limit": limit}).fetchall()
    return [SpecVersion(**row) for row in rows]

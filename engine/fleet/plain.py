"""pydantic's validation errors in plain words, for the deploy form and spec files.

pydantic says "Input should be greater than or equal to 1" or "Input should be a valid integer,
unable to parse string as an integer"; a person filling in "Results per search" wants "a whole
number from 1 to 1000". The bounds come from the NodeSpec field itself, so a changed bound
changes the message. Messages of jobfleet's own validators are already sentences and pass as
they are.
"""

from __future__ import annotations

from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel


def _bounds(model: type[BaseModel], field: str) -> tuple[Any, Any, int | None, int | None]:
    """(lowest, highest, min length, max length) from a field's constraints (None if unset)."""
    low: Any = None
    high: Any = None
    min_len: int | None = None
    max_len: int | None = None
    info = model.model_fields.get(field)
    for item in info.metadata if info is not None else ():
        if isinstance(item, Ge):
            low = item.ge
        elif isinstance(item, Gt):
            low = item.gt
        elif isinstance(item, Le):
            high = item.le
        elif isinstance(item, Lt):
            high = item.lt
        elif isinstance(item, MinLen):
            min_len = item.min_length
        elif isinstance(item, MaxLen):
            max_len = item.max_length
    return low, high, min_len, max_len


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _is_whole(model: type[BaseModel], field: str) -> bool:
    info = model.model_fields.get(field)
    return info is not None and "int" in str(info.annotation)


def plain_message(model: type[BaseModel], field: str, err: Any) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a short phrase."""
    kind = str(err.get("type", ""))
    low, high, min_len, max_len = _bounds(model, field)
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "not a field of a node spec"
    if kind.startswith(("int_", "float_", "greater_than", "less_than", "finite_number")):
        what = "a whole number" if _is_whole(model, field) else "a number"
        if low is not None and high is not None:
            return f"{what} from {_number(low)} to {_number(high)}"
        if low is not None:
            return f"{what} of at least {_number(low)}"
        if high is not None:
            return f"{what} of at most {_number(high)}"
        return what
    if kind == "string_too_short":
        return "required" if (min_len or 1) <= 1 else f"at least {min_len} characters"
    if kind == "string_too_long":
        return f"at most {max_len} characters" if max_len else "too long"
    if kind == "too_short":
        return "choose at least one" if (min_len or 1) <= 1 else f"at least {min_len} entries"
    if kind == "too_long":
        return f"at most {max_len} entries" if max_len else "too many entries"
    if kind in ("string_type", "list_type"):
        return "text" if kind == "string_type" else "a list"
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    return message

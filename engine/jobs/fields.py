"""Single fields of a jobspy row made clean: text, numbers, booleans, salary amounts, currency
and interval, job types, e-mail addresses, and the JSON-safe ``extra`` of columns without a field.

Runs on every scraped row, without pandas: values are duck-typed (``NaN != NaN``, numpy scalars
have ``.item()``), so the long-lived worker can use it too.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from engine.text import pg_text

# --- scalars ----------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None, NaN, NaT, pd.NA and ±inf are all "no value"."""
    if value is None:
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    if type(value).__name__ in ("NAType", "NaTType"):  # NaT is a datetime, so ask first
        return True
    if isinstance(value, (str, bool, int, date, list, dict, tuple)):
        return False
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # arrays and pd.NA refuse to be truth-tested
        return False


def clean_text(value: Any) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        if isinstance(value, (list, tuple, dict, set)):
            return None
        value = str(value)
    value = pg_text(value).strip()
    return value or None


def as_number(value: Any) -> float | None:
    if is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return _money_text(value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


_MONEY = re.compile(r"(\d+(?:\.\d+)?)\s*([kKmM]?)")


def _money_text(text: str) -> float | None:
    match = _MONEY.search(text.replace(",", "").replace("\u00a0", ""))
    if not match:
        return None
    amount = float(match.group(1))
    return amount * {"k": 1e3, "m": 1e6}.get(match.group(2).lower(), 1.0)


def salary_amount(value: Any) -> float | None:
    amount = as_number(value)
    if amount is None or amount <= 0 or amount > 1e12:
        return None
    return amount


def as_bool(value: Any) -> bool | None:
    if is_missing(value):
        return None
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded in ("true", "yes", "1", "y", "t", "remote"):
            return True
        if folded in ("false", "no", "0", "n", "f"):
            return False
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return None
    if isinstance(value, (bool, int, float)):
        return bool(value)
    return None


# --- job fields -------------------------------------------------------------------------------

_INTERVALS = {
    "yearly": "yearly",
    "year": "yearly",
    "annual": "yearly",
    "annually": "yearly",
    "yr": "yearly",
    "per year": "yearly",
    "a year": "yearly",
    "monthly": "monthly",
    "month": "monthly",
    "mo": "monthly",
    "per month": "monthly",
    "weekly": "weekly",
    "week": "weekly",
    "wk": "weekly",
    "per week": "weekly",
    "daily": "daily",
    "day": "daily",
    "per day": "daily",
    "hourly": "hourly",
    "hour": "hourly",
    "hr": "hourly",
    "per hour": "hourly",
    "an hour": "hourly",
}


def interval(value: Any) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    folded = text.lower().strip(" /").removeprefix("compensationinterval.")
    return _INTERVALS.get(folded)


_CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "ca$": "CAD",
    "c$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "£": "GBP",
    "€": "EUR",
    "₹": "INR",
    "¥": "JPY",
    "₩": "KRW",
    "r$": "BRL",
    "chf": "CHF",
}


@functools.lru_cache(maxsize=1024)
def _currency_code(text: str) -> str | None:
    folded = text.strip().lower()
    if folded in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[folded]
    code = folded.upper()
    if len(code) != 3 or not code.isalpha():
        return None
    import pycountry

    return code if pycountry.currencies.get(alpha_3=code) is not None else None


def currency(value: Any) -> str | None:
    text = clean_text(value)
    return _currency_code(text) if text else None


_JOB_TYPES = {
    "fulltime": "fulltime",
    "full time": "fulltime",
    "full-time": "fulltime",
    "full_time": "fulltime",
    "permanent": "fulltime",
    "parttime": "parttime",
    "part time": "parttime",
    "part-time": "parttime",
    "part_time": "parttime",
    "contract": "contract",
    "contractor": "contract",
    "freelance": "contract",
    "internship": "internship",
    "intern": "internship",
    "temporary": "temporary",
    "temp": "temporary",
    "seasonal": "temporary",
}
_ORDERED_JOB_TYPES = ("fulltime", "parttime", "contract", "internship", "temporary")


def job_types(value: Any) -> tuple[str | None, list[str]]:
    """("fulltime,parttime", [tokens it could not place]) from a list, enum or "a, b" text."""
    tokens: list[str] = []
    for item in as_list(value):
        text = clean_text(item)
        if text:
            tokens.extend(part.strip() for part in re.split(r"[,;/|]", text) if part.strip())
    known: set[str] = set()
    unknown: list[str] = []
    for token in tokens:
        folded = token.lower().removeprefix("jobtype.")
        kind = _JOB_TYPES.get(folded) or _JOB_TYPES.get(folded.replace("_", " "))
        if kind:
            known.add(kind)
        elif token not in unknown:
            unknown.append(token)
    joined = ",".join(kind for kind in _ORDERED_JOB_TYPES if kind in known)
    return joined or None, unknown


def as_list(value: Any) -> list[Any]:
    if is_missing(value):
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        try:
            listed = value.tolist()
        except (TypeError, ValueError):
            return [value]
        return listed if isinstance(listed, list) else [listed]
    return [value]


_EMAIL = re.compile(r"[^@\s,;<>()\"']+@[^@\s,;<>()\"']+\.[^@\s,;<>()\"'.]+")


def emails(value: Any) -> list[str] | None:
    found: list[str] = []
    for item in as_list(value):
        text = clean_text(item)
        if not text:
            continue
        for match in _EMAIL.findall(text):
            email = match.lower().strip(".")
            if email not in found:
                found.append(email)
    return found or None


# --- JSON-safe extra --------------------------------------------------------------------------

_MAX_DEPTH = 16


def json_safe(value: Any, depth: int = 0) -> Any:
    """Only str/int/float/bool/None/list/dict, no NaN or inf, no NUL or lone surrogates."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value  # finite: is_missing let it through
    if isinstance(value, str):
        return clean_text(value)
    if depth >= _MAX_DEPTH:
        return clean_text(repr(value))
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = clean_text(key) if not isinstance(key, str) else pg_text(key)
            safe = json_safe(item, depth + 1)
            if name is not None and safe is not None:
                out[name] = safe
        return out or None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [json_safe(item, depth + 1) for item in value]
        items = [item for item in items if item is not None]
        return items or None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return json_safe(float(value), depth + 1)
    if isinstance(value, Enum):
        return json_safe(value.value, depth + 1)
    if type(value).__name__ == "datetime64":  # its tolist() is nanoseconds since the epoch
        return clean_text(str(value))
    if hasattr(value, "item") or hasattr(value, "tolist"):  # numpy scalars and arrays
        try:
            plain = value.tolist() if hasattr(value, "tolist") else value.item()
        except (TypeError, ValueError):
            plain = None
        if plain is not None and plain is not value:
            return json_safe(plain, depth + 1)
    return clean_text(value)


def whole_count(value: Any) -> Any:
    """pandas turns int columns with gaps into floats: 12.0 reviews are 12."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value

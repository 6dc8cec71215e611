"""Which of a few phrases occur in a text: board boilerplate, ATS hosts, "our client".

Ingest asks this of every new posting's ~3 KB description, three times over. In Python each
phrase is a scan of its own (~1.2 µs each, twenty-one phrases); the C module finds them all in
one pass. Both give the same answer (tests/unit/test_speedups.py).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["present_in_text"]


def _present_python(haystack: bytes, needles: tuple[bytes, ...]) -> int:
    return sum(1 << i for i, needle in enumerate(needles) if needle in haystack)


_present: Callable[[bytes, tuple[bytes, ...]], int]
try:
    from engine.jobs.grouping._speedups import present as _present
except ImportError:  # built without a C compiler
    _present = _present_python


def present_in_text(text: str, needles: tuple[bytes, ...]) -> int:
    """A bit mask: bit i is set when ``needles[i]`` occurs in ``text``. Needles are ASCII, at
    least 3 bytes long, and at most 64. The text is encoded with lone surrogates passed through
    (a board's broken text can hold them; strict UTF-8 would raise): what ASCII needles match is
    unchanged."""
    return _present(text.encode("utf-8", "surrogatepass"), needles)

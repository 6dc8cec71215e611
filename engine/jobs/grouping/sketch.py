"""A few hundred bytes per posting that say how alike two descriptions are.

The sketch is a bottom-k MinHash (one hash function, the k smallest values kept) over word
4-shingles of the normalized body: the share of the k smallest values of the union that both
sketches hold estimates the Jaccard similarity of the two shingle sets (Broder 1997; Cohen &
Kaplan 2007), with a standard error of about sqrt(J(1-J)/k) — 0.04 at J=0.8 with k=64. One
hash per shingle (blake2b cut to 4 bytes, big-endian so byte order is numeric order) keeps it
pure stdlib at ~0.3 ms for a 3 KB description; the values are stored sorted and concatenated, so
the sketch is ``bytes`` of at most 4*k = 256 bytes, ready for a ``bytea`` column.

The exact body hash (sha1 of the normalized body) catches verbatim cross-posts cheaply and can be
looked up by index; it exists only for bodies long enough that two unrelated postings will not
share them ("Apply on our website.").
"""

from __future__ import annotations

import hashlib

__all__ = [
    "MIN_BODY_WORDS",
    "SHINGLE_WORDS",
    "SKETCH_SIZE",
    "body_hash",
    "estimated_jaccard",
    "sketch",
]

SHINGLE_WORDS = 4
SKETCH_SIZE = 64  # values kept; each 4 bytes
_VALUE_BYTES = 4
# Below this many words a body is a stub ("Apply via our careers page"): its hash or sketch would
# tie unrelated postings together.
MIN_BODY_WORDS = 40


def sketch(normalized_body: str) -> bytes:
    """The bottom-k MinHash of the body's word shingles; b"" for a body shorter than
    ``MIN_BODY_WORDS`` words."""
    words = normalized_body.encode().split()
    if len(words) < MIN_BODY_WORDS:
        return b""
    shingles = map(b" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False))
    blake = hashlib.blake2b
    values = {blake(shingle, digest_size=_VALUE_BYTES).digest() for shingle in shingles}
    return b"".join(sorted(values)[:SKETCH_SIZE])


def _values(packed: bytes) -> list[bytes]:
    return [packed[i : i + _VALUE_BYTES] for i in range(0, len(packed), _VALUE_BYTES)]


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets two sketches came from; 0.0 when either
    is empty (no body to compare)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    values_a, values_b = set(_values(a)), set(_values(b))
    # The k smallest of the union are all in the union of the sketches: each sketch holds every
    # value of its set below its own k-th smallest.
    union_bottom = sorted(values_a | values_b)[:SKETCH_SIZE]
    both = sum(1 for value in union_bottom if value in values_a and value in values_b)
    return both / len(union_bottom)


def body_hash(normalized_body: str) -> bytes | None:
    """sha1 of the normalized body (20 bytes); None for a body shorter than ``MIN_BODY_WORDS``."""
    if normalized_body.count(" ") + 1 < MIN_BODY_WORDS:
        return None
    return hashlib.sha1(normalized_body.encode(), usedforsecurity=False).digest()

"""A few hundred bytes per posting that say how alike two descriptions are.

The sketch is a bottom-k MinHash (one hash function, the k smallest values kept) over word
4-shingles of the normalized body: the share of the k smallest values of the union that both
sketches hold estimates the Jaccard similarity of the two shingle sets (Broder 1997; Cohen &
Kaplan 2007), with a standard error of about sqrt(J(1-J)/k) — 0.04 at J=0.8 with k=64.

Each word is hashed once (crc32), and a shingle's value is CPython's hash of the tuple of its four
word hashes (its high half is stored).
Hashes of ints are not randomized per process (unlike those of str), and the tuple hash has been
the same xxHash-based function since CPython 3.8 on 64-bit builds; ``jobfleet jobs regroup``
recomputes every sketch should that ever change. Two to three times faster than one blake2b call
per shingle (measured on bench_ingest's 3 KB bodies). The values are stored sorted, big-endian
(byte order is numeric order) and concatenated: at most 4*k = 256 bytes, for a ``bytea`` column.

Ingest sketches every new posting: ``body_sketch`` splits, joins, counts and sketches a body in
one pass of C (``_speedups.c``, built with the package; ~10 µs for 3 KB) where the module was
built, else in Python (``sketch_words``, ~100 µs with the split and join). Both give the same bytes
(tests/unit/test_speedups.py), so stored sketches compare whichever wrote them. Comparing two
sketches is one merge of their sorted values in C (``estimated_jaccard``), in Python two sets.

The exact body hash (sha1 of the normalized body) catches verbatim cross-posts cheaply and can be
looked up by index; it exists only for bodies long enough that two unrelated postings will not
share them ("Apply on our website.").
"""

from __future__ import annotations

import hashlib
import struct
import zlib

try:
    from engine.jobs.grouping._speedups import similarity as _similarity_c
    from engine.jobs.grouping._speedups import words_sketch as _words_sketch_c
except ImportError:  # built without a C compiler: the same values, in Python
    _words_sketch_c = None  # type: ignore[assignment]
    _similarity_c = None  # type: ignore[assignment]

__all__ = [
    "FAST_SKETCH",
    "MIN_BODY_WORDS",
    "SHINGLE_WORDS",
    "SKETCH_SIZE",
    "body_hash",
    "body_hash_words",
    "body_sketch",
    "estimated_jaccard",
    "sketch",
    "sketch_words",
]

SHINGLE_WORDS = 4
SKETCH_SIZE = 64  # values kept; each 4 bytes
_VALUE_BYTES = 4
_OFFSET = 1 << 31
_LOWEST = -(1 << 63)
# Below this many words a body is a stub ("Apply via our careers page"): its hash or sketch would
# tie unrelated postings together.
MIN_BODY_WORDS = 40
# Whether the C module is in use (the benchmarks say which; .ci/run checks it was built).
FAST_SKETCH = _words_sketch_c is not None


def body_sketch(raw: bytes, *, with_sketch: bool = True) -> tuple[bytes, int, bytes]:
    """(the words joined by single spaces, their number, their sketch) of a normalized body
    given as UTF-8 words separated by ASCII whitespace (``normalized_body_bytes``); the sketch
    is b"" below ``MIN_BODY_WORDS`` words or when ``with_sketch`` is false."""
    if _words_sketch_c is not None:
        joined, count, packed = _words_sketch_c(
            raw, MIN_BODY_WORDS, SKETCH_SIZE if with_sketch else 0
        )
        return joined, count, packed
    words = raw.split()
    return b" ".join(words), len(words), sketch_words(words) if with_sketch else b""


def sketch(normalized_body: str) -> bytes:
    """The bottom-k MinHash of the body's word shingles; b"" for a body shorter than
    ``MIN_BODY_WORDS`` words."""
    return sketch_words(normalized_body.encode().split())


def sketch_words(words: list[bytes]) -> bytes:
    """``sketch`` of a normalized body given as its UTF-8 words (``normalized_body_words``): the
    reference the C module must equal."""
    if len(words) < MIN_BODY_WORDS:
        return b""
    word_hashes = list(map(zlib.crc32, words))
    shingles = zip(*(word_hashes[i:] for i in range(SHINGLE_WORDS)), strict=False)
    values = list(map(hash, shingles))
    # Only the k smallest distinct values are kept: sort those under a bound that ~2k of them
    # pass (the hashes are uniform over the signed 64-bit range), all of them when too few pass.
    # (A comprehension, then a set of the few that pass: half the time of filtering a set.)
    bound = _LOWEST + (1 << 64) * 2 * SKETCH_SIZE // len(values)
    smallest = sorted({h for h in values if h < bound})
    if len(smallest) < SKETCH_SIZE:
        smallest = sorted(set(values))
    smallest = smallest[:SKETCH_SIZE]
    # Signed 64-bit hashes to unsigned 32-bit values, order kept (the high half, offset).
    return struct.pack(f">{len(smallest)}I", *[(h >> 32) + _OFFSET for h in smallest])


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets two sketches came from; 0.0 when either
    is empty (no body to compare)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if _similarity_c is not None:  # one merge of the two sorted arrays, no sets
        return _similarity_c(a, b, SKETCH_SIZE)
    return _estimated_jaccard(a, b)


def _estimated_jaccard(a: bytes, b: bytes) -> float:
    """``estimated_jaccard`` in Python: the reference the C module must equal."""
    values_a = frozenset(_unpacked(a))
    unpacked_b = _unpacked(b)
    if values_a.isdisjoint(unpacked_b):  # most pairs compared: no set built for b
        return 0.0
    values_b = frozenset(unpacked_b)
    # The k smallest of the union are all in the union of the sketches: each sketch holds every
    # value of its set below its own k-th smallest.
    union_bottom = sorted(values_a | values_b)[:SKETCH_SIZE]
    both = values_a & values_b
    return sum(1 for value in union_bottom if value in both) / len(union_bottom)


def _unpacked(packed: bytes) -> tuple[int, ...]:
    return struct.unpack(f">{len(packed) // _VALUE_BYTES}I", packed)


def body_hash(normalized_body: str) -> bytes | None:
    """sha1 of the normalized body (20 bytes); None for a body shorter than ``MIN_BODY_WORDS``."""
    return body_hash_words(normalized_body.encode(), normalized_body.count(" ") + 1)


def body_hash_words(joined: bytes, words: int) -> bytes | None:
    """``body_hash`` of a normalized body given UTF-8 encoded, and its number of words."""
    if words < MIN_BODY_WORDS:
        return None
    return hashlib.sha1(joined, usedforsecurity=False).digest()

"""The C module (``_speedups.c``) against the Python it replaces on ingest's path.

Stored sketches are compared with new ones for months, whichever code wrote them, so the two
must agree byte for byte: on the words found, their joined form and count, and the sketch. The
phrase scan must find what ``in`` finds.
"""

from __future__ import annotations

import importlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.jobs.grouping.scan import _present_python
from engine.jobs.grouping.sketch import (
    FAST_SKETCH,
    MIN_BODY_WORDS,
    SKETCH_SIZE,
    _estimated_jaccard,
    body_sketch,
    estimated_jaccard,
    sketch_words,
)

fast = pytest.importorskip(
    "engine.jobs.grouping._speedups", reason="built without a C compiler (pure Python in use)"
)

# What bytes.split() splits on, and bytes it must not: Unicode spaces, other control bytes.
_SPACES = [b" ", b"  ", b"\t", b"\n", b"\r\n", b"\x0b", b"\x0c", b" \t\n"]
_WORD_BYTES = st.binary(min_size=1, max_size=6).map(
    lambda b: bytes(c for c in b if c not in b" \t\n\r\x0b\x0c") or b"x"
)


def _python(raw: bytes, with_sketch: bool = True) -> tuple[bytes, int, bytes]:
    words = raw.split()
    return b" ".join(words), len(words), sketch_words(words) if with_sketch else b""


@given(
    st.lists(_WORD_BYTES, max_size=220),
    st.lists(st.sampled_from(_SPACES), min_size=1, max_size=8),
    st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_the_c_module_gives_the_python_values(
    words: list[bytes], spaces: list[bytes], leading: bool
) -> None:
    raw = (b" " if leading else b"") + b"".join(
        word + spaces[i % len(spaces)] for i, word in enumerate(words)
    )
    assert fast.words_sketch(raw, MIN_BODY_WORDS, SKETCH_SIZE) == _python(raw)


@given(st.integers(min_value=0, max_value=3000), st.integers(min_value=2, max_value=5000))
@settings(max_examples=200, deadline=None)
def test_long_bodies_with_repeats_agree(length: int, vocabulary: int) -> None:
    # Repeated shingles (few distinct values) take the C code's other branch: all values sorted.
    raw = " ".join(f"w{(i * 7919) % vocabulary}" for i in range(length)).encode()
    assert fast.words_sketch(raw, MIN_BODY_WORDS, SKETCH_SIZE) == _python(raw)


def test_short_bodies_and_no_sketch_wanted() -> None:
    raw = b" ".join(b"w%d" % i for i in range(MIN_BODY_WORDS - 1))
    assert fast.words_sketch(raw, MIN_BODY_WORDS, SKETCH_SIZE)[2] == b""
    long = raw + b" last"
    assert len(fast.words_sketch(long, MIN_BODY_WORDS, SKETCH_SIZE)[2]) > 0
    assert body_sketch(long, with_sketch=False) == _python(long, with_sketch=False)
    assert fast.words_sketch(b"", MIN_BODY_WORDS, SKETCH_SIZE) == (b"", 0, b"")


def test_ingest_uses_the_c_module_when_built() -> None:
    assert FAST_SKETCH


_NEEDLES = st.lists(st.binary(min_size=3, max_size=7), min_size=1, max_size=64).map(tuple)


@given(st.binary(max_size=400), _NEEDLES, st.data())
@settings(max_examples=400, deadline=None)
def test_present_finds_what_in_finds(
    text: bytes, needles: tuple[bytes, ...], data: st.DataObject
) -> None:
    # Plant some needles (at the start, the end, overlapping) so that hits are tested too.
    for needle in data.draw(st.lists(st.sampled_from(needles), max_size=4)):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + needle + text[at:]
    assert fast.present(text, needles) == _present_python(text, needles)


def test_present_on_real_phrases_and_bad_needles() -> None:
    phrases = (b"show more", b"our client", b".io")
    assert fast.present(b"... Show more", phrases) == 0  # case matters: callers lower first
    assert fast.present(b"see jobs.lever.io and our client", phrases) == 0b110
    assert fast.present(b"our clien", phrases) == 0
    assert fast.present(b"", phrases) == 0
    with pytest.raises(ValueError):
        fast.present(b"text", (b"ab",))
    with pytest.raises(ValueError):
        fast.present(b"text", tuple(b"n%02d" % i for i in range(65)))


def test_grouping_is_the_same_without_the_c_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine without a compiler runs the Python halves: every labelled posting (HTML,
    # markdown, boilerplate, apply links, agency phrases, stubs) must fingerprint the same, and
    # every labelled pair get the same decision.
    from engine.jobs.grouping import fingerprint, same_job, scan
    from engine.jobs.groups import copy_hint
    from tests.unit.grouping_cases import all_cases

    cases = all_cases()

    def everything() -> tuple[list[object], list[bool], list[tuple[bool, str]]]:
        pairs = [
            (fingerprint(2 * i, case.a), fingerprint(2 * i + 1, case.b))
            for i, case in enumerate(cases)
        ]
        hints = [copy_hint(fp.body) for pair in pairs for fp in pair]
        return list(pairs), hints, [same_job(a, b) for a, b in pairs]

    with_c = everything()
    monkeypatch.setattr(scan, "_present", scan._present_python)
    # (engine.jobs.grouping.sketch is also the name of a function the package exports)
    sketch_module = importlib.import_module("engine.jobs.grouping.sketch")
    monkeypatch.setattr(sketch_module, "_words_sketch_c", None)
    monkeypatch.setattr(sketch_module, "_similarity_c", None)
    assert everything() == with_c


_SKETCHES = st.lists(
    st.integers(min_value=0, max_value=300), max_size=SKETCH_SIZE, unique=True
).map(lambda values: struct.pack(f">{len(values)}I", *sorted(values)))


@given(_SKETCHES, _SKETCHES)
@settings(max_examples=500, deadline=None)
def test_similarity_is_the_python_estimate(a: bytes, b: bytes) -> None:
    # Small values, so that sketches overlap a lot and the k-smallest cut falls everywhere.
    if a and b and a != b:
        assert fast.similarity(a, b, SKETCH_SIZE) == _estimated_jaccard(a, b)
    assert estimated_jaccard(a, b) == estimated_jaccard(b, a)


def test_similarity_of_real_sketches() -> None:
    body = " ".join(f"w{i % 211}" for i in range(400))
    near = body.replace("w7 ", "x7 ")
    other = " ".join(f"v{i % 199}" for i in range(400))
    for x, y in ((body, near), (body, other), (near, other)):
        a, b = sketch_words(x.encode().split()), sketch_words(y.encode().split())
        assert fast.similarity(a, b, SKETCH_SIZE) == _estimated_jaccard(a, b)
    a, b = sketch_words(body.encode().split()), sketch_words(near.encode().split())
    assert 0.5 < estimated_jaccard(a, b) < 1.0


def test_broken_text_fingerprints_without_error() -> None:
    # Lone surrogates and NULs come from broken pages; the phrase checks encode the text.
    from engine.jobs.grouping import fingerprint
    from engine.jobs.groups import copy_hint
    from tests.unit.grouping_cases import Posting

    body = "Show more \ud800 our client \x00 " + " ".join(f"w{i}" for i in range(60))
    url = "https://boards.greenhouse.io/acme/jobs/123\udfff"
    p = Posting(url, "indeed", "1", "Dev \ud800", "Acme", body, None, None, "US", None, None)
    fp = fingerprint(1, p)
    assert fp.sketch and fp.body_hash is not None
    assert "show more" not in fp.body and copy_hint(fp.body)

"""The lookup keys of place names: case, accents and punctuation do not count.

Its source is part of the places cache key (``engine.geo.index``): the cache file holds keys
folded by these rules, so changing them must never let an old file be read.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_WORD_SUBS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def fold(text: str) -> str:
    """The lookup key of a name: case, accents and punctuation do not count."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = text.casefold()
    if not text.isalpha():
        text = " ".join(_NON_WORD.sub(" ", text).split())
    head, sep, tail = text.partition(" ")
    if sep and head in _WORD_SUBS:
        text = f"{_WORD_SUBS[head]} {tail}"
    return text


# ``fold`` memoized, for lookups: parsing asks for the same few thousand names over and over
# (index builds call ``fold`` itself: each of their names is folded once).
lookup_key = functools.lru_cache(maxsize=65536)(fold)


def name_variants(name: str) -> Iterable[str]:
    """pycountry spells some names "Madrid, Comunidad de" or "Catalunya [Cataluña]"."""
    yield name
    main, _, bracketed = name.partition("[")
    if bracketed:
        yield main.strip()
        for part in bracketed.rstrip("]").split("/"):
            yield part.strip()
    if "," in main:
        yield main.split(",")[0].strip()
    if "/" in main:
        yield from (part.strip() for part in main.split("/"))

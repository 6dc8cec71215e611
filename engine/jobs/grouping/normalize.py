"""Spellings folded so that one job's cross-posts compare equal: company, title, place, body.

Pure functions of text; each is cached or linear in the text, because ingest calls them for every
posting. What is folded and what is kept is the point of this module:

* company: legal forms ("GmbH & Co. KG", "Inc.", "Pty Ltd", "S.A.") go (cleanco, plus the forms it
  misses), as do case, accents, punctuation and a trailing "Group"/"Holdings".
* title: abbreviations are spelt out ("Sr." -> senior, "Dev" -> developer), gender tags
  ("(m/w/d)"), trailing places, "- Remote" and employment-type tails go; level words stay, so
  "Senior X", "Junior X" and "Lead X" remain three titles.
* body: HTML tags and entities, markdown markers, punctuation, case and whitespace go, as do the
  lines job boards append to every posting.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from cleanco import basename
from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail

from engine.jobs.grouping.scan import present_in_text

__all__ = [
    "LEVEL_WORDS",
    "body_words",
    "fold",
    "looks_like_agency",
    "normalize_body",
    "normalize_company",
    "normalize_place",
    "normalize_title",
    "normalized_body_bytes",
    "normalized_body_words",
    "title_levels",
]


def fold(text: str) -> str:
    """Lower case without accents: "München" -> "munchen", "Straße" -> "strasse"."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- company ----------------------------------------------------------------------------------

# Forms cleanco 2.3 leaves behind (checked by tests/unit/test_grouping_normalize.py) and a
# Glassdoor habit: the employer's rating glued to its name ("Acme 4.1 ★").
_COMPANY_GAPS = re.compile(
    r"""
    \s*(?:
        \d\.\d\s*★?                                   # Glassdoor rating
      | ,?\s*&\s*co\.?\s*(?:kg(?:aa)?|ohg)\b\.?        # "& Co. KG" after cleanco missed GmbH
      | \bug\s*\(haftungsbeschr[aä]nkt\)               # German mini-GmbH
      | \be\.\s?k\.?                                   # eingetragener Kaufmann
      | \bco\.?,?\s*(?:ltd|limited)\.?                 # "Co., Ltd."
      | \(?\bformerly\b.*                              # "Acme (formerly Foo)"
    )\s*$
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Not legal forms, but the same employer writes itself with and without them.
_COMPANY_TAIL_WORDS = frozenset({"group", "holding", "holdings", "company", "co", "the"})


# cleanco's basename compares the name's tail with each of its ~320 terms in turn, in Python
# (~0.1 ms a name, paid for every new employer); a term can only match when it ends in the tail's
# last word, so the terms are indexed by their last word and only those are tried, in cleanco's
# order (tests/unit/test_grouping.py checks the result against cleanco's own).
_TERMS = prepare_default_terms()
_TERMS_BY_LAST: dict[str, list[tuple[int, int, list[str]]]] = {}
for _order, (_size, _parts) in enumerate(_TERMS):
    if _parts:
        _TERMS_BY_LAST.setdefault(_parts[-1], []).append((_order, _size, _parts))


def _basename(name: str) -> str:
    """``cleanco.basename(name)`` (legal forms at the end removed), without the loop over every
    term."""
    name = strip_tail(name)
    parts = name.split()
    # cleanco's normalized() is casefold, NFKD and a character map, character by character in
    # Python: for ASCII all of it is lower().
    folded = name.lower() if name.isascii() else normalized(name)
    nparts = [strip_punct(word) for word in folded.split()]
    if len(parts) != len(nparts):  # never seen; cleanco's own loop handles it
        return str(basename(name))
    after = 0  # cleanco tries each term once, in order: only later terms can match next
    while nparts:
        for order, size, term in _TERMS_BY_LAST.get(nparts[-1], ()):
            if order >= after and nparts[-size:] == term:
                del nparts[-size:], parts[-size:]
                after = order + 1
                break
        else:
            break
    return str(strip_tail(" ".join(parts)))


@functools.lru_cache(maxsize=65536)
def normalize_company(name: str | None) -> str:
    """ "ACME GmbH & Co. KG", "Acme, Inc.", "acme" -> "acme"; "" for no name."""
    if not name:
        return ""
    text = _COMPANY_GAPS.sub("", name.strip())
    for _ in range(2):  # stacked forms: "Acme Holdings Pty Ltd"
        stripped = _basename(text) if text else text
        stripped = _COMPANY_GAPS.sub("", stripped)
        if stripped == text:
            break
        text = stripped
    words = _WORD.findall(fold(text.replace("&", " and ")))
    while len(words) > 1 and words[-1] in _COMPANY_TAIL_WORDS:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


# Staffing firms and recruiters copy their clients' postings; their names say what they are, or
# they are the handful everyone knows by name.
_AGENCY_WORDS = _words(
    """
    staffing recruitment recruiting recruiters recruiter personnel personalvermittlung
    personaldienstleistungen placement placements headhunter headhunters headhunting talent
    workforce resourcing interim zeitarbeit arbeitnehmeruberlassung manpower
    """
)
_AGENCY_PHRASES = (
    "executive search",
    "search partners",
    "hr services",
    "hr solutions",
    "it solutions recruitment",
    "robert half",
    "michael page",
    "page personnel",
    "randstad",
    "adecco",
    "hays",
    "kelly services",
    "teksystems",
    "insight global",
    "allegis",
    "aerotek",
    "harvey nash",
    "modis",
    "akkodis",
    "gulp",
    "experis",
    "jobot",
    "cybercoders",
    "dice",
    "apex systems",
    "robert walters",
    "spring professional",
    "brunel",
    "amoria bond",
    "frank recruitment",
    "nigel frank",
)


@functools.lru_cache(maxsize=16384)
def looks_like_agency(name: str | None) -> bool:
    """Whether an employer name reads as a staffing or recruitment firm."""
    if not name:
        return False
    folded = " ".join(_WORD.findall(fold(name)))
    words = set(folded.split())
    if words & _AGENCY_WORDS:
        return True
    padded = f" {folded} "
    return any(phrase in padded for phrase in _PADDED_AGENCY_PHRASES)


_PADDED_AGENCY_PHRASES = tuple(f" {phrase} " for phrase in _AGENCY_PHRASES)


# --- title ------------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "sr": "senior",
    "snr": "senior",
    "sen": "senior",
    "jr": "junior",
    "jnr": "junior",
    "eng": "engineer",
    "engr": "engineer",
    "engg": "engineering",
    "dev": "developer",
    "devs": "developers",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "assoc": "associate",
    "asst": "assistant",
    "admin": "administrator",
    "sw": "software",
    "swe": "software engineer",
    "sde": "software development engineer",
    "pm": "product manager",
    "ml": "machine learning",
    "qa": "quality assurance",
    "ops": "operations",
    "mktg": "marketing",
    "acct": "accountant",
    "tech": "technical",
    "dir": "director",
    "vp": "vice president",
    "svp": "senior vice president",
    "hr": "human resources",
    "intl": "international",
    "exec": "executive",
    "rep": "representative",
    "entwicklerin": "entwickler",
    "developerin": "developer",
}
_COMPOUNDS = (
    (re.compile(r"\bfront[\s-]+end\b"), "frontend"),
    (re.compile(r"\bback[\s-]+end\b"), "backend"),
    (re.compile(r"\bfull[\s-]+stack\b"), "fullstack"),
    (re.compile(r"\bdev[\s-]*ops\b"), "devops"),
    (re.compile(r"(?<![\w.])\.net\b"), "dotnet"),
    (re.compile(r"\bc\+\+"), "cplusplus"),
    (re.compile(r"\bc#"), "csharp"),
    (re.compile(r"\bf#"), "fsharp"),
    (re.compile(r"\bnode\.?js\b"), "nodejs"),
    (re.compile(r"\bvue\.?js\b"), "vuejs"),
)
# "(m/w/d)", "(f/m/x)", "(all genders)", "(H/F)", "m/w/d" at the end, with or without brackets.
_GENDER_TAG = re.compile(
    r"[\(\[]?\s*\b(?:[mwfdhx]|div|all)\s*/\s*(?:[mwfdhx]|div|all)\s*(?:/\s*(?:[mwfdhx]|div)\.?\s*)?"
    r"[\)\]]?|[\(\[]\s*(?:all genders|gn|genderneutral|m/w|w/m|f/m|m/f)\s*[\)\]]|(?:\*|:|/-?)in\b",
    re.IGNORECASE,
)
# Words that tell where or how, never what: a trailing segment made only of these goes.
_PLACE_WORDS = _words(
    """
    remote hybrid onsite on site office home homeoffice wfh anywhere worldwide nationwide global
    fully partially partly 100 in from based us usa uk eu emea apac latam europe
    united states kingdom america germany deutschland india canada australia france austria
    switzerland netherlands spain italy ireland poland dach and or de gb in au ca fr nl ch at
    full part time fulltime parttime contract permanent temporary temp freelance vollzeit
    teilzeit festanstellung befristet unbefristet f m w d x
    """
)
_TAIL_SEPARATORS = re.compile(r"\s+[-–—|/·•:]\s+|\s*[|·•]\s*|,\s+")
_PARENTHETICAL = re.compile(r"[\(\[]([^\(\)\[\]]*)[\)\]]")
LEVEL_WORDS = _words(
    """
    senior junior lead staff principal head chief director intern internship trainee graduate
    entry associate mid vice president executive apprentice werkstudent praktikant i ii iii iv v
    1 2 3 4 5
    """
)


def _only_place_words(segment: str, place_words: frozenset[str]) -> bool:
    words = _WORD.findall(segment)
    return bool(words) and all(
        w in _PLACE_WORDS or w in place_words or (w.isdigit() and len(w) >= 4) for w in words
    )


def _cut_place_tail(text: str, place_words: frozenset[str]) -> str:
    """Without " - Berlin, Germany", " | Chicago, IL 60601", " - Remote", ", Full-time".

    From the first separated segment that names the posting's own city (or "remote") on,
    everything goes ("London, England": the region's name need not be known); after that, any
    trailing segments made only of place or employment-type words.
    """
    cuts = [m.start() for m in _TAIL_SEPARATORS.finditer(text)]
    bounds = [*cuts, len(text)]
    for i, cut in enumerate(cuts):
        segment = _TAIL_SEPARATORS.sub("", text[cut : bounds[i + 1]], count=1)
        words = set(_WORD.findall(segment))
        names_place = bool(words & place_words) or "remote" in words
        if names_place and _only_place_words(segment, place_words):
            text, cuts = text[:cut], cuts[:i]
            break
    while cuts:
        segment = text[cuts[-1] :]
        if not _only_place_words(segment, place_words):
            break
        text = text[: cuts.pop()]
    return text


@functools.lru_cache(maxsize=65536)
def normalize_title(title: str | None, city: str | None = None, region: str | None = None) -> str:
    """ "Sr. Python Dev - Berlin (m/w/d)" -> "senior python developer".

    ``city`` and ``region`` are the posting's own: a trailing segment or bracket naming only them
    (or "remote", a country, an employment type) is dropped. Level words are never dropped.
    """
    if not title:
        return ""
    text = fold(title)
    text = _GENDER_TAG.sub(" ", text)
    for pattern, replacement in _COMPOUNDS:
        text = pattern.sub(replacement, text)
    place_words = frozenset(_WORD.findall(fold(f"{city or ''} {region or ''}")))
    text = _PARENTHETICAL.sub(
        lambda m: " " if _only_place_words(m[1], place_words) else f" {m[1]} ", text
    )
    text = _cut_place_tail(text.strip(), place_words)
    words: list[str] = []
    for word in _WORD.findall(text):
        words.extend(_ABBREVIATIONS.get(word, word).split())
    # A title ending in "in Berlin"/"remote" without a separator: drop place words at the end,
    # but never the title's last real word.
    while len(words) > 1 and (words[-1] in place_words or words[-1] in ("remote", "hybrid")):
        words.pop()
        if words and words[-1] in ("in", "from", "based"):
            words.pop()
    return " ".join(words)


def title_levels(normalized_title: str) -> frozenset[str]:
    """The level words of a normalized title: {"senior"}, {"lead"}, {"ii"}, or empty."""
    return frozenset(normalized_title.split()) & LEVEL_WORDS


# --- place ------------------------------------------------------------------------------------


def normalize_place(city: str | None, is_remote: bool | None) -> str:
    """ "remote" for remote postings, else the folded city ("" when the board named none)."""
    if is_remote:
        return "remote"
    return _fold_city(city) if city else ""


@functools.lru_cache(maxsize=4096)
def _fold_city(city: str) -> str:
    return " ".join(_WORD.findall(fold(city)))


# --- body -------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+|www\.\S+")
# Text the boards add around the employer's words (LinkedIn's "Show more", Indeed's
# accommodation note); stripping them keeps the exact body hash equal. Each pattern runs only when
# its first words occur (``present_in_text``: one pass for all of them; the alternation as one
# regex costs ~0.3 ms over 3 KB).
_BOARD_BOILERPLATE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (needle, re.compile(pattern, re.IGNORECASE))
    for needle, pattern in (
        ("show more", r"show more"),
        ("show less", r"show less"),
        ("see more", r"see more"),
        ("apply now", r"apply now"),
        ("easy apply", r"easy apply"),
        ("report this job", r"report this job"),
        ("save job", r"save job"),
        ("alternative methods", r"if you require alternative methods of application[^.]*\."),
        ("indeed account", r"you must create an indeed account[^.]*\."),
        ("beware of fraud", r"beware of fraud[^.]*\."),
        ("referrals increase", r"referrals increase your chances of interviewing[^.]*\."),
    )
)
_BOILERPLATE_NEEDLES = tuple(needle.encode() for needle, _pattern in _BOARD_BOILERPLATE)


def normalize_body(description: str | None) -> str:
    """The words of a description, lower case, one space apart; markup and board text gone.

    HTML, markdown and plain text of the same posting come out equal.
    """
    return b" ".join(normalized_body_words(description)).decode()


def normalized_body_words(description: str | None) -> list[bytes]:
    """``normalize_body``'s words, UTF-8 encoded."""
    return normalized_body_bytes(description).split()


def normalized_body_bytes(description: str | None) -> bytes:
    """``normalize_body``'s words UTF-8 encoded, separated by ASCII whitespace (not always one
    space): what the body hash and the sketch read (``sketch.body_sketch`` splits and joins them
    once, in C where it can)."""
    if not description:
        return b""
    text = description
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1", text)
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    found = present_in_text(text.lower(), _BOILERPLATE_NEEDLES)
    if found:
        for i, (_needle, pattern) in enumerate(_BOARD_BOILERPLATE):
            if found >> i & 1:
                text = pattern.sub(" ", text)
    if text.isascii():
        # One pass in C over bytes: lower case and punctuation to spaces (casefold is lower for
        # ASCII, and str.isalnum keeps exactly the letters and digits).
        return text.encode("ascii").translate(_ASCII_WORD_BYTES)
    return " ".join(_words_of(fold(text))).encode()


# ASCII punctuation to spaces: str.translate and str.split run in C, about three times faster than
# _WORD.findall over a 3 KB body (ingest normalizes every new posting's body).
_ASCII_NON_WORD = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
# The same for ASCII text as bytes, with upper case to lower in the same table.
_ASCII_WORD_BYTES = bytes(
    ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else 0x20 for c in range(256)
)


def _words_of(text: str) -> list[str]:
    """What ``_WORD.findall(text)`` finds (a word character but "_" is str.isalnum), faster."""
    tokens = text.translate(_ASCII_NON_WORD).split()
    if text.isascii():
        return tokens
    words: list[str] = []
    for token in tokens:
        if token.isalnum():
            words.append(token)
        else:  # non-ASCII punctuation inside ("don’t", "a–b")
            words.extend(_WORD.findall(token))
    return words


def body_words(normalized_body: str) -> list[str]:
    return normalized_body.split()

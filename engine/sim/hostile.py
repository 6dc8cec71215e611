"""Field contents that have broken scrapers, databases and terminals before.

Each simulated board applies these to the postings of a page while the ``hostile`` fault is on,
keeping ids and URLs intact so the rows still reach the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

NUL = "\x00"
LONE_SURROGATE = "\ud800"
ANSI = "\x1b[31m\x1b[1m"
ANSI_RESET = "\x1b[0m\x1b[2J"
RICH_MARKUP = "[bold red]"
EMOJI = "🚀🦄🔥👩‍💻"
BIG_DESCRIPTION_BYTES = 120 * 1024  # still over 100 KB once jobspy turns it into Markdown


@dataclass(frozen=True)
class Hostile:
    title: str | None = None  # replaces the title
    company: str | None = None
    city: str | None = None
    big_description: bool = False
    nan_salary: bool = False  # Indeed: a NaN number in the JSON
    bad_date: bool = False  # LinkedIn: a datetime attribute that is no date


VARIANTS: tuple[Hostile, ...] = (
    Hostile(title="NaN", company="NaN"),
    Hostile(title=f"Data{NUL}Engineer", company=f"Null{NUL}Byte Ltd"),
    Hostile(title=f"{EMOJI} Rockstar Ninja Engineer {EMOJI}", big_description=True),
    Hostile(title=f"{RICH_MARKUP}Senior Engineer[/bold red] [link=http://x]x[/link]"),
    Hostile(title=f"{ANSI}Red Alert Engineer{ANSI_RESET}", company=f"{ANSI}Evil Corp"),
    Hostile(title=f"Surrogate {LONE_SURROGATE} Engineer", company=f"Broken {LONE_SURROGATE}Inc"),
    Hostile(company="[/]", city=f"{RICH_MARKUP}Berlin", nan_salary=True, bad_date=True),
    Hostile(title="'; DROP TABLE jobs; --", big_description=True, nan_salary=True),
)


def variant(position: int, surrogates: bool = True) -> Hostile:
    """The hostile fields of the posting at ``position``; without lone surrogates if asked."""
    chosen = VARIANTS[position % len(VARIANTS)]
    if surrogates:
        return chosen

    def clean(value: str | None) -> str | None:
        return value.replace(LONE_SURROGATE, "\ufffd") if value is not None else None

    return replace(
        chosen, title=clean(chosen.title), company=clean(chosen.company), city=clean(chosen.city)
    )


def big_description(base_html: str, surrogates: bool = True) -> str:
    """A description of over 100 KB, mixing the hostile strings into repeated real text."""
    odd = LONE_SURROGATE if surrogates else "\ufffd"
    filler = (
        f"<p>{EMOJI} {RICH_MARKUP}read this[/bold red] {ANSI}twice{ANSI_RESET} "
        f"NaN {NUL} null {odd} end.</p>"
    )
    parts = [base_html]
    size = len(base_html)
    while size < BIG_DESCRIPTION_BYTES:
        parts.append(filler)
        parts.append(base_html)
        size += len(filler) + len(base_html)
    return "".join(parts)

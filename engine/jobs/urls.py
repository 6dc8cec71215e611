"""One URL per posting (``canonical_url``), the site a URL belongs to, and a board's own job id."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from engine.jobs.fields import clean_text


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TRACKING = _words(
    """
    refid trackingid trk trkinfo gclid gclsrc dclid fbclid msclkid yclid twclid ttclid li_fat_id
    mc_cid mc_eid _hsenc _hsmi hsctatracking position pagenum src from ref referer referrer source
    campaign cmp tk vjs advn adid xkcb xpse xfps jsa alid sjdu acatk camk iips jrtk guid ao pos
    currenttab origin lipi midtoken midsig eba otpt original_referer sessionid session_id
    """
)
_TRACKING_PREFIXES = ("utm_", "trk_", "pk_", "mtm_", "_ga", "ga_", "__hs", "oly_", "vero_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_LINKEDIN_VIEW = re.compile(r"^/(?:comm/)?jobs/view/(?:[^/]*?-)?(\d+)/?$")


def canonical_url(url: Any) -> str:
    """One spelling per posting: lower-case scheme and host, no default port, no fragment, no
    tracking parameters, the job's own id kept (Indeed ``jk``, Glassdoor ``jl``, LinkedIn's id
    in the path), parameters sorted. Idempotent; text that is not an http(s) URL comes back
    trimmed and otherwise unchanged."""
    text = clean_text(url)
    if text is None:
        return ""
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:
        return text
    if scheme not in _DEFAULT_PORTS or not host:
        return text
    host = host.rstrip(".")
    if not host:
        return text
    # Percent-encode what a path may not hold raw (spaces, non-ASCII); "%" stays, so a second
    # pass changes nothing.
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    params = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    if host == "linkedin.com" or host.endswith(".linkedin.com"):
        host, path, params = _linkedin(host, path, params)
    elif _is_site(host, "indeed"):
        path, params = _indeed(path, params)
    elif _is_site(host, "glassdoor"):
        params = [(k, v) for k, v in params if k.lower() in ("jl", "joblistingid")] or params
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = urlencode(sorted(params))
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(key: str) -> bool:
    folded = key.lower()
    return folded in _TRACKING or folded.startswith(_TRACKING_PREFIXES)


def _is_site(host: str, name: str) -> bool:
    return name in host.split(".")


def _linkedin(
    host: str, path: str, params: list[tuple[str, str]]
) -> tuple[str, str, list[tuple[str, str]]]:
    match = _LINKEDIN_VIEW.match(path)
    if match:
        # Job ids are global: ca.linkedin.com and www.linkedin.com show the same posting.
        return "www.linkedin.com", f"/jobs/view/{match[1]}", []
    current = [v for k, v in params if k.lower() == "currentjobid" and v.isdigit()]
    if path.startswith("/jobs/") and current:
        return "www.linkedin.com", f"/jobs/view/{current[0]}", []
    return host, path, params


def _indeed(path: str, params: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    keys = [v for k, v in params if k.lower() in ("jk", "vjk") and v]
    if keys:
        # /rc/clk, /pagead/clk and /m/viewjob all lead to the posting /viewjob?jk= shows.
        return "/viewjob", [("jk", keys[0])]
    return path, params


def site_from_host(url: str) -> str | None:
    """The site a URL belongs to: "uk.indeed.com" -> indeed, "jobs.acme.co.uk" -> acme."""
    labels = (urlsplit(url).hostname or "").split(".")
    for label in labels:
        if label in _KNOWN_SITES:
            return _KNOWN_SITES[label]
    if (
        len(labels) >= 3
        and len(labels[-1]) == 2
        and labels[-2] in ("co", "com", "org", "net", "ac")
    ):
        return labels[-3] or None
    return labels[-2] if len(labels) >= 2 and labels[-2] else None


_KNOWN_SITES = {
    "linkedin": "linkedin",
    "indeed": "indeed",
    "glassdoor": "glassdoor",
    "ziprecruiter": "zip_recruiter",
    "google": "google",
    "bayt": "bayt",
    "naukri": "naukri",
    "bdjobs": "bdjobs",
    "hellowork": "hellowork",
}
# jobspy prefixes its ids with the site ("in-<jk>", "li-<id>"): the board's own id follows.
_ID_PREFIXES = ("li-", "in-", "gd-", "zr-", "go-", "bd-", "bayt-", "hw-", "nk-")


def site_job_id(raw_id: Any, url: str) -> str | None:
    text = clean_text(raw_id)
    if text:
        for prefix in _ID_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                return text[len(prefix) :]
        return text
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key in ("jk", "jl") and value:
            return value
    match = _LINKEDIN_VIEW.match(parts.path)
    return match[1] if match else None

"""Masking of secrets in URLs and free text, applied before anything is logged, stored or shown."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# user:password@ inside any URL-ish text (postgresql://, http://, socks5://, ...).
_USERINFO = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]+)@"
)
# password=... in libpq key/value strings and query strings.
_PASSWORD_KV = re.compile(r"(?i)(?P<key>\bpassword\s*=\s*)(?P<val>'[^']*'|[^\s&]+)")


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (user names are kept: they help).

    A libpq key/value string (``host=... password=...``) is masked too: it is no URL, and
    ``urlsplit`` would take all of it for a path and leave the password in."""
    if "://" not in url:
        return mask_text(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, password = userinfo.partition(":")
        if sep and password:
            netloc = f"{user}:{MASK}@{hostport}"
    query = _PASSWORD_KV.sub(lambda m: m.group("key") + MASK, parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Mask URL passwords, ``password=`` pairs and every known secret value inside free text."""
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:{MASK}@", text)
    text = _PASSWORD_KV.sub(lambda m: m.group("key") + MASK, text)
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text

"""Proxies: resolving ``${ENV_VAR}`` credentials, and checking a proxy before it is used.

A stored proxy URL holds only references; ``resolve_proxy`` substitutes them from the worker's
environment (percent-encoded, so a password with ``@`` or ``:`` stays one password) at the last
moment. Only the variables ``JOBFLEET_SECRET_ENV`` allows may be named (the spec comes from the
database, which is not trusted to hold only what deploy checked), and every value substituted,
in the user slot as in the password slot, is registered with ``engine.fleet.events.add_secrets``
so every message masks it; ``shown_proxy`` is the form people see (``http://***@host:port``).

``check_proxy`` asks an IP echo through the proxy and refuses the proxy if it fails or if the
address it reports is local or one of this machine's own (a transparent or broken proxy would
leak the real address to the boards). stdlib and psutil only, besides the secret registry: the
worker imports this.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import psutil

from engine.errors import UserError
from engine.fleet.events import add_secrets, known_secrets
from engine.fleet.spec import ENV_REF, split_proxy
from engine.redact import MASK, mask_text, mask_url
from engine.settings import secret_ref_refusal

IP_ECHO_URL = "https://api.ipify.org/?format=json"
# Addresses that can never be a proxy's public exit: this machine, its LAN, carrier NAT.
_LOCAL_NETS = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
]


class ProxyConfigError(UserError):
    """A proxy refers to an environment variable that is not set or not allowed."""


@dataclass(frozen=True)
class ProxyCheck:
    ok: bool
    exit_ip: str | None
    error: str | None


def resolve_proxy(url: str, secret_env: str, env: Mapping[str, str] | None = None) -> str:
    """Substitute ``${VAR}`` references from the environment (values percent-encoded).

    A name ``secret_env`` (the ``JOBFLEET_SECRET_ENV`` allowlist) does not allow is refused
    before any value is read; every value used is registered as a secret (raw and encoded)."""
    source = os.environ if env is None else env

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        refusal = secret_ref_refusal(name, secret_env)
        if refusal:
            raise ProxyConfigError(refusal)
        if name not in source or source[name] == "":
            raise ProxyConfigError(
                f"a proxy refers to ${{{name}}}, which is not set in the worker's environment "
                f"(export {name} before starting jobfleet)"
            )
        raw = source[name]
        encoded = quote(raw, safe="")
        add_secrets(raw, encoded)
        return encoded

    return ENV_REF.sub(value, url)


def shown_proxy(url: str) -> str:
    """A resolved proxy URL for people: the password masked, and the user name masked too when
    it is a registered secret (an API key used as the user name, from a ``${VAR}`` reference)."""
    try:
        scheme, user, password, hostport = split_proxy(url)
    except ValueError:
        return mask_text(url, known_secrets())
    if user is None:
        return mask_text(url, known_secrets())
    secrets = set(known_secrets())
    if user in secrets or unquote(user) in secrets:
        user = MASK
    if password is None:
        return mask_text(f"{scheme}://{user}@{hostport}", known_secrets())
    return mask_text(mask_url(f"{scheme}://{user}:{password}@{hostport}"), known_secrets())


def proxy_password(url: str) -> str | None:
    """The decoded password of a resolved proxy URL (to be masked), if any."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _local_addresses() -> set[str]:
    found: set[str] = set()
    try:
        for addrs in psutil.net_if_addrs().values():
            for addr in addrs:
                found.add(addr.address.split("%")[0])
    except (OSError, psutil.Error):
        pass
    return found


def is_local_ip(text: str) -> bool:
    """True for an address that reveals this machine (or is not a public address at all)."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return True
    if ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast:
        return True
    if any(ip in net for net in _LOCAL_NETS):
        return True
    return str(ip) in _local_addresses()


def check_proxy(
    proxy_url: str, ca_cert: str | None = None, timeout: float = 10, *, echo_url: str = IP_ECHO_URL
) -> ProxyCheck:
    """IP echo through ``proxy_url`` (resolved). Never raises; errors are masked."""
    shown = shown_proxy(proxy_url)
    try:
        scheme, user, password, hostport = split_proxy(proxy_url)
    except ValueError:
        return ProxyCheck(False, None, f"proxy {shown} is not a proxy URL")
    secrets = [s for s in (user, password) if s]
    secrets += [unquote(s) for s in secrets] + known_secrets()
    request = urllib.request.Request(echo_url)
    if user is not None:
        # Set by hand: urllib only sends proxy credentials when there is a password, and many
        # providers take an API key as the user name with no password.
        pair = f"{unquote(user)}:{unquote(password or '')}".encode()
        request.add_header("Proxy-Authorization", "Basic " + base64.b64encode(pair).decode())
    bare = f"{scheme}://{hostport}"
    context = ssl.create_default_context(cafile=ca_cert) if ca_cert else None
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": bare, "https": bare}),
        urllib.request.HTTPSHandler(context=context),
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(4096)
    except urllib.error.HTTPError as exc:
        return ProxyCheck(False, None, f"the IP echo answered HTTP {exc.code} through the proxy")
    except (urllib.error.URLError, OSError, ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        text = mask_text(f"{exc.__class__.__name__}: {reason}", secrets)
        return ProxyCheck(False, None, f"proxy {shown} failed: {text}"[:500])
    try:
        ip = str(json.loads(body.decode("utf-8", "replace"))["ip"])
    except (ValueError, KeyError, TypeError):
        return ProxyCheck(False, None, "the IP echo answered something that is not an address")
    if is_local_ip(ip):
        shown = ip if len(ip) < 60 and ip.isprintable() else "an invalid address"
        return ProxyCheck(
            False,
            shown,
            f"proxy {shown} exposes a local or real address ({shown}); not used",
        )
    return ProxyCheck(True, ip, None)

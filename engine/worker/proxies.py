"""Proxies: resolving ``${ENV_VAR}`` credentials, and checking a proxy before it is used.

A stored proxy URL holds only references; ``resolve_proxy`` substitutes them from the worker's
environment (percent-encoded, so a password with ``@`` or ``:`` stays one password) at the last
moment, and the values are registered with ``engine.events.add_secrets`` so every message
masks them. ``check_proxy`` asks an IP echo through the proxy and refuses the proxy if it fails
or if the address it reports is local or one of this machine's own (a transparent or broken
proxy would leak the real address to the boards). stdlib only: the worker imports this.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import psutil

from engine.errors import UserError
from engine.fleet.spec import ENV_REF
from engine.redact import mask_text, mask_url

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
    """A proxy refers to an environment variable that is not set."""


@dataclass(frozen=True)
class ProxyCheck:
    ok: bool
    exit_ip: str | None
    error: str | None


def resolve_proxy(url: str, env: dict[str, str] | None = None) -> str:
    """Substitute ``${VAR}`` references from the environment (values percent-encoded)."""
    source = os.environ if env is None else env

    def value(match: object) -> str:
        name = match.group(1)  # type: ignore[attr-defined]
        if name not in source or source[name] == "":
            raise ProxyConfigError(
                f"a proxy refers to ${{{name}}}, which is not set in the worker's environment "
                f"(export {name} before starting jobfleet)"
            )
        return quote(source[name], safe="")

    return ENV_REF.sub(value, url)


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
    secrets = [p for p in (proxy_password(proxy_url),) if p]
    context = ssl.create_default_context(cafile=ca_cert) if ca_cert else None
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url}),
        urllib.request.HTTPSHandler(context=context),
    )
    try:
        with opener.open(echo_url, timeout=timeout) as response:
            body = response.read(4096)
    except urllib.error.HTTPError as exc:
        return ProxyCheck(False, None, f"the IP echo answered HTTP {exc.code} through the proxy")
    except (urllib.error.URLError, OSError, ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        text = mask_text(f"{exc.__class__.__name__}: {reason}", secrets)
        return ProxyCheck(False, None, f"proxy {mask_url(proxy_url)} failed: {text}"[:500])
    try:
        ip = str(json.loads(body.decode("utf-8", "replace"))["ip"])
    except (ValueError, KeyError, TypeError):
        return ProxyCheck(False, None, "the IP echo answered something that is not an address")
    if is_local_ip(ip):
        shown = ip if len(ip) < 60 and ip.isprintable() else "an invalid address"
        return ProxyCheck(
            False,
            shown,
            f"proxy {mask_url(proxy_url)} exposes a local or real address ({shown}); not used",
        )
    return ProxyCheck(True, ip, None)

"""The environment a worker is started with: what it must have, and nothing else.

Not the supervisor's whole environment: that may hold any secret of the operator's (cloud keys,
tokens), and a worker is driven by a spec from the database. A worker gets the variables needed
to run Python, reach the network and the database, every jobfleet setting (secrets are never in
argv, which ``ps`` shows), and, from the spec's ``${NAME}`` proxy references, the variables
``JOBFLEET_SECRET_ENV`` allows. The worker checks the references against the allowlist again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from engine.fleet.spec import ENV_REF
from engine.settings import Settings, secret_ref_refusal

# Passed on as they are when set: running Python, locale, time, temporary files, TLS trust,
# libpq's own settings (a password may come from PGPASSWORD or PGPASSFILE), the machine's proxy.
RUNTIME_ENV = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "TEMP",
        "TMP",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    }
)
RUNTIME_PREFIXES = ("LC_", "PYTHON", "PG")
# jobfleet variables read by code the worker runs that are not Settings fields: the place cache
# of engine.geo.cache (DIR_ENV, SWITCH_ENV; tests/unit/test_worker_env.py keeps them in step).
WORKER_JOBFLEET_ENV = frozenset({"JOBFLEET_CACHE_DIR", "JOBFLEET_PLACES_CACHE"})


def spec_secret_names(spec: Mapping[str, Any], secret_env: str) -> list[str]:
    """The variables a stored spec's proxies refer to that the allowlist lets through."""
    names: list[str] = []
    proxies = spec.get("proxies") or []
    for proxy in proxies if isinstance(proxies, list) else []:
        for name in ENV_REF.findall(str(proxy)):
            if name not in names and secret_ref_refusal(name, secret_env) is None:
                names.append(name)
    return names


def worker_env(
    settings: Settings,
    database_url: str,
    spec: Mapping[str, Any],
    source: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of the worker of the node whose stored spec is ``spec``."""
    source = os.environ if source is None else source
    env = {
        name: value
        for name, value in source.items()
        if name in RUNTIME_ENV or name in WORKER_JOBFLEET_ENV or name.startswith(RUNTIME_PREFIXES)
    }
    for name in spec_secret_names(spec, settings.secret_env):
        if name in source:
            env[name] = source[name]
    for name, value in settings.model_dump().items():
        # The alert URLs hold tokens and only supervisors send alerts: workers never get them.
        if name in ("database_url", "alert_urls") or value is None:
            continue
        env[f"JOBFLEET_{name.upper()}"] = str(value)
    env["JOBFLEET_DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    return env

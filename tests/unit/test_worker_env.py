"""The worker's environment: what it must have, the secrets its spec may name, nothing else."""

from __future__ import annotations

from engine.geo import cache
from engine.settings import Settings
from engine.supervisor.environment import WORKER_JOBFLEET_ENV, worker_env

SUPERVISOR_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/home/op",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONPATH": "/src",
    "SSL_CERT_FILE": "/etc/ca.pem",
    "PGPASSFILE": "/home/op/.pgpass",
    "JOBFLEET_CACHE_DIR": "/cache",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
    "GITHUB_TOKEN": "ghp-value",
    "PROXY_KEY": "key-value",
    "PROXY_OTHER": "other-value",
    "JOBFLEET_TEST_DATABASE_URL": "postgresql://admin:pw@db/test",
}


def env_for(proxies: list[str], **settings: object) -> dict[str, str]:
    return worker_env(
        Settings(home="/tmp/jf-home", **settings),  # type: ignore[arg-type]
        "postgresql://u:pw@db/jf",
        {"proxies": proxies},
        SUPERVISOR_ENV,
    )


def test_only_the_runtime_the_settings_and_the_specs_own_secrets() -> None:
    env = env_for(["http://${PROXY_KEY}@127.0.0.1:1", "http://x:${AWS_SECRET_ACCESS_KEY}@h:1"])
    for name in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "SSL_CERT_FILE", "PGPASSFILE"):
        assert env[name] == SUPERVISOR_ENV[name]
    assert env["JOBFLEET_CACHE_DIR"] == "/cache"
    assert env["PROXY_KEY"] == "key-value"
    assert env["JOBFLEET_DATABASE_URL"] == "postgresql://u:pw@db/jf"
    assert env["JOBFLEET_SECRET_ENV"] == "PROXY_*,JOBFLEET_PROXY_*"
    assert env["JOBFLEET_HOME"] == "/tmp/jf-home"
    # Not allowed, not named by the spec, or not the worker's business:
    for name in ("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "PROXY_OTHER"):
        assert name not in env
    assert "JOBFLEET_TEST_DATABASE_URL" not in env
    assert "aws-secret-value" not in "".join(env.values())


def test_an_operator_allowlist_lets_its_names_through() -> None:
    env = env_for(["http://x:${AWS_SECRET_ACCESS_KEY}@h:1"], secret_env="AWS_*")
    assert env["AWS_SECRET_ACCESS_KEY"] == "aws-secret-value"
    assert env["JOBFLEET_SECRET_ENV"] == "AWS_*"


def test_the_place_cache_variables_are_passed() -> None:
    assert {cache.DIR_ENV, cache.SWITCH_ENV} == WORKER_JOBFLEET_ENV


def test_workers_never_get_the_alert_urls() -> None:
    env = env_for([], alert_urls="ntfy://ntfy.sh/secret-topic-123")
    assert "JOBFLEET_ALERT_URLS" not in env
    assert "secret-topic-123" not in "".join(env.values())
    assert env["JOBFLEET_ALERT_INTERVAL"] == "10.0"  # the other alert settings are harmless

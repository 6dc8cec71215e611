import pytest

from engine.worker.cooldowns import Cooldowns
from engine.worker.proxies import (
    ProxyConfigError,
    check_proxy,
    is_local_ip,
    proxy_password,
    resolve_proxy,
)
from engine.worker.resume import Position, resume_point


def test_cooldown_per_site_grows_and_resets():
    now = [0.0]
    cd = Cooldowns(base=10, cap=35, clock=lambda: now[0])
    assert cd.blocked("linkedin") == 10
    assert cd.available(["linkedin", "indeed"]) == ["indeed"]
    now[0] = 11
    assert cd.available(["linkedin", "indeed"]) == ["linkedin", "indeed"]
    assert cd.blocked("linkedin") == 20
    assert cd.blocked("linkedin") == 35  # capped
    assert cd.next_free_in(["linkedin"]) == 35
    cd.ok("linkedin")
    assert cd.available(["linkedin"]) == ["linkedin"]
    assert cd.snapshot() == {}


def test_resolve_proxy_encodes_and_requires_the_variable():
    url = resolve_proxy("http://u:${PROXY_PW}@h:1", "PROXY_*", {"PROXY_PW": "p@ss:w/rd"})
    assert url == "http://u:p%40ss%3Aw%2Frd@h:1"
    assert proxy_password(url) == "p@ss:w/rd"
    with pytest.raises(ProxyConfigError, match=r"\$\{PROXY_PW\}"):
        resolve_proxy("http://u:${PROXY_PW}@h:1", "PROXY_*", {})


@pytest.mark.parametrize(
    ("ip", "local"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.0.9", True),
        ("::1", True),
        ("not an ip", True),
        ("203.0.113.10", False),
        ("8.8.8.8", False),
    ],
)
def test_local_addresses(ip, local):
    assert is_local_ip(ip) is local


def test_check_proxy_through_the_simulator():
    from engine.sim import Fault, SimBoards

    with SimBoards(auth=("u", "sekrit-pw")) as sim:
        good = check_proxy(sim.proxy_url, sim.ca_path, timeout=10)
        assert good.ok and good.exit_ip == "203.0.113.10"
        wrong = check_proxy(sim.proxy_url.replace("sekrit-pw", "nope-nope"), sim.ca_path, 10)
        assert not wrong.ok and "nope-nope" not in (wrong.error or "")
        sim.set_fault("ipecho", Fault(kind="leaky"))
        leak = check_proxy(sim.proxy_url, sim.ca_path, timeout=10)
        assert not leak.ok and "local or real address" in (leak.error or "")


def test_resolve_proxy_refuses_names_outside_the_allowlist_before_reading_them():
    env = {"AWS_SECRET_ACCESS_KEY": "aws-value", "JOBFLEET_DATABASE_URL": "postgresql://x"}
    for name in env:
        with pytest.raises(ProxyConfigError, match="JOBFLEET_SECRET_ENV") as info:
            resolve_proxy(f"http://x:${{{name}}}@h:1", "PROXY_*,JOBFLEET_PROXY_*", env)
        assert env[name] not in str(info.value)
    with pytest.raises(ProxyConfigError, match="never sent"):
        resolve_proxy("http://x:${JOBFLEET_DATABASE_URL}@h:1", "*", env)


def test_user_slot_secret_is_registered_and_masked_in_the_display_form():
    from engine.fleet.events import known_secrets, log_text
    from engine.worker.proxies import shown_proxy

    key = "uSeR-sLoT-kEy/42"
    url = resolve_proxy("http://${PROXY_KEY}@127.0.0.1:8080", "PROXY_*", {"PROXY_KEY": key})
    assert url == "http://uSeR-sLoT-kEy%2F42@127.0.0.1:8080"
    assert key in known_secrets() and "uSeR-sLoT-kEy%2F42" in known_secrets()
    assert shown_proxy(url) == "http://***@127.0.0.1:8080"
    assert key not in log_text(f"via {url} and {key}")
    # A plain user name is kept (it helps), the password never is.
    assert shown_proxy("http://bob:pw-123@h:1") == "http://bob:***@h:1"


def test_check_proxy_sends_a_user_only_credential():
    from engine.sim import SimBoards
    from engine.worker.proxies import shown_proxy

    key = "api-key-as-user-77"
    with SimBoards(auth=(key, "")) as sim:
        url = resolve_proxy(f"http://${{PROXY_KEY}}@{sim.address}", "PROXY_*", {"PROXY_KEY": key})
        good = check_proxy(url, sim.ca_path, timeout=10)
        assert good.ok and good.exit_ip == "203.0.113.10", good.error
        wrong = check_proxy(f"http://{key}-nope@{sim.address}", sim.ca_path, 10)
        assert not wrong.ok and key not in (wrong.error or "")
    assert key not in shown_proxy(url)


LOCS = ["New York", "Austin", "Chicago"]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (Position(0, 0, 0, None), (1, 0)),  # never ran
        (Position(4, 3, 3, "Chicago"), (5, 0)),  # cycle finished
        (Position(4, 1, 3, "New York"), (4, 1)),  # crashed after the first location
        (Position(4, 1, 3, "Austin"), (4, 1)),  # crashed while scraping the second
        (Position(4, 2, 3, None), (4, 2)),  # crashed right after resuming at the third
        (Position(4, 1, 2, "Austin"), (5, 0)),  # the spec has other locations now
        (Position(4, 1, 3, "Paris"), (5, 0)),  # ... or other names
    ],
)
def test_resume_point(stored, expected):
    assert resume_point(stored, LOCS) == expected


def test_resume_point_without_locations():
    assert resume_point(Position(2, 0, 1, None), [None]) == (2, 0)
    assert resume_point(Position(2, 1, 1, None), [None]) == (3, 0)

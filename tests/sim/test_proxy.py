"""The proxy itself: auth, unknown hosts, TLS and ALPN, plain HTTP, the IP echo, the control API."""

from __future__ import annotations

import base64
import socket
import ssl

import pytest
import requests
from curl_cffi import requests as curl_requests

from engine.sim import Fault, SimBoards
from tests.sim.conftest import PASSWORD, USER

IPIFY = "https://api.ipify.org/?format=json"


def _connect(sim: SimBoards, host: str, credentials: str | None = f"{USER}:{PASSWORD}") -> bytes:
    """Send one CONNECT by hand and return the proxy's answer head."""
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        auth = ""
        if credentials:
            token = base64.b64encode(credentials.encode()).decode()
            auth = f"Proxy-Authorization: Basic {token}\r\n"
        conn.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n{auth}\r\n".encode())
        return conn.recv(4096)


def test_proxy_auth_is_checked(sim: SimBoards) -> None:
    assert _connect(sim, "api.ipify.org", None).startswith(b"HTTP/1.1 407 ")
    assert _connect(sim, "api.ipify.org", f"{USER}:wrong").startswith(b"HTTP/1.1 407 ")
    assert _connect(sim, "api.ipify.org").startswith(b"HTTP/1.1 200 ")
    with pytest.raises(requests.exceptions.ProxyError, match="407"):
        requests.get(IPIFY, proxies={"https": sim.proxy_url_for(None)}, verify=sim.ca_path)
    assert sim.counters.auth_failures == 3


def test_unknown_host_gets_a_prompt_502(sim: SimBoards) -> None:
    assert _connect(sim, "example.com").startswith(b"HTTP/1.1 502 ")
    with pytest.raises(requests.exceptions.ProxyError, match="502"):
        requests.get(
            "https://www.glassdoor.com/",
            proxies={"https": sim.proxy_url},
            verify=sim.ca_path,
            timeout=5,
        )
    assert sim.counters.unknown_hosts == 2


def test_tls_offers_http11_only(sim: SimBoards) -> None:
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as raw:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        auth = f"Proxy-Authorization: Basic {token}\r\n"
        raw.sendall(f"CONNECT apis.indeed.com:443 HTTP/1.1\r\n{auth}\r\n".encode())
        assert raw.recv(4096).startswith(b"HTTP/1.1 200 ")
        context = ssl.create_default_context(cafile=sim.ca_path)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with context.wrap_socket(raw, server_hostname="apis.indeed.com") as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"


def test_the_board_certificate_is_not_trusted_without_the_ca(sim: SimBoards) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(IPIFY, proxies={"https": sim.proxy_url}, timeout=5)


def test_curl_with_chrome_impersonation_goes_through(sim: SimBoards) -> None:
    # jobspy's TLSRotating session (Chrome impersonation) is what other boards use.
    response = curl_requests.post(
        "https://apis.indeed.com/graphql",
        json={"query": 'query { jobSearch(what: "nurse", limit: 5) { results { job { key } } } }'},
        headers={"indeed-api-key": "k", "indeed-co": "GB"},
        proxies={"https": sim.proxy_url},
        verify=sim.ca_path,
        impersonate="chrome",
        timeout=10,
    )
    assert response.status_code == 200
    results = response.json()["data"]["jobSearch"]["results"]
    assert len(results) == 5
    assert all(r["job"]["location"]["countryCode"] == "GB" for r in results)
    text = curl_requests.get(
        "https://api.ipify.org/",
        proxies={"https": sim.proxy_url},
        verify=sim.ca_path,
        impersonate="chrome",
        timeout=10,
    ).text
    assert text == "203.0.113.10"


def test_plain_http_absolute_form_requests_work(sim: SimBoards) -> None:
    proxies = {"http": sim.proxy_url}
    assert requests.get("http://api.ipify.org/", proxies=proxies, timeout=5).text == "203.0.113.10"
    page = requests.get(
        "http://www.linkedin.com/jobs-guest/jobs/api/seeMoreJobPostings/search",
        params={"keywords": "engineer", "location": "Berlin"},
        proxies=proxies,
        timeout=5,
    )
    assert page.status_code == 200
    assert page.text.count('class="base-search-card__title"') == 10
    assert requests.get("http://unknown.test/", proxies=proxies, timeout=5).status_code == 502


def test_ip_echo_formats_and_exit_ip() -> None:
    with SimBoards(exit_ip="198.51.100.7") as sim:
        proxies = {"https": sim.proxy_url}
        assert requests.get(IPIFY, proxies=proxies, verify=sim.ca_path, timeout=5).json() == {
            "ip": "198.51.100.7"
        }
        plain = requests.get("https://api.ipify.org/", proxies=proxies, verify=sim.ca_path)
        assert plain.text == "198.51.100.7"
        sim.exit_ip = "198.51.100.8"
        plain = requests.get("https://api.ipify.org/", proxies=proxies, verify=sim.ca_path)
        assert plain.text == "198.51.100.8"


def test_counters_per_credential_and_path() -> None:
    with SimBoards(auth=[("alice", "a"), ("bob", "b")]) as sim:
        for user, n in (("alice", 2), ("bob", 3)):
            for _ in range(n):
                requests.get(IPIFY, proxies={"https": sim.proxy_url_for(user)}, verify=sim.ca_path)
        counters = sim.counters
        assert counters.by_user == {"alice": 2, "bob": 3}
        assert counters.count("ipecho") == 5
        assert counters.by_route == {("ipecho", "/"): 5}
        assert [r.user for r in counters.requests("ipecho")] == ["alice"] * 2 + ["bob"] * 3
        times = [r.at for r in counters.requests()]
        assert times == sorted(times)
        sim.reset_counters()
        assert sim.counters.total == 0


def test_control_api_switches_faults_at_run_time(sim: SimBoards) -> None:
    base = f"http://{sim.address}/_sim"
    auth = (USER, PASSWORD)
    assert requests.get(f"{base}/counters", timeout=5).status_code == 401
    answer = requests.post(
        f"{base}/faults", json={"board": "ipecho", "kind": "403", "count": 1}, auth=auth
    )
    assert answer.json() == {"ipecho": {"kind": "403", "count_left": 1, "delay": 2.0}}
    assert sim.faults == {"ipecho": (Fault("403", count=1), 1)}
    blocked = requests.get(IPIFY, proxies={"https": sim.proxy_url}, verify=sim.ca_path)
    assert blocked.status_code == 403
    requests.post(f"{base}/faults", json={"board": "ipecho", "kind": "leaky"}, auth=auth)
    assert requests.delete(f"{base}/faults", auth=auth).json() == {}
    bad = requests.post(f"{base}/faults", json={"board": "x", "kind": "429"}, auth=auth)
    assert bad.status_code == 400
    counters = requests.get(f"{base}/counters", auth=auth).json()
    assert counters["by_board"] == {"ipecho": 1}
    assert counters["faults"] == {"ipecho 403": 1}
    assert requests.get(f"{base}/ca.pem", auth=auth).text.startswith("-----BEGIN CERTIFICATE")


def test_broken_clients_do_not_hurt_the_proxy(sim: SimBoards) -> None:
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        conn.sendall(b"NONSENSE\r\n\r\n")
        assert conn.recv(100) == b""  # dropped
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        conn.sendall(
            f"CONNECT api.ipify.org:443 HTTP/1.1\r\nProxy-Authorization: Basic {token}"
            "\r\n\r\n".encode()
        )
        conn.recv(100)
        conn.sendall(b"this is not a TLS client hello" * 10)
        assert conn.recv(100) == b""
    answer = requests.get(IPIFY, proxies={"https": sim.proxy_url}, verify=sim.ca_path, timeout=5)
    assert answer.json() == {"ip": "203.0.113.10"}


def test_unknown_linkedin_job_redirects_like_a_closed_posting(sim: SimBoards) -> None:
    answer = requests.get(
        "https://www.linkedin.com/jobs/view/4999999999",
        proxies={"https": sim.proxy_url},
        verify=sim.ca_path,
        timeout=5,
    )
    assert answer.url.startswith("https://www.linkedin.com/jobs/search")
    assert [r.route for r in sim.counters.requests("linkedin")] == [
        "/jobs/view/{id}",
        "/jobs/search",
    ]

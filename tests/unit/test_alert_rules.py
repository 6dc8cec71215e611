"""The alert rules (pure) and the sender's pure parts: URLs, labels, secrets, messages, digests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.supervisor.alerts.rules import (
    EventFacts,
    HostFacts,
    NodeFacts,
    Open,
    Policy,
    Resolve,
    event_changes,
    host_changes,
    node_changes,
)
from engine.supervisor.alerts.send import compose, digest_due, split_urls, url_label, url_secrets

POLICY = Policy(failing_after=3, no_new_cycles=10, host_stale_after=30, takeover_after=300)


def node(**over: object) -> NodeFacts:
    values: dict[str, object] = {
        "id": 7,
        "name": "berlin",
        "status": "running",
        "desired": "running",
        "host": "box",
        "last_error": None,
        "health": "ok",
        "health_reason": "indeed ok",
        "cycle": 5,
        "new_at_cycle": 5,
    }
    values.update(over)
    return NodeFacts(**values)  # type: ignore[arg-type]


def kinds(changes: list[Open | Resolve]) -> list[tuple[str, str]]:
    return [(type(c).__name__, c.kind) for c in changes]


def test_a_healthy_node_raises_nothing() -> None:
    assert node_changes(node(), set(), POLICY) == []


def test_fatal_opens_once_names_node_and_host_and_what_to_do() -> None:
    [change] = node_changes(node(status="fatal", last_error="boom"), set(), POLICY)
    assert isinstance(change, Open) and change.kind == "node_fatal"
    assert change.title == "jobfleet: node berlin on host box is FATAL"
    assert "boom" in change.body and "jobfleet start berlin" in change.body
    assert node_changes(node(status="fatal"), {"node_fatal"}, POLICY) == []


def test_fatal_resolves_with_news_or_quietly_when_stopped() -> None:
    [back] = node_changes(node(status="running"), {"node_fatal"}, POLICY)
    assert isinstance(back, Resolve) and back.notify
    [quiet] = node_changes(node(status="stopped", desired="stopped"), {"node_fatal"}, POLICY)
    assert isinstance(quiet, Resolve) and not quiet.notify


def test_failing_opens_and_only_ok_resolves() -> None:
    assert kinds(node_changes(node(health="failing"), set(), POLICY)) == [("Open", "node_failing")]
    assert node_changes(node(health="degraded"), {"node_failing"}, POLICY) == []
    assert kinds(node_changes(node(health="ok"), {"node_failing"}, POLICY)) == [
        ("Resolve", "node_failing")
    ]
    # A FATAL node gets the FATAL alert, not a second one for its health.
    assert kinds(node_changes(node(status="fatal", health="failing"), set(), POLICY)) == [
        ("Open", "node_fatal")
    ]


def test_no_new_postings_after_n_cycles_of_a_running_node() -> None:
    assert node_changes(node(cycle=14, new_at_cycle=5), set(), POLICY) == []
    assert kinds(node_changes(node(cycle=15, new_at_cycle=5), set(), POLICY)) == [
        ("Open", "no_new_postings")
    ]
    assert node_changes(node(cycle=15, new_at_cycle=5, status="backoff"), set(), POLICY) == []
    assert kinds(node_changes(node(cycle=16, new_at_cycle=16), {"no_new_postings"}, POLICY)) == [
        ("Resolve", "no_new_postings")
    ]


def test_lost_host_with_nodes_opens_and_resolves_when_back() -> None:
    gone = HostFacts("b", 120.0, running_nodes=2, pinned_nodes=1)
    [change] = host_changes(gone, set(), POLICY)
    assert isinstance(change, Open) and "host b" in change.title and "pinned" in change.body
    assert host_changes(gone, {"host_lost"}, POLICY) == []
    assert host_changes(HostFacts("b", 120.0, 0, 0), set(), POLICY) == []  # nothing to run
    assert host_changes(HostFacts("demo@b", 120.0, 2, 2, demo=True), set(), POLICY) == []
    [back] = host_changes(HostFacts("b", 1.0, 2, 0), {"host_lost"}, POLICY)
    assert isinstance(back, Resolve) and "back" in back.resolution


def test_events_proxy_and_lock_lost() -> None:
    bad = {"proxy": "http://u:***@bad:1"}
    failed = EventFacts(10, "proxy_failed", 7, "berlin", "box", "box", "refused", bad)
    [opened] = event_changes(failed, {})
    assert isinstance(opened, Open) and opened.source_log_id == 10
    assert opened.fields["proxy"] == "http://u:***@bad:1"
    ok = EventFacts(11, "proxy_ok", 7, "berlin", "box", "box", "fine", bad)
    assert event_changes(ok, {}) == []
    is_open = {("proxy_failed", "node:7"): opened.fields}
    assert kinds(event_changes(ok, is_open)) == [("Resolve", "proxy_failed")]
    other = EventFacts(
        11, "proxy_ok", 7, "berlin", "box", "box", "fine", {"proxy": "http://good:1"}
    )
    assert event_changes(other, is_open) == []  # another proxy passing says nothing of this one
    lost = EventFacts(12, "lock_lost", None, None, None, "box", "taken over")
    [replaced] = event_changes(lost, {})
    assert isinstance(replaced, Open) and replaced.resolved  # told once, stored closed


def test_urls_split_label_and_secrets() -> None:
    value = (
        "json://127.0.0.1:8080/hook, ntfy://ntfy.sh/my-topic-123 mailto://u:pw@x.com?to=a@b.c,d@e.f"
    )
    assert split_urls(value) == [
        "json://127.0.0.1:8080/hook",
        "ntfy://ntfy.sh/my-topic-123",
        "mailto://u:pw@x.com?to=a@b.c,d@e.f",
    ]
    assert url_label("json://127.0.0.1:8080/hook") == "json://127.0.0.1:8080/…"
    assert url_label("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ") == "slack://…"
    assert url_label("tgram://123456:ABCtoken/12345") == "tgram://…"
    assert "my-topic-123" in url_secrets("ntfy://ntfy.sh/my-topic-123")
    assert "TIiajkdnlazkcOXrIdevi7FQ" in url_secrets(
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    )
    assert "ABCtoken" in url_secrets("tgram://123456:ABCtoken/12345")


def _notice(event: str, title: str, level: str = "error") -> dict[str, object]:
    return {
        "event": event,
        "title": title,
        "body": "body",
        "level": level,
        "resolution": "fine again",
        "opened_at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    }


def test_compose_one_or_a_summary() -> None:
    assert compose([_notice("opened", "jobfleet: x")]) == ("jobfleet: x", "body", "failure")
    title, body, kind = compose([_notice("resolved", "jobfleet: x")])
    assert title == "jobfleet: resolved — x" and kind == "success" and "fine again" in body
    many = [_notice("opened", f"jobfleet: n{i}", "warning") for i in range(20)]
    title, body, kind = compose([*many, _notice("resolved", "jobfleet: y")], digest="daily")
    assert title == "jobfleet daily digest: 20 alerts, 1 resolved" and kind == "warning"
    assert "… and 6 more" in body and "jobfleet alerts" in body


@pytest.mark.parametrize(
    ("last", "now", "digest", "due"),
    [
        ("2026-01-01T07:00", "2026-01-01T08:30", "daily", True),
        ("2026-01-01T08:10", "2026-01-01T09:30", "daily", False),
        ("2026-01-01T09:00", "2026-01-02T07:59", "daily", False),
        ("2026-01-01T09:00", "2026-01-02T08:00", "daily", True),
        ("2026-01-01T09:10", "2026-01-01T09:50", "hourly", False),
        ("2026-01-01T09:10", "2026-01-01T10:01", "hourly", True),
    ],
)
def test_digest_due(last: str, now: str, digest: str, due: bool) -> None:
    def t(s: str) -> datetime:
        return datetime.fromisoformat(s).replace(tzinfo=UTC)

    assert digest_due(t(last), t(now), digest, 8) is due

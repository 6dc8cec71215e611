"""The demo's host: its name, and what the CLI tells people about the nodes pinned to it."""

from __future__ import annotations

from engine.fleet.hosts import Supervision, demo_host_name, is_demo_host


def _host(host_id: int, name: str, *, alive: bool = True) -> dict[str, object]:
    return {"id": host_id, "name": name, "alive": alive}


def test_demo_host_name_is_marked_once() -> None:
    assert demo_host_name("box") == "demo@box"
    assert demo_host_name("demo@box") == "demo@box"
    assert is_demo_host("demo@box") and not is_demo_host("box")


def test_a_demo_supervisor_supervises_only_its_own_nodes() -> None:
    only_demo = Supervision((_host(1, "demo@box"), _host(2, "box", alive=False)))
    demo_node = {"pinned": True, "host_id": 1, "host": "demo@box"}
    plain_node = {"pinned": False, "host_id": None, "host": None}
    assert only_demo.supervises(demo_node)
    assert not only_demo.supervises(plain_node)
    assert "only the demo's supervisor is running" in (only_demo.missing_sentence(plain_node) or "")

    only_plain = Supervision((_host(1, "demo@box", alive=False), _host(2, "box")))
    assert only_plain.supervises(plain_node)
    assert not only_plain.supervises(demo_node)
    assert "jobfleet demo" in (only_plain.missing_sentence(demo_node) or "")

"""`jobfleet start|stop|kill|restart|rm` on several nodes: names, --all and the --status,
--match and --host filters, with the real command in a subprocess (no supervisor runs)."""

from __future__ import annotations

import pytest

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.cli import jobfleet

NO_SUPERVISOR = "no supervisor is running on any host"


def _deploy(db: Database, name: str, term: str = "python", host: str | None = None) -> int:
    spec = parse_spec({"name": name, "search_term": term, "country": "DE", "locations": ["Berlin"]})
    return nodes.deploy(db, spec, start=False, host=host)


def _desired(db: Database) -> dict[str, str]:
    return {r.name: r.desired for r in nodes.list_nodes(db)}


def _make_fatal(db: Database, node_id: int) -> None:
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING)
        nodes.change_state(conn, node_id, NodeStatus.EXITED)
        nodes.change_state(conn, node_id, NodeStatus.FATAL, fast_crashes=5)


@pytest.fixture
def three(db: Database) -> dict[str, int]:
    return {name: _deploy(db, name) for name in ("alpha", "beta", "gamma")}


def test_several_names_act_on_each_and_warn_once(
    db: Database, jf_env: dict[str, str], three: dict[str, int]
) -> None:
    proc = jobfleet(jf_env, "start", "ALPHA", str(three["beta"]), "alpha")
    assert proc.returncode == 0, proc.stderr
    assert _desired(db) == {"alpha": "running", "beta": "running", "gamma": "stopped"}
    recorded = [line for line in proc.stderr.splitlines() if "request recorded" in line]
    assert recorded == [
        f"start: node alpha (id {three['alpha']}) — request recorded",
        f"start: node beta (id {three['beta']}) — request recorded",
    ]
    assert proc.stderr.count(NO_SUPERVISOR) == 1
    assert "?" not in proc.stdout  # named nodes: no question for start


def test_unknown_names_among_several_act_on_none(
    db: Database, jf_env: dict[str, str], three: dict[str, int]
) -> None:
    proc = jobfleet(jf_env, "start", "alpha", "nope", "beta", "99999999999999999999")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "'nope'" in lines[0] and "'99999999999999999999'" in lines[0]
    assert "'alpha'" not in lines[0] and "nothing was done" in lines[0]
    assert set(_desired(db).values()) == {"stopped"}


def test_no_node_and_no_filter_is_one_sentence(
    jf_env: dict[str, str], three: dict[str, int]
) -> None:
    for command in ("start", "stop", "kill", "restart", "rm"):
        proc = jobfleet(jf_env, command)
        assert proc.returncode != 0, command
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "--all" in lines[0], (command, proc.stderr)
    both = jobfleet(jf_env, "stop", "alpha", "--all")
    assert both.returncode != 0 and "not both" in both.stderr


def test_all_asks_naming_the_count(
    db: Database, jf_env: dict[str, str], three: dict[str, int]
) -> None:
    refused = jobfleet(jf_env, "start", "--all", input="n\n")
    assert refused.returncode != 0
    assert "start 3 nodes (alpha, beta, gamma)?" in refused.stdout
    assert "request recorded" not in refused.stderr
    assert set(_desired(db).values()) == {"stopped"}
    accepted = jobfleet(jf_env, "start", "--all", input="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert set(_desired(db).values()) == {"running"}
    assert accepted.stderr.count("request recorded") == 3
    assert accepted.stderr.count(NO_SUPERVISOR) == 1
    quiet = jobfleet(jf_env, "stop", "--all", "--yes", input="")
    assert quiet.returncode == 0, quiet.stderr
    assert "?" not in quiet.stdout
    assert set(_desired(db).values()) == {"stopped"}


def test_status_filter(db: Database, jf_env: dict[str, str], three: dict[str, int]) -> None:
    _make_fatal(db, three["beta"])
    proc = jobfleet(jf_env, "start", "--status", "FATAL")
    assert proc.returncode == 0, proc.stderr
    assert "?" not in proc.stdout  # one node found: nothing to confirm for a start
    assert _desired(db) == {"alpha": "stopped", "beta": "running", "gamma": "stopped"}
    assert nodes.get_node(db, three["beta"]).status == NodeStatus.STOPPED
    # Repeatable and comma lists; nothing fatal is left.
    again = jobfleet(jf_env, "start", "--status", "fatal,lost", "--status", "backoff")
    assert again.returncode == 0 and "no node matches" in again.stderr
    bad = jobfleet(jf_env, "stop", "--status", "fatal,sleeping")
    assert bad.returncode != 0
    assert len(bad.stderr.strip().splitlines()) == 1 and "'sleeping'" in bad.stderr
    assert "stopped, starting" in bad.stderr


def test_match_and_host_filters_combine(db: Database, jf_env: dict[str, str]) -> None:
    _deploy(db, "py-berlin", "python")
    _deploy(db, "rusty", "embedded RUST")
    _deploy(db, "py-far", "Python developer", host="far-host")
    _deploy(db, "go-far", "golang", host="far-host")
    by_term = jobfleet(jf_env, "start", "--match", "rust", "--yes")
    assert by_term.returncode == 0, by_term.stderr
    assert [n for n, d in _desired(db).items() if d == "running"] == ["rusty"]
    by_name = jobfleet(jf_env, "start", "--match", "PY-", "--yes")
    assert by_name.returncode == 0, by_name.stderr
    assert [n for n, d in _desired(db).items() if d == "running"] == [
        "py-berlin",
        "rusty",
        "py-far",
    ]
    # Two reasons nobody acts (no supervisor anywhere, none on far-host): each said once.
    assert by_name.stderr.count(NO_SUPERVISOR) == 1
    assert by_name.stderr.count("no supervisor is running for host far-host") == 1
    both = jobfleet(jf_env, "stop", "--host", "far-host", "--match", "python", "--yes")
    assert both.returncode == 0, both.stderr
    assert _desired(db) == {
        "py-berlin": "running",
        "rusty": "running",
        "py-far": "stopped",
        "go-far": "stopped",
    }
    assert both.stderr.count("request recorded") == 1
    host_only = jobfleet(jf_env, "start", "--host", "far-host", input="n\n")
    assert host_only.returncode != 0 and "start 2 nodes (py-far, go-far)?" in host_only.stdout
    assert _desired(db)["go-far"] == "stopped"
    # A named node must also pass the filters.
    named = jobfleet(jf_env, "start", "go-far", "--match", "python")
    assert named.returncode == 0 and "no node matches" in named.stderr
    assert _desired(db)["go-far"] == "stopped"


def test_kill_asks_once_for_several(
    db: Database, jf_env: dict[str, str], three: dict[str, int]
) -> None:
    refused = jobfleet(jf_env, "kill", "alpha", "gamma", input="n\n")
    assert refused.returncode != 0
    assert refused.stdout.count("?") == 1 and "kill 2 nodes (alpha, gamma)?" in refused.stdout
    assert not any(r.kill_requested for r in nodes.list_nodes(db))
    one = jobfleet(jf_env, "kill", "beta", input="n\n")
    assert f"kill node beta (id {three['beta']})?" in one.stdout
    accepted = jobfleet(jf_env, "kill", "alpha", "gamma", input="y\n")
    assert accepted.returncode == 0, accepted.stderr
    killed = {r.name for r in nodes.list_nodes(db) if r.kill_requested}
    assert killed == {"alpha", "gamma"}
    assert NO_SUPERVISOR not in accepted.stderr  # already stopped: nobody needs to act
    forced = jobfleet(jf_env, "kill", "beta", "--yes")
    assert forced.returncode == 0 and "?" not in forced.stdout


def test_rm_several(db: Database, jf_env: dict[str, str], three: dict[str, int]) -> None:
    refused = jobfleet(jf_env, "rm", "alpha", "beta", input="n\n")
    assert refused.returncode != 0
    assert "remove 2 nodes (alpha, beta) and their logs?" in refused.stdout
    assert len(nodes.list_nodes(db)) == 3
    with db.connection() as conn:  # a worker that no supervisor will ever kill
        nodes.change_state(conn, three["alpha"], NodeStatus.STARTING)
    removed = jobfleet(jf_env, "rm", "alpha", "beta", "--yes", timeout=180)
    assert removed.returncode == 0, removed.stderr
    assert [r.name for r in nodes.list_nodes(db)] == ["gamma"]
    assert removed.stderr.count("removed node") == 2
    last = jobfleet(jf_env, "rm", "--all", input="y\n")
    assert last.returncode == 0, last.stderr
    assert f"remove node gamma (id {three['gamma']}) and its logs?" in last.stdout
    assert nodes.list_nodes(db) == []

import pytest

from engine.errors import UserError
from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus, TransitionError


def make_spec(name="n1", **over):
    data = {"name": name, "search_term": "python", "country": "DE", "locations": ["Berlin"]}
    data.update(over)
    return parse_spec(data)


def test_deploy_list_get(db):
    node_id = nodes.deploy(db, make_spec())
    rows = nodes.list_nodes(db)
    assert [r.id for r in rows] == [node_id]
    row = rows[0]
    for key in (
        "id",
        "name",
        "status",
        "desired",
        "pid",
        "host",
        "heartbeat_age_s",
        "jobs_found",
        "jobs_new",
        "restarts",
        "last_error",
        "cycle",
        "locations_done",
        "locations_total",
        "current_location",
        "rss_bytes",
        "started_at",
        "spec",
    ):
        assert key in row.as_dict()
    assert row.status == "stopped" and row.desired == "running"
    assert row.locations_total == 1
    assert nodes.get_node(db, "n1").id == node_id
    assert nodes.get_node(db, str(node_id)).name == "n1"
    assert nodes.get_node(db, node_id).spec["country"] == "DE"
    events = [e["event"] for e in fetch_logs(db, node_id=node_id)]
    assert events == ["deployed"]


def test_deploy_no_start_and_duplicate_name(db):
    nodes.deploy(db, make_spec(), start=False)
    assert nodes.get_node(db, "n1").desired == "stopped"
    with pytest.raises(UserError, match="already exists"):
        nodes.deploy(db, make_spec())
    assert len(nodes.list_nodes(db)) == 1


def test_names_are_unique_ignoring_case(db):
    node_id = nodes.deploy(db, make_spec("py-us"), start=False)
    with pytest.raises(UserError) as caught:
        nodes.deploy(db, make_spec("PY-US"), start=False)
    # The same sentence as an exact duplicate, naming the name that was asked for.
    assert str(caught.value) == (
        "a node named 'PY-US' already exists; choose another name or remove it first (jobfleet rm)"
    )
    assert [r.name for r in nodes.list_nodes(db)] == ["py-us"]
    # Lookup by name ignores case too (the index makes it unambiguous).
    assert nodes.get_node(db, "PY-US").id == node_id
    assert nodes.get_node(db, "Py-Us").id == node_id


def test_case_duplicates_of_an_old_database_are_renamed_by_the_migration(
    empty_db_url, tmp_path, monkeypatch
):
    import json

    import engine.db.migrations as migrations_module
    from engine.db.handle import Database
    from engine.settings import Settings

    every = migrations_module.migrations()
    before = [m for m in every if m.version < 8]
    with Database(Settings(database_url=empty_db_url, home=tmp_path)) as old:
        monkeypatch.setattr(migrations_module, "migrations", lambda: before)
        old.migrate()
        with old.connection() as conn:
            for name in ("py-us", "PY-US", "Py-Us", "py-us-3", "other"):
                spec = make_spec(name).stored_dict()
                conn.execute(
                    "INSERT INTO nodes (name, spec) VALUES (%s, %s)", (name, json.dumps(spec))
                )
        monkeypatch.setattr(migrations_module, "migrations", lambda: every)
        assert 8 in old.migrate()
        rows = nodes.list_nodes(old)
        names = [r.name for r in rows]
        # The oldest keeps its name; "py-us-3" was taken, so node 3 got a further suffix.
        assert names == ["py-us", "PY-US-2", "Py-Us-3-1", "py-us-3", "other"]
        assert [r.spec["name"] for r in rows] == names
        renamed = [e for e in fetch_logs(old, node_id=rows[1].id) if e["event"] == "renamed"]
        assert renamed and "PY-US renamed to PY-US-2" in renamed[0]["message"]
        with pytest.raises(UserError, match="already exists"):
            nodes.deploy(old, make_spec("OTHER"))


def test_unknown_node(db):
    with pytest.raises(UserError, match="no node"):
        nodes.get_node(db, "ghost")
    with pytest.raises(UserError):
        nodes.request_stop(db, 999)


def test_change_state_checks_transitions_and_logs(db):
    node_id = nodes.deploy(db, make_spec())
    with db.connection() as conn:
        old = nodes.change_state(conn, node_id, NodeStatus.STARTING, reason="spawn", pid=4242)
    assert old == NodeStatus.STOPPED
    row = nodes.get_node(db, node_id)
    assert row.status == "starting" and row.pid == 4242
    with pytest.raises(TransitionError), db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.BACKOFF)
    assert nodes.get_node(db, node_id).status == "starting"
    with pytest.raises(ValueError), db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.RUNNING, spec="{}")
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.RUNNING, heartbeat_at=nodes.NOW)
    status_events = [e for e in fetch_logs(db, node_id=node_id) if e["event"] == "status"]
    assert [e["fields"]["new"] for e in status_events] == ["starting", "running"]


def test_requests(db):
    node_id = nodes.deploy(db, make_spec())
    nodes.request_stop(db, node_id)
    row = nodes.get_node(db, node_id)
    assert row.desired == "stopped" and row.stop_requested
    nodes.request_start(db, node_id)
    row = nodes.get_node(db, node_id)
    assert row.desired == "running" and not row.stop_requested
    nodes.request_kill(db, node_id)
    row = nodes.get_node(db, node_id)
    assert row.kill_requested and row.desired == "stopped"


def test_start_after_fatal_leaves_fatal(db):
    node_id = nodes.deploy(db, make_spec())
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING)
        nodes.change_state(conn, node_id, NodeStatus.EXITED)
        nodes.change_state(conn, node_id, NodeStatus.FATAL, fast_crashes=5)
    nodes.request_start(db, node_id)
    row = nodes.get_node(db, node_id)
    assert row.status == "stopped" and row.fast_crashes == 0


def test_delete_refused_while_running(db):
    node_id = nodes.deploy(db, make_spec())
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING)
    with pytest.raises(UserError, match="stop or kill"):
        nodes.delete_node(db, node_id)
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STOPPED)
    nodes.delete_node(db, node_id)
    assert nodes.list_nodes(db) == []


def test_notify_on_request(db):
    node_id = nodes.deploy(db, make_spec())
    with db.connect() as listen:
        listen.execute("LISTEN jobfleet_nodes")
        listen.execute(f"LISTEN jobfleet_node_{node_id}")
        nodes.request_stop(db, node_id)
        got = {n.channel: n.payload for n in listen.notifies(timeout=5, stop_after=2)}
    assert got["jobfleet_nodes"].startswith(f"{node_id}:stopped")
    assert got[f"jobfleet_node_{node_id}"] == "stop"


def test_jobs_per_hour(db):
    a = nodes.deploy(db, make_spec("a"))
    b = nodes.deploy(db, make_spec("b"))
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO scrape_runs (node_id, site, started_at, found, new, outcome) VALUES "
            "(%s, 'indeed', now() - interval '10 minutes', 5, 3, 'ok'),"
            "(%s, 'indeed', now() - interval '2 hours 10 minutes', 5, 2, 'ok'),"
            "(%s, 'indeed', now() - interval '30 hours', 9, 9, 'ok')",
            (a, a, a),
        )
    series = nodes.jobs_per_hour(db, [a, b], hours=24)
    assert len(series[a]) == 24 and series[a][-1] == 3 and series[a][-3] == 2
    assert sum(series[a]) == 5 and sum(series[b]) == 0

import threading

from engine.fleet import nodes
from engine.fleet.events import (
    EventWriter,
    LogFollower,
    add_secrets,
    fetch_logs,
    levels_at_least,
    prune_logs,
)
from engine.fleet.spec import parse_spec


def _node(db, name="n"):
    return nodes.deploy(
        db, parse_spec({"name": name, "search_term": "x", "country": "DE", "locations": ["B"]})
    )


def test_writer_batches_and_masks(db):
    node_id = _node(db)
    add_secrets("s3cretvalue")
    writer = EventWriter(db, max_batch=1000, flush_interval=60)
    try:
        for i in range(250):
            writer.info("tick", f"n={i}", node_id=node_id, i=i)
        writer.error(
            "proxy_failed",
            "proxy http://bob:s3cretvalue@127.0.0.1:9 refused; pw s3cretvalue\x00",
            node_id=node_id,
            url="http://bob:s3cretvalue@h:1",
            ratio=float("nan"),
        )
        assert writer.pending == 251
        assert writer.flush()
    finally:
        writer.close()
    rows = fetch_logs(db, node_id=node_id, limit=1000)
    assert len(rows) == 252  # plus the "deployed" event
    last = rows[-1]
    assert "s3cretvalue" not in last["message"] and "s3cretvalue" not in str(last["fields"])
    assert last["fields"]["ratio"] is None
    assert "\x00" not in last["message"]
    errors = fetch_logs(db, node_id=node_id, levels=levels_at_least("warning"))
    assert [r["event"] for r in errors] == ["proxy_failed"]
    assert fetch_logs(db, node_id=node_id, text="n=7", limit=100)[0]["message"] == "n=7"


def test_writer_flushes_on_time(db):
    node_id = _node(db)
    writer = EventWriter(db, max_batch=1000, flush_interval=0.05)
    try:
        writer.info("hello", node_id=node_id)
        follower = LogFollower(db, node_id=node_id, after_id=0, poll_interval=0.2)
        got = []
        for _ in range(100):
            got += [r for r in follower.poll(0.2) if r["event"] == "hello"]
            if got:
                break
        follower.close()
    finally:
        writer.close()
    assert got and got[0]["node_name"] == "n"


def test_writer_keeps_events_while_db_away(db, settings):
    from engine.db.handle import Database

    node_id = _node(db)
    from engine.settings import Settings

    broken = Database(Settings(database_url="postgresql://x@127.0.0.1:1/x", home=settings.home))
    writer = EventWriter(broken, flush_interval=60)
    writer.db = broken
    writer.info("kept", node_id=node_id)
    assert not writer.flush()
    assert writer.pending == 1
    writer.db = db
    assert writer.flush()
    writer.close()
    assert [r["event"] for r in fetch_logs(db, node_id=node_id)][-1] == "kept"


def test_tail_and_after(db):
    node_id = _node(db)
    writer = EventWriter(db, flush_interval=60)
    for i in range(20):
        writer.info("e", str(i), node_id=node_id)
    writer.close()
    tail = fetch_logs(db, node_id=node_id, limit=5)
    assert [r["message"] for r in tail] == ["15", "16", "17", "18", "19"]
    after = fetch_logs(db, node_id=node_id, after_id=tail[0]["id"], limit=2)
    assert [r["message"] for r in after] == ["16", "17"]


def test_follower_sees_events_from_another_thread(db):
    node_id = _node(db)
    follower = LogFollower(db, node_id=node_id, poll_interval=5)
    writer = EventWriter(db, flush_interval=0.05)
    timer = threading.Timer(0.2, lambda: writer.warning("late", "x", node_id=node_id))
    timer.start()
    try:
        rows = []
        for _ in range(20):
            rows += follower.poll()
            if rows:
                break
    finally:
        timer.join()
        writer.close()
        follower.close()
    assert [r["event"] for r in rows] == ["late"]


def test_follower_survives_terminated_listen_connection(db):
    node_id = _node(db)
    follower = LogFollower(db, node_id=node_id, poll_interval=0.3)
    follower.poll(0.1)
    pid = follower._listener.backend_pid()
    assert pid
    with db.connection() as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    writer = EventWriter(db, flush_interval=0.05)
    writer.info("after-kill", node_id=node_id)
    writer.close()
    rows = []
    for _ in range(30):
        rows += follower.poll()
        if rows:
            break
    follower.close()
    assert [r["event"] for r in rows] == ["after-kill"]


def test_retention(db):
    a, b = _node(db, "a"), _node(db, "b")
    writer = EventWriter(db, flush_interval=60, max_batch=500)
    for i in range(30):
        writer.info("e", str(i), node_id=a)
        writer.info("e", str(i), node_id=b)
        writer.info("sup", str(i))
    writer.close()
    with db.connection() as conn:
        conn.execute("UPDATE node_logs SET ts = now() - interval '30 days' WHERE message = '0'")
    prune_logs(db, keep_rows=10, keep_days=7)
    rows_a = fetch_logs(db, node_id=a, limit=100)
    assert len(rows_a) == 10 and rows_a[-1]["message"] == "29"
    assert len(fetch_logs(db, node_id=b, limit=100)) == 10
    assert len(fetch_logs(db, supervisor_only=True, limit=100)) == 10

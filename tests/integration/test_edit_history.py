"""`jobfleet edit` and `jobfleet history`: the spec changed in place, validated like deploy, its
versions and events — with the real command in a subprocess on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.db.handle import Database
from engine.errors import UserError
from engine.fleet import nodes
from engine.fleet.events import fetch_logs
from engine.fleet.history import spec_history
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.cli import jobfleet

SECRET_ENV = "PROXY_EDIT_TEST_PASS"
SECRET = "edit-Secret-Value-7731"


def _deploy(db: Database, name: str = "py-us", **over: object) -> int:
    data = {"name": name, "search_term": "python", "country": "US", "locations": ["Austin"]}
    data.update(over)
    return nodes.deploy(db, parse_spec(data), start=False)


def _rows(db: Database, sql: str) -> list[dict[str, object]]:
    with db.connection() as conn:
        return list(conn.execute(sql).fetchall())


def test_edit_changes_fields_prints_diff_and_keeps_history(
    db: Database, jf_env: dict[str, str]
) -> None:
    node_id = _deploy(db)
    proc = jobfleet(jf_env, "edit", "PY-US", "--search", "golang", "--results", "50")
    assert proc.returncode == 0, proc.stderr
    assert f"edited node py-us (id {node_id})" in proc.stdout
    assert "search_term 'python' -> 'golang'" in proc.stdout
    assert "results_wanted 20 -> 50" in proc.stdout
    spec = nodes.get_node(db, node_id).spec
    assert spec["search_term"] == "golang" and spec["results_wanted"] == 50
    assert spec["locations"] == ["Austin"]  # fields not given stay

    versions = spec_history(db, node_id)
    assert [v.action for v in versions] == ["edit", "deploy"]
    edit, first = versions
    assert first.old_spec is None and first.new_spec["search_term"] == "python"
    assert edit.old_spec is not None and edit.old_spec["search_term"] == "python"
    assert [c["field"] for c in edit.changes] == ["search_term", "results_wanted"]
    assert "@" in edit.changed_by

    events = [e for e in fetch_logs(db, node_id=node_id) if e["event"] == "spec_changed"]
    assert len(events) == 1
    assert events[0]["message"] == (
        f"spec changed: search_term 'python' -> 'golang'; results_wanted 20 -> 50 "
        f"(by {edit.changed_by})"
    )
    # Not running: nothing to restart, and edit does not start it.
    row = nodes.get_node(db, node_id)
    assert row.desired == "stopped" and not row.stop_requested

    shown = jobfleet(jf_env, "history", "py-us")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert "edit: search_term 'python' -> 'golang'" in lines[0]
    assert "deploy: first version" in lines[1]
    as_json = json.loads(jobfleet(jf_env, "history", "py-us", "--json", check=True).stdout)
    assert [v["action"] for v in as_json] == ["edit", "deploy"]
    assert as_json[0]["new_spec"]["search_term"] == "golang"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--delay", "90-10"], "delay_max: must not be smaller than delay_min"),
        (["--country", "Atlantis"], "country: is not a country"),
        (["--sites", "myspace"], "unknown site 'myspace'"),
        (["--proxy", "http://u:plainpass@proxy.example:8080"], "literal password"),
        (["--ca-cert", "/nonexistent/ca.pem"], "no such file"),
        (["--name", "42"], "must not be a number"),
    ],
)
def test_edit_validates_like_deploy_and_changes_nothing(
    db: Database, jf_env: dict[str, str], args: list[str], said: str
) -> None:
    node_id = _deploy(db)
    before = nodes.get_node(db, node_id).spec
    deploy = jobfleet(
        jf_env, "deploy", "--name", "other", "--search", "x", "--country", "US", *args
    )
    edit = jobfleet(jf_env, "edit", "py-us", *args)
    assert deploy.returncode == edit.returncode == 1, (deploy.stderr, edit.stderr)
    assert said in deploy.stderr and said in edit.stderr, edit.stderr
    assert "node py-us (id" in edit.stderr and "was not changed" in edit.stderr
    assert len(edit.stderr.strip().splitlines()) == 1
    assert "plainpass" not in edit.stderr
    assert nodes.get_node(db, node_id).spec == before
    assert [v.action for v in spec_history(db, node_id)] == ["deploy"]
    assert [r["name"] for r in _rows(db, "SELECT name FROM nodes")] == ["py-us"]


def test_edit_from_file_rename_unknown_and_unchanged(
    db: Database, jf_env: dict[str, str], tmp_path: Path
) -> None:
    node_id = _deploy(db)
    _deploy(db, "taken")
    spec_file = tmp_path / "change.yaml"
    spec_file.write_text("search_term: rust\nlocations: [Boston, Denver]\n", encoding="utf-8")
    proc = jobfleet(jf_env, "edit", "py-us", "--file", str(spec_file), "--results", "7")
    assert proc.returncode == 0, proc.stderr
    spec = nodes.get_node(db, node_id).spec
    assert (spec["search_term"], spec["locations"], spec["results_wanted"]) == (
        "rust",
        ["Boston", "Denver"],
        7,
    )
    same = jobfleet(jf_env, "edit", "py-us", "--results", "7")
    assert same.returncode == 0 and "no change" in same.stderr
    assert len(spec_history(db, node_id)) == 2

    clash = jobfleet(jf_env, "edit", "py-us", "--name", "TAKEN")
    assert clash.returncode == 1 and "already exists" in clash.stderr
    renamed = jobfleet(jf_env, "edit", "py-us", "--name", "py-usa")
    assert renamed.returncode == 0, renamed.stderr
    assert nodes.get_node(db, node_id).name == "py-usa"
    assert nodes.get_node(db, "py-usa").spec["name"] == "py-usa"

    nothing = jobfleet(jf_env, "edit", "py-usa")
    assert nothing.returncode == 1 and "at least one field" in nothing.stderr
    unknown = jobfleet(jf_env, "edit", "nope", "--results", "3")
    assert unknown.returncode == 1 and "no node 'nope'" in unknown.stderr

    dry = jobfleet(jf_env, "edit", "py-usa", "--results", "9", "--dry-run")
    assert dry.returncode == 0 and "results_wanted 7 -> 9" in dry.stdout
    assert nodes.get_node(db, node_id).spec["results_wanted"] == 7

    scheduled = jobfleet(jf_env, "edit", "py-usa", "--active", "08:00-18:00", "--timezone", "UTC")
    assert scheduled.returncode == 0, scheduled.stderr
    assert "active none -> '08:00-18:00'" in scheduled.stdout
    bad_window = jobfleet(jf_env, "edit", "py-usa", "--active", "25:00-26:00")
    assert bad_window.returncode == 1 and "was not changed" in bad_window.stderr
    assert nodes.get_node(db, node_id).spec["active"] == "08:00-18:00"
    moved = jobfleet(jf_env, "edit", "py-usa", "--country", "France")
    assert moved.returncode == 0, moved.stderr
    assert "country 'US' -> 'FR'" in moved.stdout and "locations stay" in moved.stderr


def test_edit_of_a_running_node_requests_the_restart(db: Database) -> None:
    """The engine side of "edit restarts the running worker" (the e2e test runs a real one)."""
    node_id = _deploy(db)
    nodes.request_start(db, node_id)
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING)
        nodes.change_state(conn, node_id, NodeStatus.RUNNING)
    spec = parse_spec({**nodes.get_node(db, node_id).spec, "results_wanted": 33})
    result = nodes.update_spec(db, node_id, spec)
    assert result.restart_requested and [c.field for c in result.changes] == ["results_wanted"]
    row = nodes.get_node(db, node_id)
    assert row.stop_requested and row.desired == "running"  # request_restart's marks
    quiet = nodes.update_spec(
        db, node_id, parse_spec({**spec.stored_dict(), "hours_old": 5}), restart=False
    )
    assert not quiet.restart_requested


def test_unchanged_spec_writes_nothing_and_unknown_node(db: Database) -> None:
    node_id = _deploy(db)
    spec = parse_spec(nodes.get_node(db, node_id).spec)
    assert nodes.update_spec(db, node_id, spec).changes == []
    assert len(spec_history(db, node_id)) == 1
    assert not [e for e in fetch_logs(db, node_id=node_id) if e["event"] == "spec_changed"]
    with pytest.raises(UserError, match="no node"):
        nodes.update_spec(db, 999_999, spec)


def test_history_and_events_hold_only_secret_references(
    db: Database, jf_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    env = {**jf_env, SECRET_ENV: SECRET}
    proxy = f"http://jf:${{{SECRET_ENV}}}@proxy.example:8080"
    created = jobfleet(
        env,
        "deploy",
        "--name",
        "sec",
        "--search",
        "x",
        "--country",
        "US",
        "--location",
        "Austin",
        "--proxy",
        proxy,
        "--no-start",
    )
    assert created.returncode == 0, created.stderr
    edited = jobfleet(env, "edit", "sec", "--proxy", proxy.replace("8080", "8081"))
    assert edited.returncode == 0, edited.stderr
    assert SECRET not in edited.stdout + edited.stderr
    assert f"${{{SECRET_ENV}}}" in edited.stdout
    dumped = json.dumps(
        [
            _rows(db, "SELECT * FROM node_spec_history"),
            _rows(db, "SELECT message, fields FROM node_logs"),
            _rows(db, "SELECT spec FROM nodes"),
        ],
        default=str,
    )
    assert SECRET not in dumped
    assert f"${{{SECRET_ENV}}}" in dumped
    history = jobfleet(env, "history", "sec", "--json")
    assert SECRET not in history.stdout and f"${{{SECRET_ENV}}}" in history.stdout

"""Fleet files: `jobfleet nodes export` and `jobfleet apply -f` (plan, --dry-run, --prune, bad
files), with the real command in a subprocess on real databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from engine.db.handle import Database
from engine.errors import UserError
from engine.fleet import nodes
from engine.fleet.fleetfile import FleetEntry, PlanItem, apply_plan, plan_fleet
from engine.fleet.history import spec_history
from engine.fleet.spec import parse_spec
from engine.fleet.states import Desired, NodeStatus
from engine.settings import Settings
from tests.cli import jobfleet
from tests.conftest import create_database, drop_database

PROXY_ENV = "PROXY_FLEET_TEST_PASS"


def _spec(name: str, **over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": name,
        "search_term": "python",
        "country": "DE",
        "locations": ["Berlin"],
    }
    data.update(over)
    return data


def _fleet(db: Database) -> dict[str, tuple[dict[str, object], str, str | None]]:
    """name -> (spec, desired, pinned host): what a fleet file round-trips."""
    return {r.name: (r.spec, r.desired, r.host if r.pinned else None) for r in nodes.list_nodes(db)}


@pytest.fixture
def other_db(pg_admin_url: str, template_db: str, tmp_path: Path) -> Iterator[Database]:
    """A second, fresh migrated database (the fleet is applied into it)."""
    name = f"jf_t_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_admin_url, name, template=template_db)
    try:
        with Database(Settings(database_url=url, home=tmp_path / "other")) as database:
            yield database
    finally:
        drop_database(pg_admin_url, name)


@pytest.fixture
def fleet(db: Database) -> dict[str, int]:
    proxy = f"http://jf:${{{PROXY_ENV}}}@proxy.example:8080"
    return {
        "py-de": nodes.deploy(db, parse_spec(_spec("py-de", proxies=[proxy])), start=False),
        "go-fr": nodes.deploy(
            db,
            parse_spec(_spec("go-fr", search_term="golang", country="FR", locations=["Paris"])),
            host="vm-a",
        ),
        "rust-us": nodes.deploy(
            db,
            parse_spec(
                _spec(
                    "rust-us",
                    country="US",
                    locations=["Austin", "Boston"],
                    max_cycles=None,
                    active="08:00-20:00",
                    timezone="America/Chicago",
                )
            ),
        ),
    }


def test_export_then_apply_into_a_fresh_database_round_trips(
    db: Database, other_db: Database, jf_env: dict[str, str], fleet: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "fleet.yaml"
    exported = jobfleet(jf_env, "nodes", "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "wrote 3 node(s)" in exported.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# jobfleet fleet file")
    entries = yaml.safe_load(text)
    assert [e["name"] for e in entries] == ["py-de", "go-fr", "rust-us"]
    assert entries[0]["proxies"] == [f"http://jf:${{{PROXY_ENV}}}@proxy.example:8080"]
    assert entries[0]["desired"] == "stopped" and "host" not in entries[0]
    assert entries[1]["host"] == "vm-a"
    # Standard output too, the same entries.
    assert yaml.safe_load(jobfleet(jf_env, "nodes", "export", check=True).stdout) == entries

    other_env = {**jf_env, "JOBFLEET_DATABASE_URL": other_db.url}
    planned = jobfleet(other_env, "apply", "-f", str(out))
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.splitlines() == ["+ create py-de", "+ create go-fr", "+ create rust-us"]
    assert _fleet(other_db) == _fleet(db)
    # Applied again: nothing to do; exported again: the same file (but its time stamp).
    again = jobfleet(other_env, "apply", "-f", str(out))
    assert again.returncode == 0 and "already matches" in again.stderr
    assert all(line.startswith("= unchanged") for line in again.stdout.splitlines())
    second = jobfleet(other_env, "nodes", "export", check=True).stdout
    assert yaml.safe_load(second) == entries
    created = spec_history(other_db, nodes.get_node(other_db, "go-fr").id)
    assert [v.action for v in created] == ["deploy"]


def test_apply_updates_with_diffs_restarts_running_and_dry_run_changes_nothing(
    db: Database, jf_env: dict[str, str], fleet: dict[str, int], tmp_path: Path
) -> None:
    running = fleet["go-fr"]
    with db.connection() as conn:
        nodes.change_state(conn, running, NodeStatus.STARTING)
        nodes.change_state(conn, running, NodeStatus.RUNNING)
    out = tmp_path / "fleet.yaml"
    jobfleet(jf_env, "nodes", "export", "--out", str(out), check=True)
    entries = yaml.safe_load(out.read_text(encoding="utf-8"))
    entries[1]["results_wanted"] = 40  # go-fr: running, so restarted
    entries[0]["desired"] = "running"  # py-de: started
    entries[2]["host"] = "vm-b"  # rust-us: pinned
    entries.append(_spec("new-one", desired="stopped"))
    out.write_text(yaml.safe_dump(entries), encoding="utf-8")
    before = _fleet(db)

    dry = jobfleet(jf_env, "apply", "-f", str(out), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        f"~ update py-de (id {fleet['py-de']})",
        "    desired 'stopped' -> 'running'",
        f"~ update go-fr (id {running})",
        "    results_wanted 20 -> 40",
        f"~ update rust-us (id {fleet['rust-us']})",
        "    host 'any' -> 'vm-b'",
        "+ create new-one",
    ]
    assert "1 to create, 3 to update, 0 to delete, 0 unchanged" in dry.stderr
    assert "nothing was changed" in dry.stderr
    assert _fleet(db) == before

    applied = jobfleet(jf_env, "apply", "-f", str(out))
    assert applied.returncode == 0, applied.stderr
    assert "1 running node(s) restart" in applied.stderr
    after = {r.name: r for r in nodes.list_nodes(db)}
    assert after["go-fr"].spec["results_wanted"] == 40 and after["go-fr"].stop_requested
    assert after["py-de"].desired == "running"
    assert after["rust-us"].host == "vm-b" and after["rust-us"].pinned
    assert after["new-one"].desired == "stopped"
    versions = spec_history(db, running)
    assert versions[0].action == "apply" and versions[0].changes[0]["field"] == "results_wanted"
    # Unpinned by a file without host.
    del entries[2]["host"]
    out.write_text(yaml.safe_dump(entries), encoding="utf-8")
    jobfleet(jf_env, "apply", "-f", str(out), check=True)
    assert not nodes.get_node(db, "rust-us").pinned


def test_prune_asks_then_deletes_the_rest(
    db: Database, jf_env: dict[str, str], fleet: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "one.yaml"
    out.write_text(yaml.safe_dump([_spec("py-de", desired="stopped")]), encoding="utf-8")
    without = jobfleet(jf_env, "apply", "-f", str(out))
    assert without.returncode == 0 and "delete" not in without.stdout  # no --prune: kept
    assert len(nodes.list_nodes(db)) == 3

    refused = jobfleet(jf_env, "apply", "-f", str(out), "--prune", input="n\n")
    assert refused.returncode == 1
    assert "delete 2 node(s)" in refused.stdout  # the question
    assert "nothing was changed" in refused.stderr
    assert len(nodes.list_nodes(db)) == 3

    pruned = jobfleet(jf_env, "apply", "-f", str(out), "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stderr
    assert f"- delete go-fr (id {fleet['go-fr']})" in pruned.stdout
    assert [r.name for r in nodes.list_nodes(db)] == ["py-de"]


HOSTILE = [
    ("not-a-list.yaml", "name: x\nsearch_term: y\n", ["must hold a list of nodes"]),
    ("scalar-entry.yaml", "- just a string\n", ["entry 1", "must be a mapping"]),
    (
        "unknown-field.yaml",
        "- {name: a, search_term: x, country: DE, locations: [Berlin], colour: red}\n",
        ["entry 1 ('a')", "colour: is not a spec field"],
    ),
    (
        "bad-values.yaml",
        "- {name: ok, search_term: x, country: DE, locations: [Berlin]}\n"
        "- {name: b, search_term: x, country: DE, locations: [Berlin], results_wanted: 0}\n"
        "- {name: c, country: DE, locations: [Berlin], desired: maybe}\n"
        "- {name: d, search_term: x, country: DE, locations: [Berlin],"
        " proxies: ['http://u:hunter2@p.example:1']}\n",
        [
            "these 3 problems",
            "entry 2 ('b'): results_wanted",
            "entry 3 ('c'): search_term: is required; desired: must be running or stopped",
            "entry 4 ('d'): proxies",
        ],
    ),
    (
        "duplicate.yaml",
        "- {name: Dup, search_term: x, country: DE, locations: [Berlin]}\n"
        "- {name: dup, search_term: y, country: DE, locations: [Berlin]}\n",
        ["entry 2 ('dup'): name", "also the name of entry 1"],
    ),
    (
        "python-tag.yaml",
        "- !!python/object/apply:os.system ['touch /tmp/jf-pwned']\n",
        ["is not valid YAML"],
    ),
    ("broken.yaml", "- name: [unclosed\n", ["is not valid YAML", "line"]),
    ("controls.yaml", '- {name: "a\\u0007b", search_term: x, country: DE}\n', ["entry 1", "name"]),
    ("binary.yaml", b"\xff\xfe\x00garbage", ["not UTF-8"]),
    ("bad.json", "[{]", ["is not valid JSON"]),
]


@pytest.mark.parametrize(("filename", "content", "said"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_bad_files_name_the_entry_and_field_and_change_nothing(
    db: Database,
    jf_env: dict[str, str],
    fleet: dict[str, int],
    tmp_path: Path,
    filename: str,
    content: str | bytes,
    said: list[str],
) -> None:
    path = tmp_path / filename
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = _fleet(db)
    proc = jobfleet(jf_env, "apply", "-f", str(path), "--prune", "--yes")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    for words in said:
        assert words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "hunter2" not in proc.stderr + proc.stdout
    assert proc.stdout == ""  # refused before any plan
    assert _fleet(db) == before
    assert not Path("/tmp/jf-pwned").exists()


def test_apply_is_one_transaction(db: Database, fleet: dict[str, int]) -> None:
    """A failure part-way (here: a node deleted meanwhile) leaves everything as it was."""
    entry = FleetEntry(parse_spec(_spec("late")), Desired.STOPPED)
    changed = FleetEntry(parse_spec(_spec("py-de", results_wanted=99)), Desired.STOPPED)
    plan = plan_fleet(db, [changed, entry], prune=False)
    assert [i.action for i in plan] == ["update", "create"]
    plan.append(PlanItem("delete", "ghost", 999_999))
    before = _fleet(db)
    with pytest.raises(UserError, match="no node"):
        apply_plan(db, plan)
    assert _fleet(db) == before
    assert [v.action for v in spec_history(db, fleet["py-de"])] == ["deploy"]

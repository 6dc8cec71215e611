"""The rough edges a new user hits in the CLI (issue 14): what deploy says, ids a failed deploy
must not use up, the nodes table, logs --since/--grep/--all, colours and tables on a terminal
versus a pipe, -h and --debug on every command. The real command runs in a subprocess; a
pseudo-terminal stands in for a person's terminal."""

from __future__ import annotations

import json
import re
from typing import Any

import click
import psycopg

from engine.db.handle import Database
from engine.fleet import nodes
from engine.fleet.events import log_event_now
from engine.fleet.spec import parse_spec
from engine.fleet.states import NodeStatus
from tests.cli import jobfleet, jobfleet_tty

SPEC = ("--search", "python", "--country", "DE", "--location", "Berlin")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _deploy(db: Database, name: str) -> int:
    spec = parse_spec(
        {"name": name, "search_term": "python", "country": "DE", "locations": ["Berlin"]}
    )
    return nodes.deploy(db, spec, start=False)


def test_deploy_says_what_happened_and_json_stays_machine_readable(jf_env: dict[str, str]) -> None:
    done = jobfleet(jf_env, "deploy", "--name", "py-de", *SPEC)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        r"deployed py-de \(id \d+\); it starts when a supervisor runs\n", done.stdout
    )
    assert "no supervisor is running" in done.stderr
    stopped = jobfleet(jf_env, "deploy", "--name", "later", "--no-start", *SPEC, "--json")
    assert stopped.returncode == 0, stopped.stderr
    value = json.loads(stopped.stdout)
    assert value["name"] == "later" and value["desired"] == "stopped"
    assert isinstance(value["id"], int) and value["warnings"] == []
    plain = jobfleet(jf_env, "deploy", "--name", "third", "--no-start", *SPEC)
    assert "not started; start it with 'jobfleet start third'" in plain.stdout


def test_a_failed_deploy_uses_up_no_node_id(jf_env: dict[str, str]) -> None:
    first = json.loads(
        jobfleet(jf_env, "deploy", "--name", "a", "--no-start", *SPEC, "--json").stdout
    )
    for _ in range(3):
        again = jobfleet(
            jf_env, "deploy", "--name", "A", "--no-start", *SPEC
        )  # same, ignoring case
        assert again.returncode == 1 and "already exists" in again.stderr
    bad = jobfleet(jf_env, "deploy", "--name", "b", "--search", "x", "--country", "Atlantis")
    assert bad.returncode == 1
    second = json.loads(
        jobfleet(jf_env, "deploy", "--name", "b", "--no-start", *SPEC, "--json").stdout
    )
    assert second["id"] == first["id"] + 1


def test_deploy_warns_about_unset_variables_and_unknown_places(jf_env: dict[str, str]) -> None:
    env = {k: v for k, v in jf_env.items() if k != "PROXY_NOT_SET_HERE"}
    done = jobfleet(
        env, "deploy", "--name", "w", "--search", "python", "--country", "GB",
        "--location", "London", "--location", "Londno Qwrtz",
        "--proxy", "http://user:${PROXY_NOT_SET_HERE}@proxy.invalid:8080", "--no-start", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    warnings = json.loads(done.stdout)["warnings"]
    assert len(warnings) == 2, warnings
    assert "${PROXY_NOT_SET_HERE}" in warnings[0] and "not set here" in warnings[0]
    assert "'Londno Qwrtz' is not a place jobfleet knows" in warnings[1]
    assert "London'" not in " ".join(warnings)  # a known city is no doubt
    assert "warning: the proxy refers to ${PROXY_NOT_SET_HERE}" in done.stderr
    set_here = jobfleet(
        {**env, "PROXY_NOT_SET_HERE": "s3cret"}, "deploy", "--name", "w2", "--search", "x",
        "--country", "GB", "--location", "London",
        "--proxy", "http://user:${PROXY_NOT_SET_HERE}@proxy.invalid:8080", "--no-start", "--json",
    )  # fmt: skip
    assert json.loads(set_here.stdout)["warnings"] == []
    assert "s3cret" not in set_here.stdout + set_here.stderr


def test_nodes_columns_and_no_stale_process_figures(db: Database, jf_env: dict[str, str]) -> None:
    alive = _deploy(db, "alive")
    dead = _deploy(db, "dead")
    with db.connection() as conn:
        nodes.change_state(conn, alive, NodeStatus.STARTING, pid=4242)
        nodes.change_state(conn, alive, NodeStatus.RUNNING, heartbeat_at=nodes.NOW)
        nodes.change_state(conn, dead, NodeStatus.STARTING, pid=5151)
        nodes.change_state(
            conn, dead, NodeStatus.EXITED, last_error="boom: the worker died\nline 2"
        )
        conn.execute("UPDATE nodes SET rss_bytes = 50 << 20, heartbeat_at = now() WHERE true")
    piped = jobfleet(jf_env, "nodes")
    assert piped.returncode == 0, piped.stderr
    header, *rows = piped.stdout.splitlines()
    columns = header.split("\t")
    assert {"host", "desired", "last error", "pid", "beat", "rss"} <= set(columns)
    table = {r.split("\t")[1]: dict(zip(columns, r.split("\t"), strict=True)) for r in rows[:2]}
    assert table["alive"]["pid"] == "4242" and table["alive"]["rss"] == "50M"
    assert table["alive"]["beat"].endswith("s")
    assert table["dead"]["status"] == "exited" and table["dead"]["desired"] == "stopped"
    assert table["dead"]["pid"] == table["dead"]["beat"] == table["dead"]["rss"] == ""
    assert table["dead"]["last error"] == "boom: the worker died"
    for width in (80, 120):
        code, screen, err = jobfleet_tty(jf_env, "nodes", columns=width)
        assert code == 0, err
        lines = [ANSI.sub("", line) for line in screen.splitlines() if line.strip()]
        assert all(len(line) <= width for line in lines), (width, lines)
        assert lines[0].split()[:5] == ["id", "name", "status", "desired", "host"]
        assert "last" in lines[0] and ("pid" in lines[0]) == (width >= 120)
        assert sum("dead" in line for line in lines) >= 1


def test_logs_since_grep_and_time_order(db: Database, db_url: str, jf_env: dict[str, str]) -> None:
    one = _deploy(db, "one")
    two = _deploy(db, "two")
    with psycopg.connect(db_url) as conn:
        # Inserted out of time order (workers write in batches): shown in the order they happened.
        for node_id, event, ago in ((one, "late_write", 5), (two, "early", 10), (one, "old", 7200)):
            conn.execute(
                "INSERT INTO node_logs (node_id, ts, level, event, message, fields) "
                "VALUES (%s, now() - make_interval(secs => %s), 'info', %s, %s, %s)",
                (node_id, ago, event, f"{event} happened: 100% sure", json.dumps({"k": "v_1"})),
            )
    every = jobfleet(jf_env, "logs", "--all", "-n", "100")
    assert every.returncode == 0, every.stderr
    order = [
        e
        for line in every.stdout.splitlines()
        for e in ("old", "early", "late_write")
        if f" {e}:" in line
    ]
    assert order == ["old", "early", "late_write"]
    recent = jobfleet(jf_env, "logs", "--all", "--since", "1h").stdout
    assert " early:" in recent and " late_write:" in recent and " old:" not in recent
    grep = jobfleet(jf_env, "logs", "one", "--grep", "100%").stdout.splitlines()
    assert [line.split()[4] for line in grep] == ["old:", "late_write:"]
    assert jobfleet(jf_env, "logs", "one", "--grep", "v_1").stdout.count("\n") == 2  # fields too
    nothing = jobfleet(jf_env, "logs", "one", "--grep", "100_")  # _ is no wildcard
    assert nothing.returncode == 0 and nothing.stdout == "" and "no events match" in nothing.stderr
    both = jobfleet(jf_env, "logs", "one", "--all")
    assert both.returncode == 1 and "not both" in both.stderr and both.stdout == ""
    bad = jobfleet(jf_env, "logs", "--all", "--since", "1w")
    assert bad.returncode == 1 and "--since must be" in bad.stderr


def test_log_lines_do_not_repeat_their_fields_and_colour_only_a_terminal(
    db: Database, jf_env: dict[str, str]
) -> None:
    node_id = _deploy(db, "talky")
    with db.connection() as conn:
        log_event_now(
            conn, "info", "scrape_done",
            "London: 10 found, 10 new in 4.2 seconds (linkedin ok, indeed blocked)",
            node_id=node_id, location="London", found=10, new=10, seconds=4.2,
            outcomes={"linkedin": "ok", "indeed": "blocked"},
        )  # fmt: skip
        log_event_now(conn, "error", "scrape_error", "linkedin: refused", node_id=node_id, site="x")
    piped = jobfleet(jf_env, "logs", "talky").stdout
    line = next(ln for ln in piped.splitlines() if "scrape_done" in ln)
    assert line.endswith(
        "scrape_done: London: 10 found, 10 new in 4.2 seconds (linkedin ok, indeed blocked)"
    )
    assert "site=x" in piped and "\x1b" not in piped
    colour_env = {k: v for k, v in jf_env.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    code, screen, _ = jobfleet_tty(colour_env, "logs", "talky", columns=200)
    assert code == 0
    assert "\x1b[32minfo\x1b[0m" in screen and "\x1b[1;31merror" in screen
    code, screen, _ = jobfleet_tty({**colour_env, "NO_COLOR": "1"}, "logs", "talky", columns=200)
    assert "\x1b[32m" not in screen


def test_tables_on_a_pipe_are_whole_tsv(
    db: Database, jf_env: dict[str, str], tmp_path: Any
) -> None:
    title = "Senior Platform Engineer for a Very Long Title That Would Wrap " * 2
    url = "https://jobs.example.com/view/" + "x" * 150
    body = "## Duties\n\n* **build** things\n* ship [docs](https://example.com/d)"
    row = {"job_url": url, "title": title.strip(), "company": "Acme", "site": "indeed",
           "description": body}  # fmt: skip
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(row) + "\n")
    assert jobfleet(jf_env, "jobs", "import", str(path)).returncode == 0
    piped = jobfleet(jf_env, "jobs", "search")
    header, line = piped.stdout.splitlines()
    assert header.split("\t")[:4] == ["id", "posted", "since", "title"]
    cells = line.split("\t")
    assert title.strip() in cells and url in cells
    job_id = cells[0]
    shown = jobfleet(jf_env, "jobs", "show", job_id).stdout
    assert "## Duties" in shown and "* **build** things" in shown  # the Markdown as it is
    code, screen, _ = jobfleet_tty(jf_env, "jobs", "show", job_id, columns=100)
    assert code == 0
    text = ANSI.sub("", screen)
    assert "Duties" in text and "## Duties" not in text and "**build**" not in text
    assert "\x1b]8;" not in screen  # links are shown, never made clickable


def test_progress_bars_only_on_a_terminal_and_never_before_an_error(
    jf_env: dict[str, str], tmp_path: Any
) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    code, _screen, err = jobfleet_tty(
        jf_env, "export", "--format", "csv", "--out", str(tmp_path / "link"), columns=100
    )
    assert code == 1 and "refus" in err.lower()
    assert "exporting" not in err and "━" not in err
    piped = jobfleet(jf_env, "export", "--format", "jsonl", "--out", str(tmp_path / "x.jsonl"))
    assert piped.returncode == 0 and "━" not in piped.stderr and "wrote 0 postings" in piped.stderr


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in group.commands.items():
        found += _commands(sub, (*path, name)) if isinstance(sub, click.Group) else [(*path, name)]
    return found


def test_every_command_takes_debug_and_help_shows_defaults() -> None:
    from click.testing import CliRunner

    from engine.cli import cli

    runner = CliRunner()
    for path in _commands(cli):
        done = runner.invoke(cli, [*path, "--debug", "-h"], prog_name="jobfleet")
        assert done.exit_code == 0, (path, done.output)
        assert "--debug" in done.output, path
    logs = runner.invoke(cli, ["logs", "-h"], prog_name="jobfleet").output
    assert "[default: 50" in logs and "Examples:" in logs
    export = runner.invoke(cli, ["export", "-h"], prog_name="jobfleet").output
    assert "[required]" in export
    root = runner.invoke(cli, ["-h"], prog_name="jobfleet").output
    assert "_JOBFLEET_COMPLETE=bash_source jobfleet" in root
    completion = runner.invoke(
        cli, [], prog_name="jobfleet", env={"_JOBFLEET_COMPLETE": "bash_source"}
    )
    assert "_jobfleet_completion" in completion.output


def test_rm_asks_once_saying_the_worker_will_be_stopped(
    db: Database, jf_env: dict[str, str]
) -> None:
    node_id = _deploy(db, "busy")
    with db.connection() as conn:
        nodes.change_state(conn, node_id, NodeStatus.STARTING, pid=999_999)
        nodes.change_state(conn, node_id, NodeStatus.RUNNING)
    refused = jobfleet(jf_env, "rm", "busy", input="n\n")
    assert refused.returncode == 1
    assert refused.stdout.count("?") == 1
    assert "remove node busy (id" in refused.stdout
    assert "its worker will be stopped first" in refused.stdout
    assert [r.name for r in nodes.list_nodes(db)] == ["busy"]

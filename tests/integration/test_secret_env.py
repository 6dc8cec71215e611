"""`jobfleet deploy` refuses proxy references outside JOBFLEET_SECRET_ENV (a real CLI process):
one sentence naming the variable and the setting, a non-zero exit, nothing written."""

from __future__ import annotations

import psycopg
import pytest

from tests.cli import jobfleet


@pytest.mark.parametrize("name", ["AWS_SECRET_ACCESS_KEY", "JOBFLEET_DATABASE_URL"])
@pytest.mark.parametrize("slot", ["x:${%s}", "${%s}"])
def test_deploy_refuses_a_variable_the_allowlist_does_not_name(
    jf_env: dict[str, str], db_url: str, name: str, slot: str
) -> None:
    env = {**jf_env, "AWS_SECRET_ACCESS_KEY": "aws-value-never-shown"}
    proxy = f"http://{slot % name}@203.0.113.9:8080"
    proc = jobfleet(
        env, "deploy", "--name", "n1", "--search", "python", "--country", "US",
        "--location", "Austin", "--proxy", proxy,
    )  # fmt: skip
    assert proc.returncode != 0
    message = proc.stderr.strip()
    assert f"${{{name}}}" in message and "JOBFLEET_SECRET_ENV" in message, message
    assert message.count("\n") == 0 and "Traceback" not in message
    assert "aws-value-never-shown" not in proc.stderr + proc.stdout
    assert jf_env["JOBFLEET_DATABASE_URL"] not in proc.stderr + proc.stdout
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM nodes").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM node_logs").fetchone() == (0,)


def test_deploy_takes_a_name_the_operator_allowed(jf_env: dict[str, str], db_url: str) -> None:
    env = {**jf_env, "JOBFLEET_SECRET_ENV": "VENDOR_*"}
    proc = jobfleet(
        env, "deploy", "--name", "n2", "--search", "python", "--country", "US",
        "--location", "Austin", "--proxy", "http://${VENDOR_KEY}@203.0.113.9:8080", "--no-start",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM nodes").fetchone() == (1,)

"""``jobfleet alerts``: the alerts the supervisors raised (stored in the database), and
``jobfleet alerts test``, which sends a test message to every ``JOBFLEET_ALERT_URLS`` URL."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.output import error, info, print_json, print_table
from engine.cli.runs import parse_duration, shorten
from engine.cli.state import CliState, common_options, pass_state

JSON_KEYS = (
    "id",
    "kind",
    "level",
    "node_id",
    "node_name",
    "host_name",
    "reported_by",
    "title",
    "body",
    "fields",
    "opened_at",
    "resolved_at",
    "resolution",
    "deliveries",
)


def _alert_json(alert: dict[str, Any]) -> dict[str, Any]:
    out = {key: alert.get(key) for key in JSON_KEYS}
    out["open"] = alert.get("resolved_at") is None
    return out


def _state_text(alert: dict[str, Any]) -> str:
    resolved = alert["resolved_at"]
    if resolved is None:
        return "OPEN"
    if resolved == alert["opened_at"] or alert["resolution"] == "reported once":
        return "event"
    return f"resolved {resolved.astimezone():%m-%d %H:%M}"


@click.group("alerts", invoke_without_command=True)
@common_options
@click.option(
    "--since",
    default="24h",
    show_default=True,
    help="How far back: a number and s, m, h or d (30m, 24h, 7d). Open alerts always show.",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def alerts_group(ctx: click.Context, since: str, limit: int, as_json: bool) -> None:
    """List alerts, newest first: every open one, and those opened or resolved within --since.

    Supervisors raise alerts (a node FATAL or failing, no new postings for many cycles, a proxy
    check failed, a host's supervisor gone or taken over, spooled batches waiting, the database
    unreachable) and send them to JOBFLEET_ALERT_URLS. 'jobfleet alerts test' checks those URLs.
    """
    if ctx.invoked_subcommand is not None:
        return
    from engine.supervisor.alerts.store import list_alerts

    state = ctx.ensure_object(CliState)
    since_s = parse_duration(since)
    rows = list_alerts(state.db(), since_s=since_s, limit=limit)
    if as_json:
        print_json([_alert_json(r) for r in rows])
        return
    if not rows:
        info(f"no alerts in the last {since} and none open")
        return
    table = [
        {
            "id": r["id"],
            "opened": r["opened_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            "state": _state_text(r),
            "kind": r["kind"],
            "node": r["node_name"] or "",
            "host": r["host_name"] or "",
            "sent": r["deliveries"],
            "what": shorten(str(r["title"]).removeprefix("jobfleet: "), 70),
        }
        for r in rows
    ]
    print_table(table, list(table[0]))
    if not state.settings.alert_urls:
        info("JOBFLEET_ALERT_URLS is not set here: alerts are recorded but this host sends none")


@alerts_group.command("test")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the results.")
@pass_state
def test_cmd(state: CliState, as_json: bool) -> None:
    """Send a test message to every JOBFLEET_ALERT_URLS URL and say how each went.

    URLs are shown redacted (their tokens are secrets). Exits 1 if any send failed.
    """
    from engine.supervisor.alerts.send import destinations, send_message

    settings = state.settings
    dests = destinations(settings)
    if not dests:
        error(
            "JOBFLEET_ALERT_URLS is not set: give it one or more apprise URLs, separated by "
            "commas or spaces (e.g. ntfy://ntfy.sh/TOPIC, json://host:port/path)"
        )
        raise SystemExit(1)
    host = settings.host_name
    results = []
    for n, dest in enumerate(dests, 1):
        result = send_message(
            dest.url,
            f"jobfleet: test alert from host {host}",
            f"This is a test message from jobfleet on host {host} (jobfleet alerts test). "
            f"Alerts of this fleet will arrive here.",
            kind="info",
            timeout=settings.alert_send_timeout,
        )
        results.append(
            {
                "n": n,
                "url": dest.label,
                "ok": result.ok,
                "seconds": round(result.seconds, 3),
                "error": result.error or None,
            }
        )
    if as_json:
        print_json(results)
    else:
        print_table(
            [
                {
                    "#": r["n"],
                    "url": r["url"],
                    "result": "ok" if r["ok"] else "FAILED",
                    "secs": f"{r['seconds']:.2f}",
                    "error": r["error"] or "",
                }
                for r in results
            ],
            ["#", "url", "result", "secs", "error"],
        )
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(alerts_group)

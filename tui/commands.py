"""The command palette's jobfleet entries: screens, and per-node actions by node name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from tui.text import clean

BULK_ACTIONS = (
    ("start", "Start"),
    ("stop", "Stop"),
    ("restart", "Restart"),
    ("kill", "Kill"),
    ("delete", "Delete"),
    ("run_once", "Run once"),
)


class FleetCommands(Provider):
    """Main actions, plus "logs/stop/start/restart <node>" for every node of the last poll."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: Any = self.app
        dashboard = app.dashboard
        commands: list[tuple[str, Callable[[], Any], str]] = [
            ("Deploy a new node", dashboard.action_deploy, "Open the deploy form"),
            ("Browse jobs", dashboard.action_jobs, "Search everything scraped so far"),
            ("All logs", dashboard.action_all_logs, "Live logs of every node"),
            ("Hosts", app.action_hosts, "Hosts and whether their supervisor is alive"),
            ("Help: list every key", app.action_help, "Keys of every screen"),
            ("Sort cards: next order", dashboard.action_cycle_sort, "Cycle the card order"),
            ("Clear card filters", dashboard.action_clear_filter, "Show every node"),
            ("Quit jobfleet", app.action_quit, "Asks about running workers"),
            ("Mark all filtered nodes", dashboard.action_mark_all, "Mark every card shown"),
            ("Clear marks", dashboard.grid.clear_marks, "Unmark every card"),
        ]
        # Bulk actions: on the marked cards, or on every card the filters let through.
        for action, label in BULK_ACTIONS:
            for scope in ("marked", "filtered"):
                commands.append(
                    (
                        f"{label} all {scope} nodes",
                        partial(dashboard.act_on, action, scope),
                        f"{label} every {scope} node (asks once)",
                    )
                )
        snapshot = app.snapshot
        for node in snapshot.nodes if snapshot is not None else []:
            node_id, name = int(node["id"]), clean(node.get("name"), max_len=60)
            commands.append(
                (
                    f"Logs of {name}",
                    partial(dashboard._open_logs, node_id, name),
                    "Live logs of this node",
                )
            )
            commands.append(
                (
                    f"Edit {name}",
                    partial(dashboard.action_edit, node_id),
                    "Change this node's spec (a running worker restarts on it)",
                )
            )
            for action in ("start", "stop", "restart"):
                commands.append(
                    (
                        f"{action.capitalize()} {name}",
                        partial(app.node_action, action, node_id, name),
                        f"{action.capitalize()} this node",
                    )
                )
            commands.append(
                (
                    f"Run once {name}",
                    partial(app.node_action, "run_once", node_id, name),
                    "One cycle now (stopped or scheduled node), then back to its state",
                )
            )
        return commands

    async def discover(self) -> Hits:
        for text, command, help_text in self._commands()[:8]:
            yield DiscoveryHit(Content(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                # Content(text), not matcher.highlight(): that parses the text as markup.
                yield Hit(score, Content(text), command, text=text, help=help_text)

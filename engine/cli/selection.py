"""Which nodes a control command acts on: ``[NODE]... [--all] [--status S] [--match T] [--host H]
[--yes]``, shared by start, stop, kill, restart, rm and run-once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from engine.cli.output import info
from engine.cli.state import CliState
from engine.errors import UserError
from engine.fleet.rows import NodeRow
from engine.fleet.states import NodeStatus as S
from engine.text import visible_text


@dataclass(frozen=True)
class Selection:
    """The nodes named on the command line, or found by --all and the filters (all must hold)."""

    node_refs: tuple[str, ...]
    all_nodes: bool
    statuses: frozenset[S]
    match: str | None
    host: str | None
    yes: bool

    @property
    def bulk(self) -> bool:
        """--all or a filter chose the nodes: acting on several of them asks first."""
        return (
            self.all_nodes or bool(self.statuses) or self.match is not None or self.host is not None
        )

    def rows(self, state: CliState) -> list[NodeRow]:
        """The selected nodes; none (said on stderr) when nothing matches. UserError, before
        anything is done, when a named node does not exist."""
        from engine.fleet import nodes

        rows = nodes.select_nodes(
            state.db(),
            self.node_refs,
            all_nodes=self.all_nodes,
            statuses=self.statuses,
            match=self.match,
            host=self.host,
        )
        if not rows:
            info("no node matches; nothing was done")
        return rows

    def confirm(self, verb: str, rows: list[NodeRow], *, always: bool, tail: str = "") -> None:
        """One question for the whole request (unless --yes): always for kill and rm, and for
        any request that --all or a filter made act on more than one node."""
        if self.yes or not (always or (self.bulk and len(rows) > 1)):
            return
        if len(rows) == 1:
            shown = visible_text(rows[0].name, one_line=True)
            click.confirm(f"{verb} node {shown} (id {rows[0].id}){tail}?", abort=True)
            return
        names = ", ".join(visible_text(r.name, one_line=True) for r in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        click.confirm(f"{verb} {len(rows)} nodes ({names}{more}){tail}?", abort=True)


def _parse_statuses(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    """``--status fatal --status exited,backoff`` → the NodeStatus set (UserError if unknown)."""
    wanted: set[S] = set()
    for value in values:
        for part in value.split(","):
            word = part.strip().lower()
            if not word:
                continue
            try:
                wanted.add(S(word))
            except ValueError:
                choices = ", ".join(s.value for s in S)
                raise UserError(
                    f"--status {part.strip()[:40]!r} is not a node status; choose from {choices}"
                ) from None
    return frozenset(wanted)


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the selection's arguments and options to a command, which receives them as one
    ``selection: Selection`` keyword argument."""

    @functools.wraps(func)
    def command(
        *args: Any,
        node_refs: tuple[str, ...],
        all_nodes: bool,
        statuses: frozenset[S],
        match: str | None,
        host: str | None,
        yes: bool,
        **kwargs: Any,
    ) -> Any:
        chosen = Selection(node_refs, all_nodes, statuses, match, host, yes)
        return func(*args, selection=chosen, **kwargs)

    options = [
        click.argument("node_refs", metavar="[NODE]...", nargs=-1),
        click.option("--all", "all_nodes", is_flag=True, help="Every node (with filters: those)."),
        click.option(
            "--status",
            "statuses",
            multiple=True,
            callback=_parse_statuses,
            metavar="STATUS[,STATUS]",
            help="Only nodes in this status (repeatable, or a comma list).",
        ),
        click.option(
            "--match",
            metavar="TEXT",
            help="Only nodes whose name or search term contains TEXT (ignoring case).",
        ),
        click.option("--host", metavar="NAME", help="Only nodes on (or pinned to) host NAME."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask."),
    ]
    decorated: Callable[..., Any] = command
    for option in reversed(options):
        decorated = option(decorated)
    return decorated

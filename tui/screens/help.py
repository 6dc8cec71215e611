"""Every key of every screen, read from the screens' own BINDINGS (so it cannot go stale).

The app passes its own bindings in: this module never imports the app (which opens this screen).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


def _keys(key: str) -> str:
    names = {
        "question_mark": "?",
        "slash": "/",
        "escape": "Esc",
        "enter": "Enter",
        "delete": "Del",
        "pageup": "PgUp",
        "pagedown": "PgDn",
    }
    return ", ".join(names.get(k.strip(), k.strip()) for k in key.split(","))


def _rows(bindings: Sequence[BindingType]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        what = binding.tooltip or binding.description or binding.action
        rows.append((_keys(binding.key), what))
    return rows


HelpSections = list[tuple[str, list[tuple[str, str]]]]


def help_sections(app_bindings: Sequence[BindingType]) -> HelpSections:
    """Sections of (key, what it does) rows; ``app_bindings`` are the keys that work everywhere."""
    from textual.app import App

    # The screens are imported when the help opens: most of them load on first use only.
    from tui.screens.dashboard import DashboardScreen
    from tui.screens.deploy import DeployScreen
    from tui.screens.hosts import HostsScreen
    from tui.screens.job_detail import JobDetailScreen
    from tui.screens.jobs import JobsScreen
    from tui.screens.logs import LogsScreen
    from tui.screens.node_detail import NodeDetailScreen
    from tui.widgets.card_grid import CardGrid

    everywhere = [
        *_rows(app_bindings),
        (_keys(App.COMMAND_PALETTE_BINDING), "Command palette: every main action by name"),
        ("Tab, Shift+Tab", "Move the focus between fields and buttons"),
    ]
    return [
        ("Everywhere", everywhere),
        ("Dashboard", _rows(DashboardScreen.BINDINGS) + _rows(CardGrid.BINDINGS)),
        ("Deploy form", _rows(DeployScreen.BINDINGS)),
        ("Node", _rows(NodeDetailScreen.BINDINGS)),
        ("Logs", _rows(LogsScreen.BINDINGS)),
        ("Jobs browser", _rows(JobsScreen.BINDINGS)),
        ("Job detail", _rows(JobDetailScreen.BINDINGS)),
        ("Hosts", _rows(HostsScreen.BINDINGS)),
        (
            "Mouse",
            [
                ("click", "Select a card, press a button, pick a table row"),
                ("double click", "Open the logs of a card / the detail of a job"),
                ("wheel", "Scroll cards, logs and tables"),
            ],
        ),
    ]


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1", "dismiss", "Close", tooltip="Close the help"),
    ]

    def __init__(self, app_bindings: Sequence[BindingType]) -> None:
        super().__init__()
        self.app_bindings = app_bindings

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("key", style="bold cyan", no_wrap=True, ratio=1)
        table.add_column("what", ratio=4)
        for title, rows in help_sections(self.app_bindings):
            table.add_row(Text(title, style="bold reverse"), "")
            for key, what in rows:
                table.add_row(Text(key), Text(what))
            table.add_row("", "")
        with VerticalScroll(classes="dialog help"):
            yield Static(table)
        yield Footer()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

"""Asks where and how to export the jobs the browser shows: a format and a file path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from tui.keys import ORDERED_KEYS, OrderedKeys

FORMATS = ("csv", "jsonl", "parquet")


@dataclass(frozen=True)
class ExportChoice:
    fmt: str
    path: Path


def check_path(text: str, fmt: str) -> tuple[Path | None, str]:
    """The path to write, or None and why not (one sentence)."""
    text = text.strip()
    if not text:
        return None, "Give a file path."
    path = Path(text).expanduser()
    if path.is_dir():
        return None, f"{path} is a directory: add a file name."
    if path.exists():
        return None, f"{path} exists: choose another name (nothing is overwritten)."
    if not path.suffix:
        path = path.with_suffix(f".{fmt}")
    return path, ""


class ExportDialog(OrderedKeys, ModalScreen[ExportChoice | None]):
    """Returns the chosen format and path, or None (Escape, Cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ORDERED_KEYS,  # Tab, Shift+Tab, Home, End keep their order in a burst (tmux, SSH)
        Binding("escape", "cancel", "Cancel", tooltip="Export nothing"),
    ]

    def __init__(self, directory: Path, stem: str, fmt: str = "csv", matching: str = "") -> None:
        super().__init__()
        self.directory = directory
        self.stem = stem
        self.fmt = fmt if fmt in FORMATS else "csv"
        self.matching = matching

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label(
                f"Export {self.matching or 'the matching jobs'}", classes="question", markup=False
            )
            yield Select[str](
                [(f, f) for f in FORMATS], value=self.fmt, allow_blank=False, id="export-format"
            )
            yield Input(str(self.directory / f"{self.stem}.{self.fmt}"), id="export-path")
            yield Label("", id="export-problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export-go", variant="primary")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """The file name follows the format while its suffix is one of ours."""
        if not isinstance(event.value, str):
            return
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value.strip())
        if path.suffix.lstrip(".") in FORMATS:
            path_input.value = str(path.with_suffix(f".{event.value}"))
        self.fmt = event.value

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-go")
    def action_export(self) -> None:
        path, problem = check_path(self.query_one("#export-path", Input).value, self.fmt)
        if path is None:
            self.query_one("#export-problem", Label).update(problem)
            return
        self.dismiss(ExportChoice(self.fmt, path))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

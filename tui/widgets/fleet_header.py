"""Two header lines: who runs the workers (this app's supervisor, another process's, or nobody),
where, whether the database answers, totals, and the open alerts (`jobfleet alerts` lists them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from engine.fleet.states import NodeStatus
from tui.text import clean, fmt_int
from tui.widgets.node_card import STATUS_STYLE

# The header counts the working nodes first.
STATUS_ORDER: tuple[NodeStatus, ...] = (
    NodeStatus.RUNNING,
    NodeStatus.STARTING,
    NodeStatus.STOPPING,
    NodeStatus.BACKOFF,
    NodeStatus.EXITED,
    NodeStatus.FATAL,
    NodeStatus.LOST,
    NodeStatus.SCHEDULED,
    NodeStatus.STOPPED,
)


@dataclass(frozen=True)
class HeaderInfo:
    mode: str = "connecting"  # "embedded" | "attached" | "connecting" | "offline"
    host: str = ""
    database: str = ""  # masked URL
    holder: str = ""  # who supervises when attached (host:pid)
    demo: bool = False
    nodes_by_status: dict[str, int] = field(default_factory=dict)
    jobs_today: int = 0
    jobs_total: int = 0
    jobs_total_estimated: bool = False
    # The embedded supervisor's pid (this process) when mode is "embedded".
    own_pid: int | None = None
    # (host, pid) of every live supervisor by the last poll; None until one is known.
    supervisors: tuple[tuple[str, int | None], ...] | None = None
    # Seconds until the next attempt while the database is unreachable (0: trying now).
    retry_in: int | None = None
    # Open alerts and the newest one's title (nothing shows while none is open).
    alerts_open: int = 0
    alert_latest: str = ""


MODE_TEXT = {
    "embedded": ("supervisor: here", "bold green"),
    "attached": ("attached", "bold cyan"),
    "connecting": ("connecting…", "yellow"),
    "offline": ("database unreachable", "bold red"),
    "unsupervised": ("monitor only (no supervisor)", "yellow"),
}


def header_text(info: HeaderInfo) -> Text:
    top = Text(no_wrap=True, overflow="ellipsis")
    top.append(" jobfleet ", "bold reverse")
    if info.demo:
        top.append(" DEMO ", "bold black on yellow")
    top.append(" ")
    _supervisor_part(top, info)
    top.append(" · host ")
    top.append(clean(info.host), "bold")
    top.append(" · db ")
    top.append(clean(info.database), "dim")

    bottom = Text(no_wrap=True, overflow="ellipsis")
    bottom.append(" nodes ")
    total_nodes = sum(info.nodes_by_status.values())
    bottom.append(fmt_int(total_nodes), "bold")
    parts = [s for s in STATUS_ORDER if info.nodes_by_status.get(s)]
    if parts:
        bottom.append(" (")
        for n, status in enumerate(parts):
            if n:
                bottom.append(" ")
            bottom.append(f"{info.nodes_by_status[status]} {status}", STATUS_STYLE.get(status, ""))
        bottom.append(")")
    bottom.append(" · jobs today ")
    bottom.append(fmt_int(info.jobs_today), "bold green")
    bottom.append(" · total ")
    bottom.append(("~" if info.jobs_total_estimated else "") + fmt_int(info.jobs_total), "bold")
    if info.alerts_open:
        bottom.append(" · ")
        bottom.append(
            f"{fmt_int(info.alerts_open)} alert{'s' * (info.alerts_open > 1)}", "bold red"
        )
        bottom.append(": " + clean(info.alert_latest.removeprefix("jobfleet: ")), "red")
    return Text("\n").join([top, bottom])


def _supervisor_part(top: Text, info: HeaderInfo) -> None:
    """Whether the database answers and who, if anyone, acts on requests."""
    if info.retry_in is not None:
        when = f"retrying in {info.retry_in} s" if info.retry_in > 0 else "retrying now…"
        top.append(f"database unreachable — {when}", "bold red")
        return
    label, style = MODE_TEXT.get(info.mode, (info.mode, ""))
    if info.mode == "embedded":
        top.append(label + (f" (pid {info.own_pid})" if info.own_pid else ""), style)
        return
    if info.mode in ("connecting", "offline") or info.supervisors is None:
        top.append(label, style)
        if info.mode == "attached" and info.holder:
            top.append(f" to {clean(info.holder)}", "cyan")
        return
    own = [pid for name, pid in info.supervisors if name == info.host]
    if own:
        top.append("attached", "bold cyan")
        top.append(f" to {clean(info.host)}" + (f" pid {own[0]}" if own[0] else ""), "cyan")
    elif info.supervisors:
        names = ", ".join(clean(name) for name, _ in info.supervisors)
        top.append(f"supervisor on {names}", "cyan")
    else:
        top.append("no supervisor", "bold yellow")
        top.append(" (requests wait)", "yellow")


class FleetHeader(Widget):
    """Shows the app's ``header_info``; every screen that composes one stays in sync."""

    DEFAULT_CSS = """
    FleetHeader {
        height: 2;
        background: $panel;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "header_info", self._changed, init=False)

    def _changed(self, _: object) -> None:
        self.refresh()

    def render(self) -> RenderableType:
        info = getattr(self.app, "header_info", None) or HeaderInfo()
        return header_text(info)

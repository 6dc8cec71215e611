"""What to do about one node: a pure function of the node row and what is known of its process.

``plan`` reads a ``NodeView`` (the database's side, ages by the database clock) and a
``ProcView`` (this supervisor's side) and returns the actions that move the node toward its
desired state. No I/O here: ``engine.supervisor.loop`` carries the actions out. supervisord's
ideas: startsecs and startretries (fast crashes in a row lead to FATAL), exponential backoff
between restarts, SIGTERM then SIGKILL after a grace period.

Actions are a tagged union of frozen dataclasses; the loop dispatches on their type, never on
the text of a reason (reasons are for people and the event log).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from engine.fleet.rows import NOW, Later, SupervisedNodeRow
from engine.fleet.schedule import window_state
from engine.fleet.states import PROCESS_STATES, Desired, NodeStatus
from engine.protocol import EXIT_CONFIG, EXIT_ONCE, EXIT_RECYCLE
from engine.settings import Settings

S = NodeStatus

# An unanswered SIGKILL is sent again after this long (the first may have been lost).
KILL_RETRY_S = 5.0

Level = Literal["debug", "info", "warning", "error"]


@dataclass(frozen=True)
class NodeView:
    """What the database says about a node (ages by the database clock)."""

    id: int
    status: NodeStatus
    desired: Desired
    stop_requested: bool = False
    kill_requested: bool = False
    has_heartbeat: bool = False
    heartbeat_age_s: float | None = None
    fast_crashes: int = 0
    start_due: bool = True
    memory_limit_mb: int = 256
    last_exit: int | None = None
    restarts: int = 0
    # The worker writes why it cannot run (EXIT_CONFIG) here before it exits.
    last_error: str | None = None
    # Active hours (engine.fleet.schedule) by the database clock: whether the window is open,
    # and if not when it opens; next_start_at is what the row says now.
    in_window: bool = True
    window_opens_at: datetime | None = None
    next_start_at: datetime | None = None
    # One cycle now, whatever the window and desired say (jobfleet run-once).
    run_once: bool = False

    @classmethod
    def from_row(cls, row: SupervisedNodeRow, status: NodeStatus) -> NodeView:
        """The view of a row the supervisor read, with ``status`` as it judged it."""
        return cls(
            id=row.id,
            status=status,
            desired=Desired(row.desired),
            stop_requested=row.stop_requested,
            kill_requested=row.kill_requested,
            has_heartbeat=row.has_heartbeat,
            heartbeat_age_s=row.heartbeat_age_s,
            fast_crashes=row.fast_crashes,
            start_due=row.start_due,
            memory_limit_mb=int(row.spec.get("memory_limit_mb") or 256),
            last_exit=row.last_exit,
            restarts=row.restarts,
            last_error=row.last_error,
            run_once=row.run_once,
            next_start_at=row.next_start_at,
            **vars(window_state(row.spec, row.db_now)),
        )


@dataclass(frozen=True)
class ProcView:
    """What this supervisor knows about the node's worker process."""

    state: Literal["none", "alive", "gone"] = "none"
    exit_code: int | None = None
    uptime_s: float = 0.0
    term_sent_age_s: float | None = None  # seconds since SIGTERM (None: not sent)
    kill_sent_age_s: float | None = None
    kill_reason: str | None = None  # set when we killed or recycled it unasked (stale, no start)
    killed_on_request: bool = False
    rss_bytes: int | None = None
    drain_sent_age_s: float | None = None  # seconds since asked to end after its scrape


@dataclass(frozen=True)
class Policy:
    stale_after: float
    stop_grace: float
    start_secs: float
    start_retries: int
    backoff_base: float
    backoff_max: float
    # How long a worker asked to end at its window's close may take to finish its scrape.
    drain_grace: float = 120.0

    @classmethod
    def from_settings(cls, s: Settings) -> Policy:
        return cls(
            s.stale_after,
            s.stop_grace,
            s.start_secs,
            s.start_retries,
            s.backoff_base,
            s.backoff_max,
            s.search_timeout + s.stop_grace,
        )

    def backoff(self, fast_crashes: int) -> float:
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(fast_crashes - 1, 0)))


# --- the actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spawn:
    """Claim the node and start a worker for it."""


@dataclass(frozen=True)
class Defer:
    """A spawn postponed (today: too little free memory)."""

    reason: str


@dataclass(frozen=True)
class Term:
    """SIGTERM the worker (a stop or restart someone asked for)."""

    reason: str


@dataclass(frozen=True)
class Drain:
    """Ask the worker to finish the scrape under way, store it, and exit (SIGUSR1): its window
    closed. A SIGTERM would kill the scrape; the next window resumes at the next location."""

    reason: str


@dataclass(frozen=True)
class Reschedule:
    """A scheduled node's window opens at another time than its row says (its spec changed)."""

    at: datetime


@dataclass(frozen=True)
class Recycle:
    """SIGTERM the worker unasked; its exit then counts as a crash with this reason."""

    reason: str
    level: Level = "warning"


@dataclass(frozen=True)
class Kill:
    """SIGKILL the worker. ``reason=None``: a resend of a SIGKILL already reported;
    ``on_request``: a person asked for it, so the exit is no crash."""

    reason: str | None = None
    level: Level = "warning"
    on_request: bool = False


@dataclass(frozen=True)
class SetState:
    """Move the node to ``status`` (through ``change_state``), writing ``fields`` with it."""

    status: NodeStatus
    reason: str
    level: Level = "info"
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Forget:
    """The worker is gone: stop tracking it."""


@dataclass(frozen=True)
class ClearRequests:
    """Clear stop_requested and kill_requested without a change of status."""


@dataclass(frozen=True)
class ResetFastCrashes:
    """The worker has been up longer than start_secs: its crash streak is over."""


Action = (
    Spawn
    | Defer
    | Term
    | Drain
    | Recycle
    | Kill
    | SetState
    | Forget
    | ClearRequests
    | ResetFastCrashes
    | Reschedule
)


def _state(status: NodeStatus, reason: str, *, level: Level = "info", **fields: Any) -> SetState:
    return SetState(status, reason, level, fields)


# Fields that say "no worker now" (written with every move to a status without a process).
CLEARED: dict[str, Any] = {
    "pid": None,
    "proc_started_at": None,
    "stopped_at": NOW,
    "run_once": False,
}


def _rest(node: NodeView, reason: str, **fields: Any) -> SetState:
    """To "scheduled" until the window opens (a node wanted running, outside its hours)."""
    opens = node.window_opens_at
    when = f"; next start {opens:%Y-%m-%d %H:%M} UTC" if opens is not None else ""
    return _state(S.SCHEDULED, reason + when, next_start_at=opens, **fields, **CLEARED)


def _resting(node: NodeView) -> bool:
    """Whether the node should rest now: wanted running, outside its window, no run-once."""
    return node.desired == Desired.RUNNING and not node.in_window and not node.run_once


def plan(
    node: NodeView, proc: ProcView, policy: Policy, *, in_grace: bool, memory_ok: bool
) -> list[Action]:
    """The actions that move ``node`` toward its desired state (pure: no I/O)."""
    if proc.state == "alive":
        return _plan_alive(node, proc, policy, in_grace=in_grace)
    if proc.state == "gone":
        return _plan_gone(node, proc, policy)
    # No process.
    status = node.status
    if node.run_once and status in (S.STOPPED, S.SCHEDULED):
        return [Spawn()] if memory_ok else [Defer("low memory")]
    if _resting(node):
        if status in (S.STOPPED, S.EXITED, S.LOST, S.BACKOFF):
            return [_rest(node, "outside its active hours")]
        if status == S.SCHEDULED and node.window_opens_at != node.next_start_at:
            return [Reschedule(node.window_opens_at)] if node.window_opens_at else []
        return []
    if node.desired == Desired.RUNNING:
        if status in (S.STOPPED, S.EXITED, S.LOST, S.SCHEDULED) or (
            status == S.BACKOFF and node.start_due
        ):
            return [Spawn()] if memory_ok else [Defer("low memory")]
        return []
    if status in (S.EXITED, S.BACKOFF, S.LOST, S.SCHEDULED):
        return [_state(S.STOPPED, "stop requested", **CLEARED)]
    return []


def _plan_alive(node: NodeView, proc: ProcView, policy: Policy, *, in_grace: bool) -> list[Action]:
    status = node.status
    if proc.kill_sent_age_s is not None:
        # Already SIGKILLed; wait for the reaper (retry in case the first one was lost).
        return [Kill()] if proc.kill_sent_age_s > KILL_RETRY_S else []
    if node.kill_requested:
        why = "killed on request"
        return [
            Kill(why, level="info", on_request=True),
            _state(S.STOPPED, why, stop_requested=False, kill_requested=False, **CLEARED)
            if status != S.STOPPED
            else ClearRequests(),
        ]
    # A run-once worker runs for a node that may be desired stopped: only a request stops it.
    unwanted = node.desired == Desired.STOPPED and not node.run_once
    if status in (S.STARTING, S.RUNNING) and (unwanted or node.stop_requested):
        why = "stop requested" if node.desired == Desired.STOPPED else "restart requested"
        return [Term(why), _state(S.STOPPING, why)]
    if status == S.STARTING and _resting(node):
        why = "outside its active hours"
        return [Term(why), _state(S.STOPPING, why)]
    if status == S.RUNNING and _resting(node) and proc.term_sent_age_s is None:
        why = "outside its active hours: ending after the current scrape"
        return [Drain(why), _state(S.STOPPING, why)]
    if status == S.STARTING:
        if node.has_heartbeat:
            return [_state(S.RUNNING, "first heartbeat")]
        if proc.uptime_s > policy.stale_after and not in_grace:
            return [Kill(f"no heartbeat {proc.uptime_s:.0f} s after start")]
        return []
    if status == S.RUNNING:
        if proc.term_sent_age_s is not None:
            # Being recycled (SIGTERM while running): wait for the exit, then insist.
            if proc.term_sent_age_s > policy.stop_grace:
                return [Kill(f"did not exit within {policy.stop_grace:g} s of SIGTERM")]
            return []
        age = node.heartbeat_age_s
        if age is not None and age > policy.stale_after and not in_grace:
            return [Kill(f"heartbeat stale for {age:.1f} s")]
        limit = node.memory_limit_mb * 1024 * 1024
        if proc.rss_bytes is not None and proc.rss_bytes > limit:
            # Recycled like a crash (restarts counter, backoff): a worker over its limit soon
            # after every start would otherwise be restarted forever; its fast exits lead to
            # FATAL like any crash loop, with the memory named in last_error.
            return [
                Recycle(
                    f"recycled: memory {proc.rss_bytes >> 20} MiB above the node's "
                    f"memory_limit_mb of {node.memory_limit_mb}"
                )
            ]
        if node.fast_crashes and proc.uptime_s >= policy.start_secs:
            return [ResetFastCrashes()]
        return []
    if status == S.STOPPING:
        if proc.drain_sent_age_s is not None and proc.term_sent_age_s is None:
            if proc.drain_sent_age_s > policy.drain_grace:
                return [Term(f"scrape not finished {policy.drain_grace:g} s after its window")]
            return []
        if proc.term_sent_age_s is None:
            return [Term("stopping")]
        if proc.term_sent_age_s > policy.stop_grace:
            return [Kill(f"did not stop within {policy.stop_grace:g} s")]
        return []
    if (
        status == S.LOST
        and node.has_heartbeat
        and (in_grace or (node.heartbeat_age_s or 0) <= policy.stale_after)
    ):
        return [_state(S.RUNNING, "host back; worker alive")]
    # A live process for a node at rest: never ours to keep.
    return [Kill(f"stray worker for a {status} node")]


def _plan_gone(node: NodeView, proc: ProcView, policy: Policy) -> list[Action]:
    status = node.status
    forget: list[Action] = [Forget()]
    code = proc.exit_code if proc.exit_code is not None else node.last_exit
    code_field: dict[str, Any] = {"last_exit": code}
    if proc.killed_on_request or status not in PROCESS_STATES | {S.LOST}:
        return forget
    # Whether we ended it unasked (stale, no start, over memory): then it is a crash, whatever
    # the exit code or the requests made meanwhile.
    ended_by_us = proc.kill_reason is not None
    if status == S.STOPPING and _resting(node) and not node.stop_requested:
        return [*forget, _rest(node, "worker ended at its window's close", **code_field)]
    unwanted = node.desired == Desired.STOPPED and not node.run_once
    if status == S.STOPPING or (not ended_by_us and (node.stop_requested or unwanted)):
        why = "worker gone" if status == S.LOST else "worker exited"
        return [*forget, _state(S.STOPPED, why, **code_field, **CLEARED)]
    if code == EXIT_ONCE and not ended_by_us:
        # The run-once cycle is done: back to what the node was doing before.
        if node.desired == Desired.RUNNING and not node.in_window:
            return [*forget, _rest(node, "run-once cycle done", **code_field)]
        return [*forget, _state(S.STOPPED, "run-once cycle done", **code_field, **CLEARED)]
    if code == EXIT_RECYCLE and not ended_by_us:
        return [*forget, _state(S.STOPPED, "recycled after max cycles", **code_field, **CLEARED)]
    if status == S.LOST:
        return [*forget, _state(S.STOPPED, "worker gone while host was lost", **CLEARED)]
    # A crash (or a worker we had to end).
    fast = proc.uptime_s < policy.start_secs
    crashes = node.fast_crashes + 1 if fast else 0
    why = proc.kill_reason or (
        f"exited with code {code}" if code is not None else "vanished (exit code unknown)"
    )
    if code == EXIT_CONFIG and not ended_by_us:
        # The worker wrote its reason to last_error before exiting: keep it, not the code. The
        # row read this tick shows it once last_exit is the worker's (it is cleared at spawn
        # and written after last_error); read earlier, the event names the code, and the row's
        # last_error, which this leaves alone, still holds the reason.
        said = node.last_error if node.last_exit == EXIT_CONFIG and node.last_error else None
        why = f"cannot run: {said}" if said else f"exited with code {code} (the spec cannot run)"
        exited = _state(
            S.EXITED, why, level="warning", restarts=node.restarts + 1, **code_field, **CLEARED
        )
        return [*forget, exited, _state(S.FATAL, "the node's spec cannot run", level="error")]
    exited = _state(
        S.EXITED,
        why,
        level="warning",
        last_error=why,
        restarts=node.restarts + 1,
        **code_field,
        **CLEARED,
    )
    if node.run_once:
        # A run-once that failed is not retried: back to what the node was doing before.
        if _resting(replace(node, run_once=False)):
            return [*forget, exited, _rest(node, "run-once failed")]
        if node.desired == Desired.STOPPED:
            return [*forget, exited, _state(S.STOPPED, "run-once failed", **CLEARED)]
    if crashes >= policy.start_retries:
        return [
            *forget,
            exited,
            _state(
                S.FATAL,
                f"{crashes} fast crashes in a row (last: {why}); start it again by hand",
                level="error",
                fast_crashes=crashes,
            ),
        ]
    delay = policy.backoff(crashes) if fast else policy.backoff_base
    return [
        *forget,
        exited,
        _state(
            S.BACKOFF, f"restart in {delay:g} s", fast_crashes=crashes, next_start_at=Later(delay)
        ),
    ]

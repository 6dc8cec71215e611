"""Node status: the enum, its groups and the allowed transitions (stdlib only).

Modelled on supervisord's ProcessStates. ``desired`` is what a person asked for; ``status`` is
what is true; the supervisor makes status follow desired. Every change of status goes through
``check_transition`` (called by the one function that writes it), so an impossible jump is a bug
that shows up at once instead of a node stuck in a state nobody can leave.
"""

from __future__ import annotations

from enum import StrEnum


class NodeStatus(StrEnum):
    STOPPED = "stopped"  # no worker, nothing to do
    STARTING = "starting"  # worker spawned, no heartbeat yet
    RUNNING = "running"  # worker alive and heartbeating
    STOPPING = "stopping"  # SIGTERM sent / stop requested, waiting for the exit
    EXITED = "exited"  # worker died without being asked
    BACKOFF = "backoff"  # waiting before the next restart (exponential)
    FATAL = "fatal"  # too many fast crashes: no restart until a person acts
    LOST = "lost"  # the owning host's lease expired; the worker's fate is unknown
    SCHEDULED = "scheduled"  # outside its active hours: rests until next_start_at


class Desired(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


S = NodeStatus

# States in which a worker process may exist (and must be watched, stopped or adopted).
PROCESS_STATES = frozenset({S.STARTING, S.RUNNING, S.STOPPING})
# States from which the supervisor will spawn a worker when desired=running.
STARTABLE_STATES = frozenset({S.STOPPED, S.EXITED, S.BACKOFF, S.FATAL, S.LOST, S.SCHEDULED})
# States that mean "not doing anything and nothing will happen by itself".
AT_REST_STATES = frozenset({S.STOPPED, S.FATAL})

# → scheduled: a node wanted running that is outside its active hours (engine.fleet.schedule)
# rests there, from any state without a worker but fatal, and from a worker's exit: the end of
# its window (stopping) or of a run-once cycle (starting, running).
ALLOWED: dict[NodeStatus, frozenset[NodeStatus]] = {
    S.STOPPED: frozenset({S.STARTING, S.SCHEDULED}),
    # starting → stopped: the worker never came up and was cleaned (boot, kill)
    S.STARTING: frozenset({S.RUNNING, S.STOPPING, S.EXITED, S.STOPPED, S.LOST, S.SCHEDULED}),
    # running → stopped: found dead or foreign at boot and cleaned
    S.RUNNING: frozenset({S.STOPPING, S.EXITED, S.STOPPED, S.LOST, S.SCHEDULED}),
    S.STOPPING: frozenset({S.STOPPED, S.LOST, S.SCHEDULED}),
    S.EXITED: frozenset({S.BACKOFF, S.STARTING, S.STOPPED, S.FATAL, S.SCHEDULED}),
    S.BACKOFF: frozenset({S.STARTING, S.STOPPED, S.FATAL, S.SCHEDULED}),
    S.FATAL: frozenset({S.STARTING, S.STOPPED}),
    # lost → running: the host came back and adopted its live worker
    S.LOST: frozenset({S.STARTING, S.STOPPED, S.RUNNING, S.SCHEDULED}),
    # scheduled → starting: the window opened, or a run-once; → stopped: a stop request
    S.SCHEDULED: frozenset({S.STARTING, S.STOPPED}),
}


class TransitionError(ValueError):
    """An attempt to move a node between two states that are not connected."""


def can_transition(current: NodeStatus | str, new: NodeStatus | str) -> bool:
    return NodeStatus(new) in ALLOWED[NodeStatus(current)]


def check_transition(current: NodeStatus | str, new: NodeStatus | str) -> NodeStatus:
    """Return ``new`` as a NodeStatus, or raise TransitionError if it cannot follow ``current``."""
    cur, nxt = NodeStatus(current), NodeStatus(new)
    if nxt not in ALLOWED[cur]:
        allowed = ", ".join(sorted(ALLOWED[cur])) or "nothing"
        raise TransitionError(f"a node cannot go from {cur} to {nxt} (allowed: {allowed})")
    return nxt

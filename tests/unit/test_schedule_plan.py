"""The supervisor's decisions for active hours and run-once (pure, no processes)."""

from datetime import UTC, datetime

from engine.fleet.states import Desired, NodeStatus
from engine.protocol import EXIT_ONCE, EXIT_STOPPED
from engine.supervisor.plan import Defer, Drain, Forget, ProcView, Reschedule, SetState, Spawn, Term
from tests.unit.test_supervisor_plan import POLICY, alive, gone, kinds, node, run

S = NodeStatus
OPENS = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def outside(status=S.RUNNING, **kw):
    return node(status, in_window=False, window_opens_at=OPENS, **kw)


def scheduled_to(actions) -> SetState:
    last = actions[-1]
    assert isinstance(last, SetState) and last.status == S.SCHEDULED
    assert last.fields["next_start_at"] == OPENS
    assert last.fields["pid"] is None and last.fields["run_once"] is False
    return last


def test_no_worker_outside_the_window_rests_scheduled_with_its_next_start() -> None:

    for status in (S.STOPPED, S.EXITED, S.LOST, S.BACKOFF):
        actions = run(outside(status), ProcView())
        assert kinds(actions) == [S.SCHEDULED]
        scheduled_to(actions)
    # Resting: nothing to do while the row says the right time.
    assert run(outside(S.SCHEDULED, next_start_at=OPENS), ProcView()) == []


def test_scheduled_node_whose_window_moved_is_rescheduled() -> None:

    earlier = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert run(outside(S.SCHEDULED, next_start_at=earlier), ProcView()) == [Reschedule(OPENS)]


def test_window_opens_spawns_and_low_memory_defers() -> None:

    assert kinds(run(node(S.SCHEDULED), ProcView())) == [Spawn]
    assert kinds(run(node(S.SCHEDULED), ProcView(), memory_ok=False)) == [Defer]


def test_fatal_stays_fatal_outside_the_window() -> None:

    assert run(outside(S.FATAL), ProcView()) == []


def test_stop_request_for_a_scheduled_node_stops_it() -> None:

    n = node(S.SCHEDULED, desired=Desired.STOPPED, in_window=False, window_opens_at=OPENS)
    assert kinds(run(n, ProcView())) == [S.STOPPED]


def test_running_worker_at_the_window_close_is_drained_not_killed() -> None:
    actions = run(outside(S.RUNNING, heartbeat_age_s=1), alive())
    assert kinds(actions) == [Drain, S.STOPPING]
    # While it finishes its scrape: wait, then insist after the drain grace.
    stopping = outside(S.STOPPING, heartbeat_age_s=1)
    assert run(stopping, alive(drain_sent_age_s=5)) == []
    late = POLICY.drain_grace + 1
    assert kinds(run(stopping, alive(drain_sent_age_s=late))) == [Term]
    # Its exit: scheduled, not stopped.
    actions = run(stopping, gone(EXIT_STOPPED))
    assert kinds(actions) == [Forget, S.SCHEDULED]
    scheduled_to(actions)


def test_starting_worker_outside_the_window_is_stopped() -> None:
    assert kinds(run(outside(S.STARTING), alive(uptime_s=1))) == [Term, S.STOPPING]


def test_stop_requested_during_the_drain_ends_stopped() -> None:
    n = outside(S.STOPPING, desired=Desired.STOPPED, stop_requested=True)
    assert kinds(run(n, gone(EXIT_STOPPED))) == [Forget, S.STOPPED]


def test_run_once_spawns_a_stopped_or_scheduled_node() -> None:

    stopped = node(S.STOPPED, desired=Desired.STOPPED, run_once=True)
    assert kinds(run(stopped, ProcView())) == [Spawn]
    assert kinds(run(outside(S.SCHEDULED, run_once=True), ProcView())) == [Spawn]


def test_run_once_worker_is_not_stopped_by_desired_stopped_or_the_window() -> None:
    stopped = node(S.RUNNING, desired=Desired.STOPPED, run_once=True, heartbeat_age_s=1)
    assert run(stopped, alive()) == []
    assert run(outside(S.RUNNING, run_once=True, heartbeat_age_s=1), alive()) == []
    # A stop request still stops it.
    asked = node(
        S.RUNNING, desired=Desired.STOPPED, run_once=True, stop_requested=True, heartbeat_age_s=1
    )
    assert kinds(run(asked, alive())) == [Term, S.STOPPING]


def test_run_once_done_goes_back_to_its_state() -> None:
    stopped = node(S.RUNNING, desired=Desired.STOPPED, run_once=True)
    actions = run(stopped, gone(EXIT_ONCE))
    assert kinds(actions) == [Forget, S.STOPPED]
    assert actions[-1].fields["run_once"] is False  # type: ignore[union-attr]
    scheduled_to(run(outside(S.RUNNING, run_once=True), gone(EXIT_ONCE)))
    # Done before its first heartbeat was seen (a short cycle): the same.
    scheduled_to(run(outside(S.STARTING, run_once=True), gone(EXIT_ONCE)))
    # Its window opened meanwhile: stopped, and started normally on the next tick.
    assert kinds(run(node(S.RUNNING, run_once=True), gone(EXIT_ONCE))) == [Forget, S.STOPPED]


def test_run_once_that_crashes_is_not_retried() -> None:
    stopped = node(S.RUNNING, desired=Desired.STOPPED, run_once=True)
    assert kinds(run(stopped, gone(1))) == [Forget, S.EXITED, S.STOPPED]
    actions = run(outside(S.RUNNING, run_once=True), gone(1))
    assert kinds(actions) == [Forget, S.EXITED, S.SCHEDULED]

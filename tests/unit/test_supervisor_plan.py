"""The supervisor's decisions, as a pure function of the node row and its process."""

import pytest

from engine.fleet.rows import NOW, Later
from engine.fleet.states import Desired, NodeStatus, can_transition
from engine.protocol import EXIT_CONFIG, EXIT_RECYCLE
from engine.supervisor.plan import (
    ClearRequests,
    Defer,
    Forget,
    Kill,
    NodeView,
    Policy,
    ProcView,
    Recycle,
    ResetFastCrashes,
    SetState,
    Spawn,
    Term,
    plan,
)

S = NodeStatus
POLICY = Policy(
    stale_after=20, stop_grace=5, start_secs=5, start_retries=3, backoff_base=1, backoff_max=8
)


def node(status=S.RUNNING, desired=Desired.RUNNING, **kw):
    return NodeView(id=1, status=status, desired=desired, **kw)


def alive(**kw):
    return ProcView(state="alive", uptime_s=kw.pop("uptime_s", 100.0), **kw)


def gone(code=None, **kw):
    return ProcView(state="gone", exit_code=code, uptime_s=kw.pop("uptime_s", 100.0), **kw)


def kinds(actions):
    """Each action's type, or for a status change the status it moves to."""
    return [a.status if isinstance(a, SetState) else type(a) for a in actions]


def run(n, p, *, in_grace=False, memory_ok=True):
    actions = plan(n, p, POLICY, in_grace=in_grace, memory_ok=memory_ok)
    # Every status change the plan proposes must be a legal transition, in order.
    current = n.status
    for a in actions:
        if isinstance(a, SetState):
            assert can_transition(current, a.status), (current, a.status)
            current = a.status
    return actions


def test_stopped_and_wanted_running_spawns():
    assert kinds(run(node(S.STOPPED), ProcView())) == [Spawn]


def test_low_memory_defers_spawn():
    assert kinds(run(node(S.STOPPED), ProcView(), memory_ok=False)) == [Defer]


def test_first_heartbeat_means_running():
    actions = run(node(S.STARTING, has_heartbeat=True), alive(uptime_s=0.5))
    assert kinds(actions) == [S.RUNNING]


def test_starting_without_heartbeat_is_killed_after_stale_after():
    assert run(node(S.STARTING), alive(uptime_s=5)) == []
    assert kinds(run(node(S.STARTING), alive(uptime_s=25))) == [Kill]
    assert run(node(S.STARTING), alive(uptime_s=25), in_grace=True) == []


def test_stop_request_sends_sigterm_then_sigkill_after_grace():
    n = node(S.RUNNING, desired=Desired.STOPPED, stop_requested=True, heartbeat_age_s=1)
    assert kinds(run(n, alive())) == [Term, S.STOPPING]
    stopping = node(S.STOPPING, desired=Desired.STOPPED)
    assert run(stopping, alive(term_sent_age_s=1)) == []
    assert kinds(run(stopping, alive(term_sent_age_s=6))) == [Kill]
    # Adopted while stopping (supervisor restarted): SIGTERM again.
    assert kinds(run(stopping, alive())) == [Term]


def test_worker_exit_after_stop_is_stopped():
    actions = run(node(S.STOPPING, desired=Desired.STOPPED), gone(0))
    assert kinds(actions) == [Forget, S.STOPPED]
    assert actions[1].fields["pid"] is None and actions[1].fields["stopped_at"] is NOW


def test_worker_that_left_on_its_own_after_stop_request_is_stopped_not_crashed():
    actions = run(node(S.RUNNING, desired=Desired.STOPPED, stop_requested=True), gone(0))
    assert kinds(actions) == [Forget, S.STOPPED]


def test_kill_request():
    actions = run(node(S.RUNNING, desired=Desired.STOPPED, kill_requested=True), alive())
    assert kinds(actions) == [Kill, S.STOPPED]
    assert actions[0].on_request  # its exit is no crash
    # Once killed we only wait for the reaper; then just forget.
    assert run(node(S.STOPPED, desired=Desired.STOPPED), alive(kill_sent_age_s=0.1)) == []
    assert kinds(run(node(S.STOPPED, desired=Desired.STOPPED), alive(kill_sent_age_s=9))) == [Kill]
    done = run(node(S.STOPPED, desired=Desired.STOPPED), gone(-9, killed_on_request=True))
    assert kinds(done) == [Forget]


def test_stale_heartbeat_kills_unless_in_grace():
    stale = node(S.RUNNING, heartbeat_age_s=25, has_heartbeat=True)
    actions = run(stale, alive())
    assert kinds(actions) == [Kill] and "stale" in actions[0].reason
    assert not actions[0].on_request
    assert run(stale, alive(), in_grace=True) == []


def test_killed_for_staleness_then_gone_is_a_crash_with_backoff():
    actions = run(node(S.RUNNING), gone(-9, kill_reason="heartbeat stale for 25.0 s"))
    assert kinds(actions) == [Forget, S.EXITED, S.BACKOFF]
    assert "stale" in actions[1].reason
    assert actions[1].fields["restarts"] == 1


def test_crash_backoff_grows_then_fatal():
    delays = []
    crashes = 0
    for _ in range(POLICY.start_retries):
        actions = run(node(S.RUNNING, fast_crashes=crashes), gone(1, uptime_s=0.5))
        last = actions[-1]
        if last.status == S.FATAL:
            break
        assert last.status == S.BACKOFF
        delays.append(last.fields["next_start_at"].seconds)
        crashes = last.fields["fast_crashes"]
    assert delays == [1, 2]
    assert last.status == S.FATAL and last.level == "error"


def test_slow_crash_resets_the_fast_crash_count():
    actions = run(node(S.RUNNING, fast_crashes=2), gone(1, uptime_s=600))
    assert actions[-1].status == S.BACKOFF and actions[-1].fields["fast_crashes"] == 0
    assert actions[-1].fields["next_start_at"] == Later(POLICY.backoff_base)


def test_backoff_caps():
    assert POLICY.backoff(10) == POLICY.backoff_max


def test_config_error_goes_fatal_at_once():
    actions = run(node(S.STARTING), gone(EXIT_CONFIG, uptime_s=0.3))
    assert kinds(actions)[-1] == S.FATAL


def test_config_error_keeps_the_workers_reason():
    """The worker wrote why it cannot run to last_error, then last_exit: the plan keeps that
    reason (in the event) and never overwrites last_error with the exit code."""
    reason = "a proxy refers to ${PROXY_PASS}, which is not set in the supervisor's environment"
    n = node(S.STARTING, last_exit=EXIT_CONFIG, last_error=reason)
    actions = run(n, gone(EXIT_CONFIG, uptime_s=0.3))
    assert kinds(actions) == [Forget, S.EXITED, S.FATAL]
    exited = actions[1]
    assert exited.reason == f"cannot run: {reason}"
    assert "last_error" not in exited.fields
    assert exited.fields["last_exit"] == EXIT_CONFIG


def test_config_error_read_before_the_worker_wrote_names_the_code():
    """A row read before the worker's last writes (last_exit still cleared from the spawn):
    the event names the code, and last_error is left for the worker's reason."""
    n = node(S.STARTING, last_exit=None, last_error="linkedin: an old scrape error")
    actions = run(n, gone(EXIT_CONFIG, uptime_s=0.3))
    exited = actions[1]
    assert exited.reason == f"exited with code {EXIT_CONFIG} (the spec cannot run)"
    assert "last_error" not in exited.fields
    assert kinds(actions)[-1] == S.FATAL


def test_a_crash_still_records_its_code():
    actions = run(node(S.RUNNING, last_error="config"), gone(1, uptime_s=600))
    assert actions[1].fields["last_error"] == "exited with code 1"


def test_recycle_is_not_a_crash():
    actions = run(node(S.RUNNING), gone(EXIT_RECYCLE))
    assert kinds(actions) == [Forget, S.STOPPED]
    assert "recycled" in actions[1].reason


def test_backoff_waits_for_its_time():
    assert run(node(S.BACKOFF, start_due=False), ProcView()) == []
    assert kinds(run(node(S.BACKOFF, start_due=True), ProcView())) == [Spawn]


def test_fatal_stays_fatal():
    assert run(node(S.FATAL), ProcView()) == []


@pytest.mark.parametrize("status", [S.EXITED, S.BACKOFF, S.LOST])
def test_desired_stopped_settles_to_stopped(status):
    assert kinds(run(node(status, desired=Desired.STOPPED), ProcView())) == [S.STOPPED]


def test_memory_limit_recycles_through_a_graceful_stop():
    n = node(S.RUNNING, heartbeat_age_s=1, memory_limit_mb=100)
    actions = run(n, alive(rss_bytes=150 * 1024 * 1024))
    assert kinds(actions) == [Recycle]
    assert "memory_limit_mb of 100" in actions[0].reason
    # Under the limit: nothing.
    assert run(n, alive(rss_bytes=90 * 1024 * 1024)) == []


def test_recycling_worker_gets_its_grace_then_sigkill():
    n = node(S.RUNNING, heartbeat_age_s=1, memory_limit_mb=100)
    big = 150 * 1024 * 1024
    assert run(n, alive(rss_bytes=big, term_sent_age_s=1, kill_reason="recycled: memory")) == []
    late = run(n, alive(rss_bytes=big, term_sent_age_s=6, kill_reason="recycled: memory"))
    assert kinds(late) == [Kill]


def test_memory_recycle_restarts_like_a_crash_with_the_reason():
    n = node(S.RUNNING, heartbeat_age_s=1, restarts=2)
    why = "recycled: memory 150 MiB above the node's memory_limit_mb of 100"
    actions = run(n, gone(code=0, uptime_s=600, kill_reason=why))
    assert kinds(actions) == [Forget, S.EXITED, S.BACKOFF]
    assert actions[1].fields["restarts"] == 3 and actions[1].fields["last_error"] == why
    assert actions[2].fields["fast_crashes"] == 0


def test_memory_recycle_right_after_every_start_ends_fatal():
    why = "recycled: memory 150 MiB above the node's memory_limit_mb of 100"
    n = node(S.RUNNING, heartbeat_age_s=1, fast_crashes=POLICY.start_retries - 1)
    actions = run(n, gone(code=0, uptime_s=1, kill_reason=why))
    assert kinds(actions) == [Forget, S.EXITED, S.FATAL]
    assert why in actions[2].reason


def test_fast_crash_count_reset_after_start_secs():
    n = node(S.RUNNING, heartbeat_age_s=1, fast_crashes=2)
    assert kinds(run(n, alive(uptime_s=10))) == [ResetFastCrashes]
    assert run(n, alive(uptime_s=1)) == []


def test_stray_process_for_node_at_rest_is_killed():
    assert kinds(run(node(S.STOPPED, desired=Desired.STOPPED), alive())) == [Kill]


def test_lost_node_with_live_fresh_worker_is_running_again():
    n = node(S.LOST, has_heartbeat=True, heartbeat_age_s=1)
    assert kinds(run(n, alive())) == [S.RUNNING]


def test_sigkill_resend_has_nothing_new_to_report():
    actions = run(node(S.STOPPED, desired=Desired.STOPPED), alive(kill_sent_age_s=9))
    assert actions == [Kill(reason=None)]


def test_kill_request_for_a_stopped_node_only_clears_the_requests():
    n = node(S.STOPPED, desired=Desired.STOPPED, kill_requested=True)
    assert kinds(run(n, alive())) == [Kill, ClearRequests]


def test_plan_is_pure_and_imports_no_database_driver():
    import subprocess
    import sys

    code = "import sys, engine.supervisor.plan; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

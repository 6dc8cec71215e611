import pytest

from engine.fleet.states import (
    ALLOWED,
    NodeStatus,
    TransitionError,
    can_transition,
    check_transition,
)

S = NodeStatus


def test_every_status_has_a_way_out() -> None:
    for status in NodeStatus:
        assert ALLOWED[status], f"{status} would be a trap"


def test_every_status_is_reachable_from_stopped() -> None:
    seen, frontier = {S.STOPPED}, [S.STOPPED]
    while frontier:
        for nxt in ALLOWED[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(NodeStatus)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.STOPPED, S.STARTING),
        (S.STARTING, S.RUNNING),
        (S.RUNNING, S.STOPPING),
        (S.STOPPING, S.STOPPED),
        (S.RUNNING, S.EXITED),
        (S.EXITED, S.BACKOFF),
        (S.BACKOFF, S.STARTING),
        (S.BACKOFF, S.FATAL),
        (S.FATAL, S.STARTING),
        (S.RUNNING, S.LOST),
        (S.LOST, S.RUNNING),
    ],
)
def test_allowed_transitions(current: NodeStatus, new: NodeStatus) -> None:
    assert can_transition(current, new)
    assert check_transition(current.value, new.value) is new


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.STOPPED, S.RUNNING),  # must pass through starting
        (S.STOPPED, S.STOPPING),
        (S.FATAL, S.RUNNING),
        (S.STOPPING, S.RUNNING),
        (S.BACKOFF, S.RUNNING),
        (S.EXITED, S.RUNNING),
        (S.RUNNING, S.STARTING),
        (S.STOPPED, S.STOPPED),
    ],
)
def test_refused_transitions(current: NodeStatus, new: NodeStatus) -> None:
    assert not can_transition(current, new)
    with pytest.raises(TransitionError, match=f"from {current} to {new}"):
        check_transition(current, new)


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError):
        check_transition("running", "flying")

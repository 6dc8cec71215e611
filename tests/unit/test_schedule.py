"""Active hours: what a window means, around midnight and across daylight saving changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.fleet.schedule import ScheduleError, make_window, window_state
from engine.fleet.spec import SpecError, parse_spec

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


def test_cron_window_is_every_minute_the_expression_matches() -> None:
    w = make_window("* 8-20 * * 1-5", None, "Europe/Berlin")
    assert w is not None
    monday = (2026, 3, 30)
    assert not w.is_active(at(*monday, 7, 59, 59))
    assert w.is_active(at(*monday, 8, 0))
    assert w.is_active(at(*monday, 20, 59, 59))
    assert not w.is_active(at(*monday, 21, 0))
    assert not w.is_active(at(2026, 3, 28, 12, 0))  # a Saturday
    # Friday evening: the next start is Monday 08:00 local (after the clocks went forward).
    assert w.next_start(at(2026, 3, 27, 21, 0)) == at(*monday, 8, 0)
    # Active now: it is open now.
    now = at(*monday, 9, 30)
    assert w.next_start(now) == now


def test_cron_minute_field_narrows_to_single_minutes() -> None:
    w = make_window("0 8-20 * * *", None, None)
    assert w is not None
    assert w.is_active(datetime(2026, 1, 5, 8, 0, 30, tzinfo=UTC))
    assert not w.is_active(datetime(2026, 1, 5, 8, 1, tzinfo=UTC))
    assert w.next_start(datetime(2026, 1, 5, 8, 1, tzinfo=UTC)) == datetime(
        2026, 1, 5, 9, 0, tzinfo=UTC
    )


def test_daily_range_crossing_midnight() -> None:
    w = make_window(None, "22:00-06:00", "Europe/Berlin")
    assert w is not None
    assert w.is_active(at(2026, 6, 1, 23, 0))
    assert w.is_active(at(2026, 6, 2, 0, 0))
    assert w.is_active(at(2026, 6, 2, 5, 59))
    assert not w.is_active(at(2026, 6, 2, 6, 0))
    assert not w.is_active(at(2026, 6, 2, 21, 59))
    assert w.next_start(at(2026, 6, 2, 12, 0)) == at(2026, 6, 2, 22, 0)


def test_daily_range_end_is_excluded_and_next_start_is_tomorrow_after_it() -> None:
    w = make_window(None, "08:00-20:00", None)
    assert w is not None
    assert not w.is_active(datetime(2026, 1, 5, 20, 0, tzinfo=UTC))
    assert w.next_start(datetime(2026, 1, 5, 20, 0, tzinfo=UTC)) == datetime(
        2026, 1, 6, 8, 0, tzinfo=UTC
    )


def test_spring_forward_daily_start_in_the_gap_opens_at_the_jump() -> None:
    # 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    w = make_window(None, "02:30-04:00", "Europe/Berlin")
    assert w is not None
    opens = w.next_start(at(2026, 3, 29, 0, 0))
    assert opens == at(2026, 3, 29, 3, 0)
    assert w.is_active(opens)
    assert not w.is_active(at(2026, 3, 29, 1, 59))


def test_spring_forward_cron_minutes_in_the_gap_do_not_happen() -> None:
    w = make_window("* 2 * * *", None, "Europe/Berlin")
    assert w is not None
    assert not w.is_active(at(2026, 3, 29, 3, 0))
    assert w.next_start(at(2026, 3, 29, 0, 0)) == at(2026, 3, 30, 2, 0)


def test_fall_back_repeated_hour_is_in_the_window_both_times() -> None:
    # 2026-10-25 in Berlin: 03:00 CEST goes back to 02:00 CET; 02:xx happens twice.
    w = make_window("30-59 2 * * *", None, "Europe/Berlin")
    assert w is not None
    assert w.is_active(at(2026, 10, 25, 2, 40, fold=0))
    assert w.is_active(at(2026, 10, 25, 2, 40, fold=1))
    # Between the two: 02:00-02:29 of the second pass opens again at its 02:30.
    second = at(2026, 10, 25, 2, 0, fold=1)
    assert not w.is_active(second)
    assert w.next_start(second).astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_daily_window_follows_wall_clock_over_dst() -> None:
    w = make_window(None, "08:00-20:00", "Europe/Berlin")
    assert w is not None
    # 08:00 local is 07:00 UTC in winter and 06:00 UTC in summer.
    assert w.next_start(datetime(2026, 1, 5, 0, 0, tzinfo=UTC)) == datetime(
        2026, 1, 5, 7, 0, tzinfo=UTC
    )
    assert w.next_start(datetime(2026, 7, 6, 0, 0, tzinfo=UTC)) == datetime(
        2026, 7, 6, 6, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("cron", "active", "zone", "words"),
    [
        ("* * * *", None, None, "five cron fields"),
        ("61 * * * *", None, None, "not a valid cron"),
        ("* * 31 2 *", None, None, "never matches"),
        ("@daily", None, None, "five cron fields"),
        (None, "8-20", None, "HH:MM-HH:MM"),
        (None, "25:00-26:00", None, "HH:MM-HH:MM"),
        (None, "08:00-08:00", None, "same time"),
        (None, "08:00-20:00", "Mars/Olympus", "unknown time zone"),
        ("* * * * *", "08:00-20:00", None, "not both"),
    ],
)
def test_bad_windows_say_why(cron, active, zone, words) -> None:
    with pytest.raises(ScheduleError, match=words):
        make_window(cron, active, zone)


def test_spec_validates_the_window_and_names_the_field() -> None:
    base = {"name": "n", "search_term": "x", "country": "US", "locations": ["Austin"]}
    spec = parse_spec({**base, "schedule": "* 8-20 * * 1-5", "timezone": "Europe/Berlin"})
    assert spec.schedule == "* 8-20 * * 1-5"
    with pytest.raises(SpecError, match=r"schedule: .*not a valid cron"):
        parse_spec({**base, "schedule": "99 * * * *"})
    with pytest.raises(SpecError, match="timezone: only means something"):
        parse_spec({**base, "timezone": "UTC"})
    with pytest.raises(SpecError, match="active: active hours must look like"):
        parse_spec({**base, "active": "soon"})


def test_window_state_of_a_spec() -> None:
    spec = {"active": "08:00-20:00", "timezone": "UTC"}
    assert window_state(spec, datetime(2026, 1, 5, 9, 0, tzinfo=UTC)).in_window
    outside = window_state(spec, datetime(2026, 1, 5, 21, 0, tzinfo=UTC))
    assert not outside.in_window
    assert outside.window_opens_at == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert window_state({}, datetime(2026, 1, 5, 21, 0, tzinfo=UTC)).in_window
    # A stored window that no longer parses counts as none (the node runs).
    assert window_state({"schedule": "nonsense"}, datetime(2026, 1, 5, tzinfo=UTC)).in_window


def test_deploy_form_puts_window_errors_on_their_own_field() -> None:
    from tui.screens.deploy import validation_errors

    base = {"name": "n", "search_term": "x", "country": "US", "locations": ["Austin"]}
    errors = validation_errors({**base, "schedule": "0 25 * * *"})
    assert "not a valid cron expression" in errors["schedule"]
    errors = validation_errors({**base, "active": "22:00-06:00", "timezone": "Nowhere/Land"})
    assert "unknown time zone" in errors["timezone"]
    assert validation_errors({**base, "active": "22:00-06:00", "timezone": "Asia/Tokyo"}) == {}

"""Log lines that read well (issue 14): fields the message already says are not repeated, level
colours only for terminals, plain-word spec messages, and the log files' rotation."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.errors import UserError
from engine.fleet.events import format_event, paint_level, shown_fields, wants_colour
from engine.fleet.spec import parse_spec
from engine.supervisor.logfiles import rotate, rotate_all

SCRAPE = "London: 10 found, 10 new in 4.2 seconds (linkedin ok, indeed blocked)"


def test_the_message_says_it_so_the_fields_do_not() -> None:
    fields = {
        "location": "London",
        "found": 10,
        "new": 10,
        "seconds": 4.2,
        "outcomes": {"linkedin": "ok", "indeed": "blocked"},
    }
    assert shown_fields(SCRAPE, fields) == {}
    row = {"ts": datetime(2026, 1, 1, tzinfo=UTC), "level": "info", "node_id": 3,
           "event": "scrape_done", "message": SCRAPE, "fields": fields}  # fmt: skip
    assert format_event(row).endswith(f"node 3 scrape_done: {SCRAPE}")


@pytest.mark.parametrize(
    ("message", "fields", "shown"),
    [
        ("worker pid 12 started", {"pid": 12, "rss_mb": 50}, {"rss_mb": 50}),
        # A number is said only next to its own key: 10 found is not 10 seconds.
        ("10 found", {"found": 10, "seconds": 10}, {"seconds": 10}),
        ("done", {"found": 10}, {"found": 10}),
        ("linkedin: refused", {"site": "linkedin", "retry": True}, {"retry": True}),
        # A very short text counts only next to its key, and only as a whole word.
        ("see http://x now", {"site": "x"}, {"site": "x"}),
        ("site x refused", {"site": "x"}, {}),
        ("Londonderry", {"location": "London"}, {"location": "London"}),
        ("status running", {"error": "boom"}, {"error": "boom"}),
        ("a", {"outcomes": {"linkedin": "ok"}}, {"outcomes": {"linkedin": "ok"}}),
        ("b", {"empty": None, "none": []}, {}),
        ("found=7", {"found": 7}, {}),
        ("1.5 seconds", {"seconds": 1.5, "other": 1}, {"other": 1}),
        ("21.5 seconds", {"seconds": 1.5}, {"seconds": 1.5}),
    ],
)
def test_fields_the_message_does_not_tell_stay(
    message: str, fields: dict[str, object], shown: dict[str, object]
) -> None:
    assert shown_fields(message, fields) == shown


def test_colour_is_for_terminals_only(monkeypatch: pytest.MonkeyPatch) -> None:
    line = "12:00:00 error   node 1 boom: it broke"
    painted = paint_level(line, "error")
    assert painted.startswith("12:00:00 \x1b[1;31merror\x1b[0;31m") and painted.endswith("\x1b[0m")
    assert paint_level("12:00:00 info    x: y", "info") == "12:00:00 \x1b[32minfo\x1b[0m    x: y"
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert not wants_colour(io.StringIO())

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_colour(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert wants_colour(io.StringIO())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("results_wanted", 0, "results_wanted: a whole number from 1 to 1000"),
        ("results_wanted", "many", "results_wanted: a whole number from 1 to 1000"),
        ("cycle_minutes", -1, "cycle_minutes: a number from 0 to 10080"),
        ("memory_limit_mb", 1.5, "memory_limit_mb: a whole number from 64 to 65536"),
        ("sites", [], "sites: choose at least one"),
        ("search_term", None, "search_term: must be text"),
    ],
)
def test_spec_messages_are_plain_words(field: str, value: object, message: str) -> None:
    data = {"name": "n", "search_term": "python", "country": "DE", "locations": ["Berlin"]}
    with pytest.raises(UserError) as caught:
        parse_spec({**data, field: value})
    assert message in str(caught.value)
    assert "Input should" not in str(caught.value)


def test_log_files_rotate_by_size_under_a_cap(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "node-7.log"
    # The worker's descriptor, as the supervisor opens it: O_APPEND, so it writes at the new
    # end after a truncate (no hole of zeros).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for round_ in range(6):
            os.write(fd, f"round {round_} ".encode() + b"x" * 2000 + b"\n")
            assert rotate_all(logs, max_bytes=1000, keep=2) == 1
            assert path.stat().st_size == 0
        os.write(fd, b"after\n")
    finally:
        os.close(fd)
    assert path.read_bytes() == b"after\n"
    kept = sorted(p.name for p in logs.iterdir())
    assert kept == ["node-7.log", "node-7.log.1", "node-7.log.2"]
    assert (logs / "node-7.log.1").read_text().startswith("round 5 ")
    assert (logs / "node-7.log.2").read_text().startswith("round 4 ")
    assert oct((logs / "node-7.log.1").stat().st_mode & 0o777) == "0o600"
    assert not rotate(path, max_bytes=1000, keep=2)  # small: left alone
    # A lower cap removes the files past it.
    path.write_bytes(b"y" * 2000)
    assert rotate(path, max_bytes=1000, keep=1)
    assert sorted(p.name for p in logs.iterdir()) == ["node-7.log", "node-7.log.1"]

"""The field diff behind `jobfleet edit`, `apply` plans and "spec changed" events."""

from __future__ import annotations

from engine.fleet.history import FieldChange, describe_changes, spec_changes


def test_changes_follow_the_spec_field_order_and_skip_equal_values() -> None:
    old = {"name": "a", "search_term": "x", "results_wanted": 20, "country": "DE"}
    new = {"results_wanted": 50, "name": "a", "search_term": "y", "country": "DE"}
    changes = spec_changes(old, new)
    assert [c.field for c in changes] == ["search_term", "results_wanted"]
    assert describe_changes(changes) == "search_term 'x' -> 'y'; results_wanted 20 -> 50"
    assert spec_changes(old, dict(old)) == []
    first = spec_changes(None, {"name": "a"})
    assert first == [FieldChange("name", None, "a")] and first[0].describe() == "name none -> 'a'"


def test_short_lists_in_full_long_lists_as_additions_and_removals() -> None:
    assert FieldChange("locations", ["A"], ["B", "A"]).describe() == "locations ['A'] -> ['B', 'A']"
    old = [f"city{i}" for i in range(10)]
    new = [*old[2:], "Paris"]
    assert FieldChange("locations", old, new).describe() == "locations +'Paris' -'city0' -'city1'"
    assert FieldChange("locations", old, list(reversed(old))).describe() == "locations reordered"
    many = FieldChange("locations", [], [f"p{i}" for i in range(20)]).describe()
    assert many.endswith("and 12 more") and many.count("+") == 8


def test_values_are_shown_on_one_line_and_bounded() -> None:
    text = FieldChange("search_term", "a\nb", "c" * 500).describe()
    assert "\n" not in text and len(text) < 200

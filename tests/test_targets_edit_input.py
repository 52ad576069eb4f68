"""Building a target from form input: the rules the admin UI shares with the command line."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter import catalog
from exporter.targets.display import format_value, schedule_on_screen
from exporter.targets.edit_input import (
    FieldProblem,
    InputError,
    assemble,
    default_quantifier,
    field_problems,
    parse_file_value,
    parse_number,
    range_problem,
    ratio_reading,
    schedule_from_row,
    unseen_scope_value,
)
from exporter.targets.model import Quantifier, Schedule, Target, TimeRange
from tests.presets import calendar_yaml

CALENDAR = calendar_yaml("rome")  # only a time zone: on duty around the clock


def test_percent_input_is_exact() -> None:
    assert parse_number("85", "value", percent=True) == 0.85
    assert parse_number("57.5 %", "value", percent=True) == 0.575
    assert parse_number("7", "value", percent=True) == 0.07
    assert parse_number("300", "value") == 300.0


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "enter a number"), ("abc", "'abc' is not a number"), ("inf", "not a finite number"),
     ("1e999999", "is too large")],
)  # fmt: skip
def test_bad_numbers(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        parse_number(text, "value")
    assert raised.value.field == "value"


def test_a_form_row() -> None:
    row = schedule_from_row(0, {0, 1, 2, 3, 4}, "09:00", "17:00", "85", percent=True)
    assert row == Schedule(0.85, frozenset({0, 1, 2, 3, 4}), TimeRange(time(9), time(17)))
    assert schedule_on_screen(row) == "Mon-Fri 09:00-17:00"
    whole_day = schedule_from_row(1, {5, 6}, "00:00", "24:00", "70", percent=True)
    assert whole_day.hours is None and schedule_on_screen(whole_day) == "Sat, Sun"
    with pytest.raises(InputError, match="tick at least one day") as raised:
        schedule_from_row(2, set(), "", "", "70", percent=True)
    assert raised.value.field == "row-2"


def test_default_quantifier_follows_the_existing_target_then_the_kpi() -> None:
    aht = catalog.get("average_handle_time_seconds")
    assert default_quantifier(aht, None) is Quantifier.OR_LESS
    assert default_quantifier(catalog.get("service_level_ratio"), None) is Quantifier.OR_MORE
    existing = Target(aht.name, Quantifier.OR_MORE, (Schedule(1.0),))
    assert default_quantifier(aht, existing) is Quantifier.OR_MORE


def test_the_checks_problems_land_on_their_fields() -> None:
    target = assemble(
        "service_level_ratio", Quantifier.OR_LESS, (("channel", "voice"),), 1.5,
        [Schedule(0.9, frozenset({0}), TimeRange(time(9), time(12))),
         Schedule(0.8, frozenset({0}), TimeRange(time(11), time(13)))],
    )  # fmt: skip
    assert field_problems(target, CALENDAR) == [
        FieldProblem("quantifier", "or_less on service_level_ratio, where higher is better: "
                     "is this intended?", "warning"),
        FieldProblem("value", "value 1.5 is out of range for service_level_ratio: it must be "
                     "within 0..1 (ratio)"),
        FieldProblem("row-1", "schedule overlaps schedule 1 (both apply on mon 11:00)"),
    ]  # fmt: skip


def test_values_in_words() -> None:
    assert format_value(0.85, catalog.get("service_level_ratio")) == "85 %"
    assert format_value(300.0, catalog.get("average_handle_time_seconds")) == "300 s"
    assert format_value(4.25, catalog.get("customer_satisfaction_score")) == "4.25"


@pytest.mark.parametrize(
    ("text", "reading"),
    [("0.85", "85"), (" 0.5 ", "50"), (".075", "7.5"), ("0.0001", "0.01"), ("0.85%", None),
     ("0.85 %", None), ("1", None), ("0", None), ("85", None), ("-0.5", None), ("x", None),
     ("nan", None)],
)  # fmt: skip
def test_a_ratio_in_a_percent_field_has_a_percent_reading(text: str, reading: str | None) -> None:
    assert ratio_reading(text, percent=True) == reading
    assert ratio_reading(text, percent=False) is None  # seconds, scores: 0.85 is just 0.85


@given(st.decimals(min_value=0, max_value=1, places=4, allow_nan=False))
def test_the_percent_reading_is_the_ratio_times_100(number: object) -> None:
    text = str(number)
    reading = ratio_reading(text, percent=True)
    if reading is None:
        assert parse_number(text, "v") in (0.0, 1.0)
    else:
        assert parse_number(reading, "v", percent=True) == pytest.approx(float(text))


def test_range_problems_speak_the_forms_units() -> None:
    ratio, seconds = catalog.get("service_level_ratio"), catalog.get("average_handle_time_seconds")
    assert range_problem(1.5, ratio) == "150 % is over 100 %"
    assert range_problem(-0.05, ratio) == "-5 % is below 0 %"
    assert range_problem(-5, seconds) == "-5 s is below 0 s"
    assert range_problem(0.85, ratio) is None and range_problem(1e9, seconds) is None


def test_command_line_values_for_ratios_take_either_spelling() -> None:
    ratio, seconds = catalog.get("service_level_ratio"), catalog.get("average_handle_time_seconds")
    assert parse_file_value("85%", "--value", ratio) == 0.85
    assert parse_file_value(" 57.5 % ", "--value", ratio) == 0.575
    assert parse_file_value("0.85", "--value", ratio) == 0.85
    assert parse_file_value("1", "--value", ratio) == 1.0
    assert parse_file_value("300", "--value", seconds) == 300.0
    with pytest.raises(InputError, match=r"85 is over 1: write a ratio as 0\.85 or 85%"):
        parse_file_value("85", "--value", ratio)
    with pytest.raises(InputError, match="a % sign is for ratios only; give seconds"):
        parse_file_value("30%", "--value", seconds)


@given(st.text(max_size=20))
def test_command_line_values_are_a_number_or_a_located_error(text: str) -> None:
    for kpi in (catalog.get("service_level_ratio"), catalog.get("average_handle_time_seconds")):
        try:
            parse_file_value(text, "--value", kpi)
        except InputError as error:
            assert error.field == "--value" and error.message


def test_unseen_scope_values_suggest_the_closest_seen_one() -> None:
    seen = {"queue": {"sales", "support"}}
    assert unseen_scope_value("queue", "slaes", seen) == (
        "the exporter has never seen queue 'slaes': did you mean 'sales'?",
        "sales",
    )
    assert unseen_scope_value("queue", "zzz", seen) == (
        "the exporter has never seen queue 'zzz' (it has seen 'sales', 'support')",
        None,
    )
    assert unseen_scope_value("queue", "sales", seen) is None
    assert unseen_scope_value("team", "night", seen) is None  # nothing seen to compare with

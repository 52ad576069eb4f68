"""Building a target from form input: the rules the admin UI shares with the command line."""

from __future__ import annotations

from datetime import time

import pytest

from exporter import catalog
from exporter.targets.display import describe_schedule, format_value
from exporter.targets.edit_input import (
    FieldProblem,
    InputError,
    assemble,
    default_quantifier,
    field_problems,
    parse_number,
    schedule_from_row,
)
from exporter.targets.model import Quantifier, Schedule, Target, TimeRange

CALENDAR = "timezone: Europe/Rome\n"


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
    assert describe_schedule(row) == "Mon-Fri 09:00-17:00"
    whole_day = schedule_from_row(1, {5, 6}, "00:00", "24:00", "70", percent=True)
    assert whole_day.hours is None and describe_schedule(whole_day) == "Sat, Sun"
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

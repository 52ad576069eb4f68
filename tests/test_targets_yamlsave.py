"""Round-trip saving: one edit rewrites one target; comments, blank lines, numbers, order stay."""

from __future__ import annotations

import difflib
from datetime import time

from example_targets import example_text
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.targets.model import Quantifier, Schedule, Target, TimeRange
from exporter.targets.parse import parse_texts
from exporter.targets.yamlsave import replace_target

SHIPPED = example_text("targets.yaml")
CALENDAR = example_text("calendar.yaml")
VOICE = (("channel", "voice"),)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_changing_one_value_changes_one_line_of_the_shipped_file() -> None:
    chat = Target(
        "service_level_ratio", Quantifier.OR_MORE, (Schedule(0.92),), (("channel", "chat"),)
    )
    after = replace_target(SHIPPED, "service_level_ratio", chat.scope, chat)
    assert changed_lines(SHIPPED, after) == ["-      - value: 0.90", "+      - value: 0.92"]


def test_an_unchanged_value_keeps_its_spelling_and_its_comment() -> None:
    aht = Target("average_handle_time_seconds", Quantifier.OR_LESS, (Schedule(300.0),))
    assert replace_target(SHIPPED, aht.kpi, (), aht) == SHIPPED


def test_adding_a_schedule_keeps_the_blank_line_before_the_next_target() -> None:
    asa = Target(
        "average_speed_of_answer_seconds", Quantifier.OR_LESS,
        (Schedule(20.0), Schedule(15.0, frozenset({5, 6}))), VOICE,
    )  # fmt: skip
    after = replace_target(SHIPPED, asa.kpi, VOICE, asa)
    assert changed_lines(SHIPPED, after) == ["+      - days: [sat, sun]", "+        value: 15"]
    assert "        value: 15\n\n  - kpi: average_handle_time_seconds" in after


def test_deleting_a_target_removes_only_its_lines() -> None:
    after = replace_target(SHIPPED, "outbound_drop_ratio", (), None)
    assert changed_lines(SHIPPED, after) == [
        "-  - kpi: outbound_drop_ratio", "-    quantifier: or_less", "-    schedules:",
        "-      - value: 0.03", "-",
    ]  # fmt: skip


def test_deleting_the_last_target_keeps_the_lines_after_it() -> None:
    text = "targets:\n  - kpi: a\n    schedules:\n      - value: 1\n  - kpi: b\n    schedules:\n      - value: 2\n# the end\n"  # noqa: E501
    after = replace_target(text, "b", (), None)
    assert after == "targets:\n  - kpi: a\n    schedules:\n      - value: 1\n# the end\n"


def test_a_new_target_goes_at_the_end_in_the_documented_shape() -> None:
    new = Target(
        "abandonment_ratio", Quantifier.OR_LESS,
        (Schedule(0.04), Schedule(0.06, frozenset({0, 1, 2, 3, 4}), TimeRange(time(22), time(6)))),
        (("queue", "sales"),),
    )  # fmt: skip
    after = replace_target(SHIPPED, new.kpi, new.scope, new)
    assert after.startswith(SHIPPED)
    assert after[len(SHIPPED) :] == (
        "  - kpi: abandonment_ratio\n    scope: {queue: sales}\n    quantifier: or_less\n"
        '    schedules:\n      - value: 0.04\n      - days: [mon-fri]\n        from: "22:00"\n'
        '        to: "06:00"\n        value: 0.06\n'
    )


def test_an_empty_list_becomes_a_block_list() -> None:
    new = Target("abandonment_ratio", Quantifier.OR_LESS, (Schedule(0.05),))
    assert replace_target("# mine\ntargets: []\n", new.kpi, (), new) == (
        "# mine\ntargets:\n  - kpi: abandonment_ratio\n    quantifier: or_less\n"
        "    schedules:\n      - value: 0.05\n"
    )


_values = st.floats(min_value=0, max_value=1, allow_nan=False).map(lambda v: round(v, 3))
_days = st.frozensets(st.integers(0, 6), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(value=_values, timed=st.lists(st.tuples(_days, _values), max_size=1), delete=st.booleans())
def test_any_edit_reads_back_as_saved_and_leaves_the_other_targets_alone(
    value: float, timed: list[tuple[frozenset[int], float]], delete: bool
) -> None:
    schedules = (Schedule(value), *(Schedule(v, days) for days, v in timed))
    edited = Target("service_level_ratio", Quantifier.OR_MORE, schedules, VOICE)
    after = replace_target(SHIPPED, edited.kpi, VOICE, None if delete else edited)
    before_set = parse_texts(SHIPPED, CALENDAR.split("exceptions:")[0]).target_set
    after_set = parse_texts(after, CALENDAR.split("exceptions:")[0]).target_set
    assert before_set is not None and after_set is not None

    def key(t: Target) -> tuple[str, tuple[tuple[str, str], ...]]:
        return (t.kpi, t.scope)

    others_before = [
        (key(t), t.schedules) for t in before_set.targets if key(t) != (edited.kpi, VOICE)
    ]
    others_after = [
        (key(t), t.schedules) for t in after_set.targets if key(t) != (edited.kpi, VOICE)
    ]
    assert [(k, [(s.value, s.days, s.hours) for s in ss]) for k, ss in others_before] == [
        (k, [(s.value, s.days, s.hours) for s in ss]) for k, ss in others_after
    ]
    mine = [t for t in after_set.targets if key(t) == (edited.kpi, VOICE)]
    if delete:
        assert mine == []
    else:
        assert [(s.value, s.days, s.hours) for s in mine[0].schedules] == [
            (s.value, s.days, s.hours) for s in schedules
        ]
    assert after.startswith(SHIPPED[: SHIPPED.index("targets:")])  # the header comment stays

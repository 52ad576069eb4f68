"""targets.yaml and calendar.yaml validation: every refusal names the file, line and reason."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from pathlib import Path
from textwrap import dedent

import pytest
from example_targets import copy_example_targets

from exporter.targets.model import Quantifier, Schedule, Target, TimeRange
from exporter.targets.parse import Problem, dump_targets, load_dir, parse_texts
from tests.presets import calendar_yaml

CALENDAR = calendar_yaml("rome")  # only a time zone: on duty around the clock
AHT = dedent(
    """\
    targets:
      - kpi: average_handle_time_seconds
        quantifier: or_less
        schedules:
          - value: 300
    """
)


def problems(targets: str, calendar: str = CALENDAR) -> list[str]:
    return [str(problem) for problem in parse_texts(dedent(targets), dedent(calendar)).problems]


def one_target(body: str) -> str:
    """A targets file with one target whose lines are ``body`` (the target starts on line 2)."""
    return "targets:\n" + dedent(body)


# (targets.yaml, calendar.yaml, the one expected problem: "file:line: severity: " + fragment)
REFUSALS = [
    pytest.param(
        "targets: [\n  - kpi: x\n",
        CALENDAR,
        "targets.yaml:2: error: malformed YAML",
        id="malformed-targets",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions: [\n",
        "calendar.yaml:3: error: malformed YAML",
        id="malformed-calendar",
    ),
    pytest.param(
        "- just\n- a list\n",
        CALENDAR,
        "targets.yaml:1: error: the file must be a mapping, not a list",
        id="not-a-mapping",
    ),
    pytest.param("", CALENDAR, "targets.yaml:1: error: empty file", id="empty-targets"),
    pytest.param(
        "target: []\n",
        CALENDAR,
        "targets.yaml:1: error: unknown key 'target' in the file (did you mean 'targets'?)",
        id="typo-top-key",
    ),
    pytest.param(
        "targets: {kpi: x}\n",
        CALENDAR,
        "targets.yaml:1: error: 'targets' must be a list, not a mapping",
        id="targets-not-list",
    ),
    pytest.param(
        one_target("""\
          - kpi: average_handle_time_seconds
            quantifier: or_less
        """),
        CALENDAR,
        "targets.yaml:2: error: a target is missing 'schedules'",
        id="missing-schedules",
    ),
    pytest.param(
        one_target("""\
          - kpi: average_handle_time_seconds
            quantifer: or_less
            schedules: [{value: 300}]
        """),
        CALENDAR,
        "targets.yaml:3: error: unknown key 'quantifer' in a target (did you mean 'quantifier'?)",
        id="typo-target-key",
    ),
    pytest.param(
        one_target("""\
          - kpi: average_handle_time_seconds
            quantifier: or_less
            schedules:
              - value: 300
                form: "09:00"
        """),
        CALENDAR,
        "targets.yaml:6: error: unknown key 'form' in a schedule (did you mean 'from'?)",
        id="typo-schedule-key",
    ),
    pytest.param(
        one_target("""\
          - kpi: average_handle_tme_seconds
            quantifier: or_less
            schedules: [{value: 300}]
        """),
        CALENDAR,
        "targets.yaml:2: error: unknown KPI 'average_handle_tme_seconds' (did you mean "
        "'average_handle_time_seconds'",
        id="unknown-kpi",
    ),
    pytest.param(
        one_target("""\
          - kpi: ai_customer_experience_score
            quantifier: or_more
            schedules: [{value: 80}]
        """),
        CALENDAR,
        "targets.yaml:2: error: ai_customer_experience_score is an AI-scored "
        "customer-experience score and is not eligible for targets",
        id="ineligible-kpi",
    ),
    pytest.param(
        one_target("""\
          - kpi: occupancy_ratio
            scope: {queue: sales}
            quantifier: or_less
            schedules: [{value: 0.85}]
        """),
        CALENDAR,
        "targets.yaml:3: error: scope label 'queue' is not one occupancy_ratio is published "
        "by: use agent, team",
        id="scope-label-not-published",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            scope: {chanel: voice}
            quantifier: or_more
            schedules: [{value: 0.8}]
        """),
        CALENDAR,
        "(did you mean 'channel'?)",
        id="scope-label-typo",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            scope: {channel: ""}
            quantifier: or_more
            schedules: [{value: 0.8}]
        """),
        CALENDAR,
        "targets.yaml:3: error: scope channel must be a non-empty name",
        id="empty-scope-value",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: at_least
            schedules: [{value: 0.8}]
        """),
        CALENDAR,
        "targets.yaml:3: error: bad quantifier 'at_least': expected or_more or or_less",
        id="bad-quantifier",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules: [{value: 1.2}]
        """),
        CALENDAR,
        "targets.yaml:4: error: value 1.2 is out of range for service_level_ratio: it must be "
        "within 0..1 (ratio)",
        id="ratio-over-1",
    ),
    pytest.param(
        one_target("""\
          - kpi: average_handle_time_seconds
            quantifier: or_less
            schedules: [{value: -5}]
        """),
        CALENDAR,
        "targets.yaml:4: error: value -5 is out of range for average_handle_time_seconds: it "
        "must be at least 0 (seconds)",
        id="negative-seconds",
    ),
    pytest.param(
        one_target("""\
          - kpi: customer_satisfaction_score
            quantifier: or_more
            schedules:
              - value: 5.5
        """),
        CALENDAR,
        "targets.yaml:5: error: value 5.5 is out of range for customer_satisfaction_score: it "
        "must be within 1..5 (score)",
        id="csat-over-5",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules: [{value: 80%}]
        """),
        CALENDAR,
        "targets.yaml:4: error: value must be a number, not '80%': write ratios between 0 and 1",
        id="percent-text",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules: [{value: .nan}]
        """),
        CALENDAR,
        "targets.yaml:4: error: value must be a finite number",
        id="nan",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules: []
        """),
        CALENDAR,
        "targets.yaml:4: error: 'schedules' is empty",
        id="no-schedules",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - days: [mon, tues]
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:5: error: unknown day 'tues': use mon, tue, wed, thu, fri, sat, sun or "
        "a range like mon-fri (did you mean 'tue'?)",
        id="unknown-day",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - days: [mon-fry]
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:5: error: unknown day 'fry'",
        id="unknown-day-in-range",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - from: "9am"
                to: "17:00"
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:5: error: 'from': bad time '9am': expected HH:MM",
        id="time-not-hhmm",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - from: "09:00"
                to: "25:00"
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:6: error: 'to': bad time '25:00': hour 25 is over 23",
        id="hour-over-23",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - from: "09:60"
                to: "10:00"
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:5: error: 'from': bad time '09:60': minute 60 is over 59",
        id="minute-over-59",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - from: "24:00"
                to: "06:00"
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:5: error: 'from': \"24:00\" may only end a time range",
        id="24-as-from",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - from: "09:00"
                value: 0.8
        """),
        CALENDAR,
        "targets.yaml:5: error: a schedule with 'from' also needs 'to'",
        id="from-without-to",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - {days: [mon-fri], from: "09:00", to: "17:00", value: 0.85}
              - {days: [fri], from: "16:30", to: "20:00", value: 0.9}
        """),
        CALENDAR,
        "targets.yaml:6: error: schedule overlaps the schedule at line 5 (both apply on fri 16:30)",
        id="overlap-same-day",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - {days: [mon], from: "22:00", to: "06:00", value: 0.85}
              - {days: [tue], from: "05:00", to: "07:00", value: 0.9}
        """),
        CALENDAR,
        "targets.yaml:6: error: schedule overlaps the schedule at line 5 (both apply on tue 05:00)",
        id="overlap-across-midnight",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - {days: [sun], from: "23:00", to: "01:00", value: 0.85}
              - {days: [mon], value: 0.9}
        """),
        CALENDAR,
        "targets.yaml:6: error: schedule overlaps the schedule at line 5 (both apply on mon 00:00)",
        id="overlap-week-wrap-whole-day",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - {from: "12:00", to: "13:00", value: 0.85}
              - {days: [sat, sun], value: 0.9}
        """),
        CALENDAR,
        "targets.yaml:6: error: schedule overlaps the schedule at line 5 (both apply on sat 12:00)",
        id="overlap-every-day-vs-whole-days",
    ),
    pytest.param(
        one_target("""\
          - kpi: service_level_ratio
            quantifier: or_more
            schedules:
              - value: 0.8
              - value: 0.9
        """),
        CALENDAR,
        "targets.yaml:6: error: a second at-all-times schedule (the first is at line 5)",
        id="two-at-all-times",
    ),
    pytest.param(
        dedent("""\
        targets:
          - kpi: abandonment_ratio
            scope: {channel: voice}
            quantifier: or_less
            schedules: [{value: 0.05}]
          - kpi: abandonment_ratio
            scope: {channel: voice}
            quantifier: or_less
            schedules: [{value: 0.04}]
        """),
        CALENDAR,
        "targets.yaml:6: error: a second target for abandonment_ratio with scope "
        "channel=voice (the first is at line 2)",
        id="duplicate-kpi-scope",
    ),
    pytest.param(
        one_target("""\
          - kpi: abandonment_ratio
            quantifier: or_less
            quantifier: or_more
            schedules: [{value: 0.05}]
        """),
        CALENDAR,
        "targets.yaml:4: error: duplicate key 'quantifier' (first at line 3)",
        id="duplicate-key",
    ),
    pytest.param(
        AHT,
        "{}\n",
        "calendar.yaml:1: error: the calendar is missing 'timezone'",
        id="missing-timezone",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Roma\n",
        "calendar.yaml:1: error: unknown time zone 'Europe/Roma': use an IANA name like "
        "Europe/Rome (did you mean 'Europe/Rome'?)",
        id="unknown-timezone",
    ),
    pytest.param(
        AHT,
        'timezone: Europe/Rome\noperating_hours:\n  default: {mon-fri: "08:00-20:00", fri: '
        '"09:00-13:00"}\n',
        "calendar.yaml:3: error: operating hours of default: fri is already given at line 3",
        id="day-twice-in-hours",
    ),
    pytest.param(
        AHT,
        'timezone: Europe/Rome\noperating_hours:\n  default:\n    mon-fri: "08:00-20"\n',
        "calendar.yaml:4: error: operating hours of default: bad time '20'",
        id="bad-hours-range",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\noperating_hours:\n  teams:\n    blue:\n      mon-frj: "
        '"08:00-20:00"\n',
        "calendar.yaml:5: error: operating hours of team blue: unknown day 'frj'",
        id="bad-team-day",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\noperating_hours:\n  tems: {}\n",
        "calendar.yaml:3: error: unknown key 'tems' in 'operating_hours' (did you mean 'teams'?)",
        id="typo-operating-hours-key",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 2026-02-30, name: X, closed: true}\n",
        "calendar.yaml:3: error: bad date '2026-02-30': day is out of range for month",
        id="impossible-date",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 25/12/2026, name: X, closed: true}\n",
        "calendar.yaml:3: error: bad date '25/12/2026': expected YYYY-MM-DD",
        id="bad-date-format",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 2026-12-25 10:00:00, name: X, closed: "
        "true}\n",
        "calendar.yaml:3: error: 'date' must be a date YYYY-MM-DD, not a date and time",
        id="datetime-not-date",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 2026-12-25, name: Christmas, closed: "
        'true}\n  - {date: 2026-12-25, name: Again, hours: "08:00-12:00"}\n',
        "calendar.yaml:4: error: a second exception on 2026-12-25 (the first is at line 3)",
        id="duplicate-exception-date",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 2026-12-25, name: Christmas, closed: "
        'true, hours: "08:00-12:00"}\n',
        "calendar.yaml:3: error: an exception is either closed or has special hours, not both",
        id="closed-and-hours",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 2026-12-25, name: Christmas}\n",
        "calendar.yaml:3: error: an exception needs 'closed: true', special 'hours' or 'values'",
        id="exception-does-nothing",
    ),
    pytest.param(
        AHT,
        "timezone: Europe/Rome\nexceptions:\n  - {date: 2026-12-25, closed: true}\n",
        "calendar.yaml:3: error: an exception is missing 'name'",
        id="exception-without-name",
    ),
    pytest.param(
        AHT,
        dedent("""\
        timezone: Europe/Rome
        exceptions:
          - date: 2026-12-24
            name: Christmas Eve
            values:
              - {kpi: average_handle_time_seconds, scope: {channel: voice}, value: 400}
        """),
        "calendar.yaml:6: error: no target for average_handle_time_seconds with scope "
        "channel=voice in targets.yaml",
        id="exception-value-no-target",
    ),
    pytest.param(
        AHT,
        dedent("""\
        timezone: Europe/Rome
        exceptions:
          - date: 2026-12-24
            name: Christmas Eve
            values:
              - {kpi: average_handle_time_seconds, value: -1}
        """),
        "calendar.yaml:6: error: value -1 is out of range for average_handle_time_seconds",
        id="exception-value-out-of-range",
    ),
]


@pytest.mark.parametrize(("targets", "calendar", "expected"), REFUSALS)
def test_each_refusal_names_file_line_and_reason(
    targets: str, calendar: str, expected: str
) -> None:
    result = parse_texts(targets, calendar)
    assert result.target_set is None
    assert not result.ok
    found = [str(problem) for problem in result.problems]
    if expected.startswith("("):  # a fragment only: the line is pinned by another case
        assert any(expected in message for message in found), found
    else:
        assert any(message.startswith(expected) for message in found), found


def test_every_problem_is_listed_not_just_the_first() -> None:
    found = problems(
        """\
        targets:
          - kpi: nope_ratio
            quantifier: or_more
            schedules: [{value: 0.5}]
          - kpi: service_level_ratio
            quantifier: sometimes
            schedules: [{value: 2}]
        """,
        "timezone: Mars/Olympus\n",
    )
    assert [message.split(": ")[0] + ": " + message.split(": ")[1] for message in found] == [
        "targets.yaml:2: error",
        "targets.yaml:6: error",
        "targets.yaml:7: error",
        "calendar.yaml:1: error",
    ]


def test_quantifier_against_natural_direction_is_a_warning_only() -> None:
    result = parse_texts(
        one_target(
            """\
              - kpi: service_level_ratio
                quantifier: or_less
                schedules: [{value: 0.2}]
              - kpi: abandonment_ratio
                quantifier: or_more
                schedules: [{value: 0.01}]
              - kpi: occupancy_ratio
                quantifier: or_more
                schedules: [{value: 0.7}]
            """
        ),
        CALENDAR,
    )
    assert result.ok and result.target_set is not None
    # occupancy_ratio is a BAND KPI: either quantifier is fine, so only two warnings
    assert [str(problem) for problem in result.warnings] == [
        "targets.yaml:3: warning: or_less on service_level_ratio, where higher is better: "
        "is this intended?",
        "targets.yaml:6: warning: or_more on abandonment_ratio, where lower is better: "
        "is this intended?",
    ]


def test_values_on_a_closed_date_warn() -> None:
    result = parse_texts(
        AHT,
        dedent(
            """\
            timezone: Europe/Rome
            exceptions:
              - date: 2026-12-25
                name: Christmas
                closed: true
                values: [{kpi: average_handle_time_seconds, value: 200}]
            """
        ),
    )
    assert result.ok
    assert [str(problem) for problem in result.warnings] == [
        "calendar.yaml:6: warning: values on a closed date never apply: "
        "no target is in force when closed"
    ]


def test_problem_prints_as_file_line_severity_message() -> None:
    assert str(Problem("targets/targets.yaml", 12, "bad thing")) == (
        "targets/targets.yaml:12: error: bad thing"
    )


def test_documented_shape_parses_to_the_model() -> None:
    result = parse_texts(
        dedent(
            """\
            targets:
              - kpi: service_level_ratio
                scope: {channel: voice}
                quantifier: or_more
                schedules:
                  - value: 0.80
                  - days: [mon, tue, wed, thu, fri]
                    from: "09:00"
                    to: "17:00"
                    value: 0.85
                  - days: "sat,sun"
                    from: "10:00"
                    to: "12:00"
                    value: 0.7
                  - from: 22:00
                    to: "24:00"
                    value: 0.75
            """
        ),
        dedent(
            """\
            timezone: Europe/Rome
            operating_hours:
              default: {mon-fri: "08:00-20:00", "sat,sun": ["09:00-13:00", "22:00-02:00"]}
              teams: {night: {mon-sun: "22:00-06:00"}}
              queues: {100: {mon: "00:00-24:00"}}
            exceptions:
              - {date: 2026-12-25, name: Christmas, closed: true}
              - date: 2026-12-24
                name: Christmas Eve
                hours: "08:00-13:00"
                values: [{kpi: service_level_ratio, scope: {channel: voice}, value: 0.7}]
            """
        ),
    )
    assert result.problems == []
    assert result.target_set is not None
    (target,) = result.target_set.targets
    assert target == Target(
        kpi="service_level_ratio",
        quantifier=Quantifier.OR_MORE,
        scope=(("channel", "voice"),),
        line=2,
        schedules=(
            Schedule(0.8, None, None, line=6),
            Schedule(0.85, frozenset({0, 1, 2, 3, 4}), TimeRange(time(9), time(17)), line=7),
            Schedule(0.7, frozenset({5, 6}), TimeRange(time(10), time(12)), line=11),
            # unquoted 22:00 is a time (not YAML 1.1's base-60 integer 1320); 24:00 is midnight
            Schedule(0.75, None, TimeRange(time(22), time(0)), line=15),
        ),
    )
    calendar = result.target_set.calendar
    assert calendar.timezone.key == "Europe/Rome"
    hours = calendar.operating_hours
    assert hours.default is not None
    assert hours.default[4] == (TimeRange(time(8), time(20)),)
    assert hours.default[6] == (TimeRange(time(9), time(13)), TimeRange(time(22), time(2)))
    assert sorted(hours.default) == [0, 1, 2, 3, 4, 5, 6]
    assert sorted(hours.teams["night"]) == [0, 1, 2, 3, 4, 5, 6]
    assert hours.queues["100"] == {0: (TimeRange(time(0), time(0)),)}  # unquoted 100 -> "100"
    eve = calendar.exceptions[date(2026, 12, 24)]
    assert (eve.name, eve.closed, eve.hours) == (
        "Christmas Eve",
        False,
        (TimeRange(time(8), time(13)),),
    )
    assert [(value.kpi, value.scope, value.value) for value in eve.values] == [
        ("service_level_ratio", (("channel", "voice"),), 0.7)
    ]
    assert calendar.exceptions[date(2026, 12, 25)].closed


def test_no_operating_hours_and_no_exceptions_is_valid() -> None:
    result = parse_texts("targets: []\n", CALENDAR)
    assert result.problems == []
    assert result.target_set is not None
    assert result.target_set.targets == ()
    assert result.target_set.calendar.operating_hours.default is None


def strip_lines(target: Target) -> Target:
    return dataclasses.replace(
        target,
        line=0,
        schedules=tuple(dataclasses.replace(schedule, line=0) for schedule in target.schedules),
    )


def test_dump_targets_round_trips() -> None:
    targets = (
        Target(
            "service_level_ratio",
            Quantifier.OR_MORE,
            (
                Schedule(0.8),
                Schedule(0.85, frozenset({0, 1, 2, 3, 4}), TimeRange(time(9), time(17))),
                Schedule(0.9, frozenset({5, 6}), None),
                Schedule(0.75, frozenset({4}), TimeRange(time(20), time(0))),
            ),
            (("channel", "voice"), ("queue", "yes")),  # "yes" must stay text, not true
        ),
        Target("average_handle_time_seconds", Quantifier.OR_LESS, (Schedule(300.0),)),
        Target(
            "abandonment_ratio",
            Quantifier.OR_LESS,
            (Schedule(0.00001, None, TimeRange(time(22), time(6))),),  # 1e-05 needs a dot in YAML
            (("queue", "Sales & Support: EU"),),
        ),
    )
    text = dump_targets(targets)
    result = parse_texts(text, CALENDAR)
    assert result.problems == []
    assert result.target_set is not None
    assert tuple(map(strip_lines, result.target_set.targets)) == targets
    assert dump_targets(result.target_set.targets) == text
    assert dump_targets([]) == "targets: []\n"


def test_dump_targets_writes_the_documented_shape() -> None:
    target = Target(
        "service_level_ratio",
        Quantifier.OR_MORE,
        (Schedule(0.8), Schedule(0.85, frozenset({0, 1, 2, 3, 4}), TimeRange(time(9), time(17)))),
        (("channel", "voice"),),
    )
    assert dump_targets([target]) == dedent(
        """\
        targets:
          - kpi: service_level_ratio
            scope: {channel: voice}
            quantifier: or_more
            schedules:
              - value: 0.8
              - days: [mon-fri]
                from: "09:00"
                to: "17:00"
                value: 0.85
        """
    )


def test_load_dir_names_files_by_path(tmp_path: Path) -> None:
    (tmp_path / "targets.yaml").write_text("targets: []\n", encoding="utf-8")
    (tmp_path / "calendar.yaml").write_text("timezone: Nowhere/Land\n", encoding="utf-8")
    result = load_dir(tmp_path)
    assert [str(problem) for problem in result.problems] == [
        f"{tmp_path / 'calendar.yaml'}:1: error: unknown time zone 'Nowhere/Land': "
        "use an IANA name like Europe/Rome"
    ]


def test_load_dir_refuses_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "targets.yaml").write_text("targets: []\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"calendar\.yaml: no such file"):
        load_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such targets directory"):
        load_dir(tmp_path / "missing")


def test_load_dir_reports_non_utf8_text(tmp_path: Path) -> None:
    (tmp_path / "targets.yaml").write_bytes(b"targets: []\n# caf\xe9\n")
    (tmp_path / "calendar.yaml").write_text(CALENDAR, encoding="utf-8")
    result = load_dir(tmp_path)
    assert [problem.line for problem in result.problems] == [1]
    assert "not UTF-8 text" in result.problems[0].message


def test_default_files_are_valid_without_warnings(tmp_path: Path) -> None:
    result = load_dir(copy_example_targets(tmp_path / "targets"))
    assert result.problems == []
    assert result.target_set is not None

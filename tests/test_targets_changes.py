"""What changed between two versions of the files, as the audit log words an outside change."""

from __future__ import annotations

from exporter.targets.changes import changes_between
from exporter.targets.model import Quantifier, Schedule, Target
from tests.presets import calendar_yaml

AHT = Target("average_handle_time_seconds", Quantifier.OR_LESS, (Schedule(300.0),))
VOICE = Target("service_level_ratio", Quantifier.OR_MORE, (Schedule(0.8),), (("channel", "voice"),))
CALENDAR = calendar_yaml("rome")  # only a time zone: on duty around the clock


def test_each_changed_target_and_the_calendar() -> None:
    faster = Target(AHT.kpi, AHT.quantifier, (Schedule(240.0),))
    changes = changes_between((AHT, VOICE), CALENDAR, (faster,), "timezone: UTC\n")
    assert changes == [
        ("average_handle_time_seconds", (),
         {"kpi": "average_handle_time_seconds", "quantifier": "or_less",
          "schedules": [{"value": 300}]},
         {"kpi": "average_handle_time_seconds", "quantifier": "or_less",
          "schedules": [{"value": 240}]}),
        ("service_level_ratio", (("channel", "voice"),),
         {"kpi": "service_level_ratio", "scope": {"channel": "voice"}, "quantifier": "or_more",
          "schedules": [{"value": 0.8}]},
         None),
        ("", (), {"timezone": "Europe/Rome"}, {"timezone": "UTC"}),
    ]  # fmt: skip


def test_comments_or_layout_only() -> None:
    assert changes_between((AHT,), CALENDAR, (AHT,), "# hi\n" + CALENDAR) == [("", (), None, None)]

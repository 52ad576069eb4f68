"""Scopes known before any event: their counters start at 0, so increase() counts the first contact.

(The end-to-end check, counters at 0 in the first scrapes of a real exporter, is in
``test_dashboards_ranges.py``.)
"""

from __future__ import annotations

from exporter.serve import _known_scopes
from exporter.sources.simulator import SimulatorSource
from exporter.targets.parse import parse_texts
from tests.presets import calendar_yaml, targets_yaml

# Service level of voice in vip, of vip alone, and the outbound drop ratio of the winback campaign.
TARGETS = targets_yaml("known_scopes")


def test_the_simulator_knows_its_queues_agents_and_campaign() -> None:
    scopes = SimulatorSource().known_scopes()
    queues = [s for s in scopes if set(s) == {"queue", "channel"}]
    assert queues == [
        {"queue": "sales", "channel": "voice"},
        {"queue": "support", "channel": "voice"},
        {"queue": "chat", "channel": "chat"},
        {"queue": "email", "channel": "email"},
    ]
    assert {"queue": "sales", "channel": "voice", "team": "blue", "agent": "blue-01"} in scopes
    assert [s for s in scopes if "campaign" in s] == [{"campaign": "renewals"}]


def test_targets_naming_a_queue_and_channel_or_a_campaign_are_known() -> None:
    parsed = parse_texts(TARGETS, calendar_yaml("utc"))
    assert parsed.target_set is not None
    # A queue without its channel cannot name a counter (they carry both): left out.
    assert _known_scopes([], parsed.target_set) == [
        {"queue": "vip", "channel": "voice"},
        {"campaign": "winback"},
    ]

"""Every catalog KPI at every scope level, from one hand-made hour of events (UTC, 10:00-11:00).

Thresholds: voice 20 s, chat 30 s; short abandon <= 5 s. Contacts (W = answered within T):

    cid  queue    channel  outcome   wait  notes
    c1   sales    voice    answered  10    W
    c2   sales    voice    answered  15    W
    c3   sales    voice    abandoned  5    short (<= 5 inclusive), within T
    c4   sales    voice    abandoned 30    after T
    c5   support  voice    answered  20    W (<= 20 inclusive)
    c6   support  voice    abandoned 20    within T, not short
    c7   support  voice    abandoned 21    after T
    c8   sales    chat     answered  30    W (chat T = 30 inclusive)
    c9   sales    chat     answered  31    not W
    c10  support  chat     abandoned 40    after T
    c11  support  chat     answered  45    not W (never ends: still in talk)
    c12  sales    voice    waiting since 10:48:20 (T0+2900)
    c13  support  chat     waiting since 10:49:10 (T0+2950)
    c14  sales    voice    waiting since 10:49:50 (T0+2990)

The snapshot is taken at now = T0 + 3000 (10:50).
"""

from __future__ import annotations

from engine_fixtures import (
    T0,
    UTC,
    abandoned,
    answered,
    bot,
    counted,
    counter,
    dial,
    ended,
    engine_with,
    kpi_values,
    labels,
    of_kpi,
    offered,
    state,
    survey,
)

from exporter import catalog
from exporter.engine import EngineConfig, ServiceLevelVariant
from exporter.events import AgentState, Event, OutboundOutcome

NOW = T0 + 3000

_OUTCOMES = [
    # (cid, queue, channel, answered?, wait)
    ("c1", "sales", "voice", True, 10.0),
    ("c2", "sales", "voice", True, 15.0),
    ("c3", "sales", "voice", False, 5.0),
    ("c4", "sales", "voice", False, 30.0),
    ("c5", "support", "voice", True, 20.0),
    ("c6", "support", "voice", False, 20.0),
    ("c7", "support", "voice", False, 21.0),
    ("c8", "sales", "chat", True, 30.0),
    ("c9", "sales", "chat", True, 31.0),
    ("c10", "support", "chat", False, 40.0),
    ("c11", "support", "chat", True, 45.0),
]


def hour_of_events() -> list[Event]:
    events: list[Event] = []
    for number, (cid, queue, channel, was_answered, wait) in enumerate(_OUTCOMES, start=1):
        entry = T0 + 100 * number
        events.append(offered(entry, cid, queue, channel))
        outcome = answered if was_answered else abandoned
        events.append(outcome(entry + wait, cid, wait, queue, channel))
    # ENDED carry team/agent but not queue/channel: those come from the contact's earlier events.
    events += [
        ended(T0 + 1500, "c1", team="blue", agent="ann", talk_seconds=100.0, hold_seconds=20.0,
              after_contact_work_seconds=30.0, resolved=True),  # 150 s
        ended(T0 + 1600, "c2", team="blue", agent="bob", talk_seconds=200.0,
              after_contact_work_seconds=40.0, resolved=False),  # 240 s (no hold: 0)
        ended(T0 + 1700, "c5", team="red", agent="cid", talk_seconds=60.0, hold_seconds=0.0,
              resolved=None),  # 60 s, resolution unknown
        ended(T0 + 1800, "c8", team="blue", agent="ann", talk_seconds=300.0,
              resolved=True),  # 300 s
        ended(T0 + 1900, "c9", team="red", agent="dan", talk_seconds=100.0, resolved=True,
              ai_cx_score=60.0),  # 100 s
    ]  # fmt: skip
    # Surveys carry only the contact id: queue, channel, team and agent come from memory.
    events += [
        survey(T0 + 2000, "c1", csat=5.0, nps=10.0, ces=2.0),
        survey(T0 + 2010, "c2", csat=3.0, nps=7.0, ces=4.0),
        survey(T0 + 2020, "c5", csat=4.0, nps=0.0),
        survey(T0 + 2030, "c8", csat=2.0, nps=9.0, ces=6.0, ai_cx_score=80.0),
    ]
    events += [
        bot(T0 + 2100, "sales", "chat", contained=True),
        bot(T0 + 2110, "sales", "chat", contained=False),
        bot(T0 + 2120, "support", "voice", contained=True),
        bot(T0 + 2130, "", "chat", contained=None),  # no queue: site and channel only
    ]
    events += [
        dial(T0 + 2200, "renewals", OutboundOutcome.NO_ANSWER),
        dial(T0 + 2210, "renewals", OutboundOutcome.MACHINE),
        dial(T0 + 2220, "renewals", OutboundOutcome.LIVE, converted=True),
        dial(T0 + 2230, "renewals", OutboundOutcome.LIVE, converted=False),
        dial(T0 + 2240, "renewals", OutboundOutcome.DROPPED),
        dial(T0 + 2250, "winback", OutboundOutcome.LIVE, converted=True),
        dial(T0 + 2260, "winback", OutboundOutcome.NO_ANSWER),
    ]
    events += [
        state(T0 - 600, "ann", "blue", AgentState.LOGGED_IN),  # 09:50: 600 s fall in hour 9
        state(T0 + 600, "ann", "blue", AgentState.BUSY),
        state(T0 + 1200, "ann", "blue", AgentState.AFTER_CONTACT_WORK),
        state(T0 + 1500, "ann", "blue", AgentState.AVAILABLE),
        state(T0 + 2400, "ann", "blue", AgentState.BUSY),  # still busy at 10:50
        state(T0, "bob", "blue", AgentState.AVAILABLE),
        state(T0 + 1800, "bob", "blue", AgentState.PAUSED),
        state(T0 + 2700, "bob", "blue", AgentState.AVAILABLE),  # available now
        state(T0 - 1800, "cid", "red", AgentState.BUSY),  # busy since 09:30, still busy
        state(T0 + 300, "dan", "red", AgentState.AVAILABLE),
        state(T0 + 900, "dan", "red", AgentState.LOGGED_OUT),
    ]
    events += [
        offered(T0 + 2900, "c12", "sales", "voice"),
        offered(T0 + 2950, "c13", "support", "chat"),
        offered(T0 + 2990, "c14", "sales", "voice"),
    ]
    return events


SITE = ()
VOICE = labels(channel="voice")
CHAT = labels(channel="chat")
SALES_VOICE = labels(queue="sales", channel="voice")
SUPPORT_VOICE = labels(queue="support", channel="voice")
SALES_CHAT = labels(queue="sales", channel="chat")
SUPPORT_CHAT = labels(queue="support", channel="chat")
BLUE = labels(team="blue")
RED = labels(team="red")
ANN = labels(team="blue", agent="ann")
BOB = labels(team="blue", agent="bob")
CID = labels(team="red", agent="cid")
DAN = labels(team="red", agent="dan")
RENEWALS = labels(campaign="renewals")
WINBACK = labels(campaign="winback")

# (kpi, labels) -> (value, sample_size). Any sample not listed here must not exist.
EXPECTED: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, float | None]] = {
    # Service level, default offered_minus_short_abandons: W / (answered + abandoned - short).
    ("service_level_ratio", SITE): (0.4, 10.0),  # W 4 / (6 + 5 - 1)
    ("service_level_ratio", VOICE): (0.5, 6.0),  # W 3 (c1 c2 c5) / (3 + 4 - 1)
    ("service_level_ratio", CHAT): (0.25, 4.0),  # W 1 (c8) / (3 + 1 - 0)
    ("service_level_ratio", SALES_VOICE): (2 / 3, 3.0),  # 2 / (2 + 2 - 1)
    ("service_level_ratio", SUPPORT_VOICE): (1 / 3, 3.0),  # 1 / (1 + 2 - 0)
    ("service_level_ratio", SALES_CHAT): (0.5, 2.0),  # 1 / (2 + 0)
    ("service_level_ratio", SUPPORT_CHAT): (0.0, 2.0),  # 0 / (1 + 1)
    # ASA: wait seconds of answered / answered.
    ("average_speed_of_answer_seconds", SITE): (151 / 6, 6.0),  # 10+15+20+30+31+45 = 151
    ("average_speed_of_answer_seconds", VOICE): (15.0, 3.0),  # (10+15+20) / 3
    ("average_speed_of_answer_seconds", CHAT): (106 / 3, 3.0),  # (30+31+45) / 3
    ("average_speed_of_answer_seconds", SALES_VOICE): (12.5, 2.0),  # 25 / 2
    ("average_speed_of_answer_seconds", SUPPORT_VOICE): (20.0, 1.0),
    ("average_speed_of_answer_seconds", SALES_CHAT): (30.5, 2.0),  # 61 / 2
    ("average_speed_of_answer_seconds", SUPPORT_CHAT): (45.0, 1.0),
    # Abandonment: non-short abandons / (answered + non-short abandons).
    ("abandonment_ratio", SITE): (0.4, 10.0),  # 4 / (6 + 4)
    ("abandonment_ratio", VOICE): (0.5, 6.0),  # 3 (c4 c6 c7) / (3 + 3)
    ("abandonment_ratio", CHAT): (0.25, 4.0),  # 1 / (3 + 1)
    ("abandonment_ratio", SALES_VOICE): (1 / 3, 3.0),  # c4 / (2 + 1); c3 is short
    ("abandonment_ratio", SUPPORT_VOICE): (2 / 3, 3.0),  # 2 / (1 + 2)
    ("abandonment_ratio", SALES_CHAT): (0.0, 2.0),  # 0 / (2 + 0)
    ("abandonment_ratio", SUPPORT_CHAT): (0.5, 2.0),  # 1 / (1 + 1)
    # AHT over ENDED: c1 150, c2 240, c5 60, c8 300, c9 100.
    ("average_handle_time_seconds", SITE): (170.0, 5.0),  # 850 / 5
    ("average_handle_time_seconds", VOICE): (150.0, 3.0),  # (150+240+60) / 3
    ("average_handle_time_seconds", CHAT): (200.0, 2.0),  # (300+100) / 2
    ("average_handle_time_seconds", SALES_VOICE): (195.0, 2.0),  # (150+240) / 2
    ("average_handle_time_seconds", SUPPORT_VOICE): (60.0, 1.0),
    ("average_handle_time_seconds", SALES_CHAT): (200.0, 2.0),
    # Waiting now (10:50): c12 (100 s), c14 (10 s) in sales/voice, c13 (50 s) in support/chat.
    ("contacts_waiting", SITE): (3.0, None),
    ("contacts_waiting", VOICE): (2.0, None),
    ("contacts_waiting", CHAT): (1.0, None),
    ("contacts_waiting", SALES_VOICE): (2.0, None),
    ("contacts_waiting", SUPPORT_VOICE): (0.0, None),  # seen before: a real 0
    ("contacts_waiting", SALES_CHAT): (0.0, None),
    ("contacts_waiting", SUPPORT_CHAT): (1.0, None),
    ("longest_wait_seconds", SITE): (100.0, None),  # 3000 - 2900
    ("longest_wait_seconds", VOICE): (100.0, None),
    ("longest_wait_seconds", CHAT): (50.0, None),  # 3000 - 2950
    ("longest_wait_seconds", SALES_VOICE): (100.0, None),
    ("longest_wait_seconds", SUPPORT_VOICE): (0.0, None),
    ("longest_wait_seconds", SALES_CHAT): (0.0, None),
    ("longest_wait_seconds", SUPPORT_CHAT): (50.0, None),
    # FCR: known c1 T, c2 F, c8 T, c9 T (c5 unknown). support/voice has no known: no sample.
    ("first_contact_resolution_ratio", SITE): (0.75, 4.0),
    ("first_contact_resolution_ratio", VOICE): (0.5, 2.0),
    ("first_contact_resolution_ratio", CHAT): (1.0, 2.0),
    ("first_contact_resolution_ratio", SALES_VOICE): (0.5, 2.0),
    ("first_contact_resolution_ratio", SALES_CHAT): (1.0, 2.0),
    # CSAT: c1 5, c2 3, c5 4 (voice); c8 2 (chat).
    ("customer_satisfaction_score", SITE): (3.5, 4.0),  # 14 / 4
    ("customer_satisfaction_score", VOICE): (4.0, 3.0),  # 12 / 3
    ("customer_satisfaction_score", CHAT): (2.0, 1.0),
    ("customer_satisfaction_score", SALES_VOICE): (4.0, 2.0),  # 8 / 2
    ("customer_satisfaction_score", SUPPORT_VOICE): (4.0, 1.0),
    ("customer_satisfaction_score", SALES_CHAT): (2.0, 1.0),
    # NPS: c1 10 (promoter), c2 7 (passive), c5 0 (detractor), c8 9 (promoter).
    ("net_promoter_score", SITE): (25.0, 4.0),  # 100 * (2 - 1) / 4
    ("net_promoter_score", VOICE): (0.0, 3.0),  # 100 * (1 - 1) / 3
    ("net_promoter_score", CHAT): (100.0, 1.0),
    ("net_promoter_score", SALES_VOICE): (50.0, 2.0),  # 100 * (1 - 0) / 2
    ("net_promoter_score", SUPPORT_VOICE): (-100.0, 1.0),
    ("net_promoter_score", SALES_CHAT): (100.0, 1.0),
    # CES: c1 2, c2 4 (voice), c8 6 (chat); c5 gave none, so support/voice has no sample.
    ("customer_effort_score", SITE): (4.0, 3.0),  # 12 / 3
    ("customer_effort_score", VOICE): (3.0, 2.0),
    ("customer_effort_score", CHAT): (6.0, 1.0),
    ("customer_effort_score", SALES_VOICE): (3.0, 2.0),
    ("customer_effort_score", SALES_CHAT): (6.0, 1.0),
    # Bot: sales/chat T, F; support/voice T; (no queue)/chat None = not contained.
    ("bot_containment_ratio", SITE): (0.5, 4.0),  # 2 / 4
    ("bot_containment_ratio", VOICE): (1.0, 1.0),
    ("bot_containment_ratio", CHAT): (1 / 3, 3.0),  # 1 / 3
    ("bot_containment_ratio", SALES_CHAT): (0.5, 2.0),
    ("bot_containment_ratio", SUPPORT_VOICE): (1.0, 1.0),
    # Outbound. renewals: 5 dials, machine 1, live 2 (1 converted), dropped 1.
    # winback: 2 dials, live 1 (converted). Site: 7 dials, machine 1, live 3, dropped 1, conv 2.
    ("outbound_answer_ratio", SITE): (5 / 7, 7.0),  # (1 + 3 + 1) / 7
    ("outbound_answer_ratio", RENEWALS): (0.8, 5.0),  # (1 + 2 + 1) / 5
    ("outbound_answer_ratio", WINBACK): (0.5, 2.0),
    ("outbound_contact_ratio", SITE): (4 / 7, 7.0),  # (3 + 1) / 7
    ("outbound_contact_ratio", RENEWALS): (0.6, 5.0),  # (2 + 1) / 5
    ("outbound_contact_ratio", WINBACK): (0.5, 2.0),
    ("outbound_conversion_ratio", SITE): (2 / 3, 3.0),
    ("outbound_conversion_ratio", RENEWALS): (0.5, 2.0),
    ("outbound_conversion_ratio", WINBACK): (1.0, 1.0),
    ("outbound_drop_ratio", SITE): (0.25, 4.0),  # 1 / (3 + 1)
    ("outbound_drop_ratio", RENEWALS): (1 / 3, 3.0),  # 1 / (2 + 1)
    ("outbound_drop_ratio", WINBACK): (0.0, 1.0),
    # AI CX: c9 60 (on ENDED), c8 80 (on SURVEY): both sales/chat.
    ("ai_customer_experience_score", SITE): (70.0, 2.0),
    ("ai_customer_experience_score", CHAT): (70.0, 2.0),
    ("ai_customer_experience_score", SALES_CHAT): (70.0, 2.0),
    # Occupancy 10:00-10:50:
    # ann: logged_in 10:00-10:10 600 avail, busy 10:10-10:20 600, acw 10:20-10:25 300,
    #      available 10:25-10:40 900, busy 10:40-10:50 600 (open) -> (1200+300)/3000 = 0.5
    # bob: available 10:00-10:30 1800, paused 900 (not counted), available 10:45-10:50 300
    #      -> 0 / 2100
    # cid: busy since 09:30 -> 3000 busy in this hour -> 1.0
    # dan: available 10:05-10:15 600, then logged out -> 0 / 600
    ("occupancy_ratio", BLUE): (1500 / 5100, 5100.0),  # (1200+300) / (1500 + 1500 + 2100)
    ("occupancy_ratio", RED): (3000 / 3600, 3600.0),  # 3000 / (3000 + 600)
    ("occupancy_ratio", ANN): (0.5, 3000.0),
    ("occupancy_ratio", BOB): (0.0, 2100.0),
    ("occupancy_ratio", CID): (1.0, 3000.0),
    ("occupancy_ratio", DAN): (0.0, 600.0),
    # Available now: bob only (ann and cid busy, dan logged out). red is seen: a real 0.
    ("agents_available", SITE): (1.0, None),
    ("agents_available", BLUE): (1.0, None),
    ("agents_available", RED): (0.0, None),
    # Handled: blue c1 (ann 150 T), c2 (bob 240 F), c8 (ann 300 T);
    # red c5 (cid 60, resolution unknown), c9 (dan 100 T).
    ("contacts_handled", BLUE): (3.0, 3.0),
    ("contacts_handled", RED): (2.0, 2.0),
    ("contacts_handled", ANN): (2.0, 2.0),
    ("contacts_handled", BOB): (1.0, 1.0),
    ("contacts_handled", CID): (1.0, 1.0),
    ("contacts_handled", DAN): (1.0, 1.0),
    ("team_average_handle_time_seconds", BLUE): (230.0, 3.0),  # 690 / 3
    ("team_average_handle_time_seconds", RED): (80.0, 2.0),  # 160 / 2
    ("team_average_handle_time_seconds", ANN): (225.0, 2.0),  # 450 / 2
    ("team_average_handle_time_seconds", BOB): (240.0, 1.0),
    ("team_average_handle_time_seconds", CID): (60.0, 1.0),
    ("team_average_handle_time_seconds", DAN): (100.0, 1.0),
    ("team_first_contact_resolution_ratio", BLUE): (2 / 3, 3.0),
    ("team_first_contact_resolution_ratio", RED): (1.0, 1.0),  # c5 unknown
    ("team_first_contact_resolution_ratio", ANN): (1.0, 2.0),
    ("team_first_contact_resolution_ratio", BOB): (0.0, 1.0),
    ("team_first_contact_resolution_ratio", DAN): (1.0, 1.0),
    # Team CSAT: blue c1 5, c2 3, c8 2; red c5 4 (dan's c9 had no survey: no sample).
    ("team_customer_satisfaction_score", BLUE): (10 / 3, 3.0),
    ("team_customer_satisfaction_score", RED): (4.0, 1.0),
    ("team_customer_satisfaction_score", ANN): (3.5, 2.0),  # (5 + 2) / 2
    ("team_customer_satisfaction_score", BOB): (3.0, 1.0),
    ("team_customer_satisfaction_score", CID): (4.0, 1.0),
}


def test_every_kpi_at_every_scope_matches_the_hand_computed_hour() -> None:
    snapshot = engine_with(hour_of_events()).snapshot(NOW)

    expected = {key: (round(value, 9), size) for key, (value, size) in EXPECTED.items()}
    assert kpi_values(snapshot) == expected


def test_the_fixture_covers_every_catalog_kpi_at_every_scope_level() -> None:
    covered = {(kpi, tuple(sorted(name for name, _ in scope))) for kpi, scope in EXPECTED}
    for kpi in catalog.CATALOG:
        for scope in kpi.scopes:
            assert (kpi.name, tuple(sorted(scope))) in covered, (kpi.name, scope)


# The five service-level variants on the site totals: answered 6, W 4, abandoned 5, of which
# short 1 (c3) and within T 2 (c3, c6), after T 3 (c4, c7, c10).
FIVE_VARIANTS = {
    ServiceLevelVariant.ANSWERED: (4 / 6, 6.0),  # W / answered
    ServiceLevelVariant.ANSWERED_AND_ABANDONED: (4 / 11, 11.0),  # W / (6 + 5)
    ServiceLevelVariant.ABANDONED_AFTER_THRESHOLD: (4 / 9, 9.0),  # W / (6 + 3)
    ServiceLevelVariant.OFFERED_MINUS_SHORT_ABANDONS: (4 / 10, 10.0),  # W / (6 + 5 - 1)
    ServiceLevelVariant.WITHIN_THRESHOLD: (6 / 11, 11.0),  # (W + 2) / (6 + 5)
}


def test_the_five_service_level_variants_give_five_different_numbers() -> None:
    results = {}
    for variant in ServiceLevelVariant:
        config = EngineConfig(timezone=UTC, service_level_variant=variant)
        snapshot = engine_with(hour_of_events(), config).snapshot(NOW)
        value, size = kpi_values(snapshot)[("service_level_ratio", SITE)]
        results[variant] = (value, size)
    assert results == {v: (round(x, 9), n) for v, (x, n) in FIVE_VARIANTS.items()}
    assert len({value for value, _ in results.values()}) == 5


def test_service_level_variants_per_channel() -> None:
    # voice: answered 3 (all W), abandoned 4: short 1 (c3), within 2 (c3, c6), after 2 (c4, c7)
    voice = {
        ServiceLevelVariant.ANSWERED: 1.0,  # 3 / 3
        ServiceLevelVariant.ANSWERED_AND_ABANDONED: 3 / 7,
        ServiceLevelVariant.ABANDONED_AFTER_THRESHOLD: 0.6,  # 3 / (3 + 2)
        ServiceLevelVariant.OFFERED_MINUS_SHORT_ABANDONS: 0.5,  # 3 / 6
        ServiceLevelVariant.WITHIN_THRESHOLD: 5 / 7,  # (3 + 2) / 7
    }
    for variant, value in voice.items():
        config = EngineConfig(timezone=UTC, service_level_variant=variant)
        snapshot = engine_with(hour_of_events(), config).snapshot(NOW)
        assert of_kpi(snapshot, "service_level_ratio")[VOICE] == round(value, 9), variant


def test_short_abandon_cutoff_and_thresholds_are_configurable() -> None:
    # Cutoff 0: c3 (5 s) is no longer short. Voice threshold 15: c5 (20) is no longer W.
    config = EngineConfig(
        timezone=UTC,
        short_abandon_seconds=0.0,
        thresholds_seconds={"voice": 15.0, "chat": 30.0},
    )
    snapshot = engine_with(hour_of_events(), config).snapshot(NOW)
    # voice: W 2 (c1 10, c2 15 inclusive) / (3 + 4 - 0) = 2/7
    assert of_kpi(snapshot, "service_level_ratio")[VOICE] == round(2 / 7, 9)
    # voice abandonment: 4 / (3 + 4)
    assert of_kpi(snapshot, "abandonment_ratio")[VOICE] == round(4 / 7, 9)


def test_a_channel_without_a_configured_threshold_uses_the_default() -> None:
    config = EngineConfig(timezone=UTC, thresholds_seconds={}, default_threshold_seconds=12.0)
    snapshot = engine_with(hour_of_events(), config).snapshot(NOW)
    # voice W: only c1 (10 <= 12); denominator 3 + 4 - 1 short = 6
    assert of_kpi(snapshot, "service_level_ratio")[VOICE] == round(1 / 6, 9)


def test_raw_counters_carry_the_finest_labels() -> None:
    snapshot = engine_with(hour_of_events()).snapshot(NOW)

    assert counted(snapshot, "contact_center_contacts_offered") == {
        ("sales", "voice"): 6.0,  # c1 c2 c3 c4 c12 c14
        ("support", "voice"): 3.0,
        ("sales", "chat"): 2.0,
        ("support", "chat"): 3.0,  # c10 c11 c13
    }
    assert counted(snapshot, "contact_center_contacts_answered_within_threshold") == {
        ("sales", "voice"): 2.0,
        ("support", "voice"): 1.0,
        ("sales", "chat"): 1.0,
    }
    assert counted(snapshot, "contact_center_answered_wait_seconds") == {
        ("sales", "voice"): 25.0,
        ("support", "voice"): 20.0,
        ("sales", "chat"): 61.0,
        ("support", "chat"): 45.0,
    }
    assert counted(snapshot, "contact_center_contacts_abandoned_short") == {("sales", "voice"): 1.0}
    assert counted(snapshot, "contact_center_contacts_abandoned_within_threshold") == {
        ("sales", "voice"): 1.0,  # c3
        ("support", "voice"): 1.0,  # c6
    }
    assert counted(snapshot, "contact_center_handle_seconds") == {
        ("sales", "voice", "blue", "ann"): 150.0,
        ("sales", "voice", "blue", "bob"): 240.0,
        ("support", "voice", "red", "cid"): 60.0,
        ("sales", "chat", "blue", "ann"): 300.0,
        ("sales", "chat", "red", "dan"): 100.0,
    }
    assert counted(snapshot, "contact_center_nps_answers") == {
        ("sales", "voice", "blue", "ann", "promoter"): 1.0,
        ("sales", "voice", "blue", "bob", "passive"): 1.0,
        ("support", "voice", "red", "cid", "detractor"): 1.0,
        ("sales", "chat", "blue", "ann", "promoter"): 1.0,
    }
    answers = counted(snapshot, "contact_center_survey_answers")
    points = counted(snapshot, "contact_center_survey_score_points")
    assert sum(v for k, v in answers.items() if k[-1] == "csat") == 4.0
    assert sum(v for k, v in points.items() if k[-1] == "csat") == 14.0  # 5 + 3 + 4 + 2
    assert points[("sales", "chat", "red", "dan", "ai_cx")] == 60.0
    assert counted(snapshot, "contact_center_outbound_dials") == {
        ("renewals", "no_answer"): 1.0,
        ("renewals", "machine"): 1.0,
        ("renewals", "live"): 2.0,
        ("renewals", "dropped"): 1.0,
        ("winback", "live"): 1.0,
        ("winback", "no_answer"): 1.0,
    }
    assert counted(snapshot, "contact_center_outbound_converted") == {
        ("renewals",): 1.0,
        ("winback",): 1.0,
    }
    assert counted(snapshot, "contact_center_bot_sessions") == {
        ("sales", "chat", "true"): 1.0,
        ("sales", "chat", "false"): 1.0,
        ("support", "voice", "true"): 1.0,
        ("", "chat", "false"): 1.0,
    }


def test_a_new_queue_brings_every_queue_counter_at_zero() -> None:
    # One contact offered to sales: the service-level ratio's other counters exist at 0 at once,
    # so sum(increase(abandoned_short)) is 0, not absent, before the first short abandon.
    engine = engine_with([offered(T0, "c1", "sales", "voice")])
    snapshot = engine.snapshot(T0 + 10)
    for name in (
        "contact_center_contacts_answered",
        "contact_center_contacts_answered_within_threshold",
        "contact_center_contacts_abandoned",
        "contact_center_contacts_abandoned_short",
        "contact_center_contacts_abandoned_within_threshold",
        "contact_center_answered_wait_seconds",
    ):
        assert counter(snapshot, name) == {("sales", "voice"): 0.0}, name
    assert counter(snapshot, "contact_center_contacts_offered") == {("sales", "voice"): 1.0}
    assert counter(snapshot, "contact_center_bot_sessions") == {
        ("sales", "voice", "true"): 0.0,
        ("sales", "voice", "false"): 0.0,
    }
    assert counter(snapshot, "contact_center_contacts_handled") == {}  # no agent yet


def test_an_answer_brings_its_handler_counters_at_zero_before_the_contact_ends() -> None:
    engine = engine_with([offered(T0, "c1"), answered(T0 + 8, "c1", 8.0, agent="ann", team="blue")])
    snapshot = engine.snapshot(T0 + 10)
    for name in ("contact_center_contacts_handled", "contact_center_handle_seconds"):
        assert counter(snapshot, name) == {("sales", "voice", "blue", "ann"): 0.0}, name


def test_declared_scopes_have_their_counters_at_zero_before_any_event() -> None:
    engine = engine_with([])
    engine.declare(queue="sales", channel="voice", team="blue", agent="ann")
    engine.declare(campaign="renewals")
    snapshot = engine.snapshot(T0)
    assert counter(snapshot, "contact_center_contacts_offered") == {("sales", "voice"): 0.0}
    assert counter(snapshot, "contact_center_handle_seconds") == {
        ("sales", "voice", "blue", "ann"): 0.0
    }
    assert counter(snapshot, "contact_center_nps_answers") == {
        ("sales", "voice", "blue", "ann", category): 0.0
        for category in ("promoter", "passive", "detractor")
    }
    assert set(counter(snapshot, "contact_center_outbound_dials")) == {
        ("renewals", outcome) for outcome in ("no_answer", "machine", "live", "dropped")
    }
    assert counter(snapshot, "contact_center_outbound_converted") == {("renewals",): 0.0}
    # Counting later adds to the declared zero.
    engine.ingest(offered(T0 + 5, "c1", "sales", "voice"))
    later = engine.snapshot(T0 + 10)
    assert counter(later, "contact_center_contacts_offered") == {("sales", "voice"): 1.0}


def test_every_counter_has_documentation_and_no_total_suffix() -> None:
    snapshot = engine_with(hour_of_events()).snapshot(NOW)
    for family in snapshot.counters:
        assert family.name.startswith("contact_center_")
        assert not family.name.endswith(("_total", "_sum", "_count"))
        assert family.documentation.endswith(".")
        for key in family.samples:
            assert len(key) == len(family.label_names)

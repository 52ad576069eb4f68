"""The simulator: queueing theory, determinism, coherence of a default day, the realtime source."""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exporter.config import parse_config_text
from exporter.events import (
    AgentState,
    AgentStateEvent,
    Channel,
    ContactEvent,
    ContactKind,
    Event,
    OutboundOutcome,
)
from exporter.simulator import (
    ArrivalCurve,
    QueueConfig,
    Simulation,
    SimulatorConfig,
    TeamConfig,
    default_config,
    erlang,
    erlang_config,
    simulate,
)
from exporter.sources.base import IngestStats
from exporter.sources.simulator import SimulatorSource

HOUR = 3600.0
DAY = 24 * HOUR


def _contacts(events: list[Event], kind: ContactKind) -> list[ContactEvent]:
    return [e for e in events if isinstance(e, ContactEvent) and e.kind is kind]


# ---- queueing theory ----------------------------------------------------------------------------


def test_erlang_setup_matches_erlang_c_within_four_batch_standard_errors() -> None:
    """M/M/13, 100 calls / 30 min, AHT 180 s, nobody abandons: Erlang C says SL(20 s) = 0.7956 and
    ASA = 17.1 s.

    Tolerance: batch means. After a 10-hour warm-up (the queue starts empty; at 77 % utilisation
    it forgets that within minutes), 40 batches of 50 simulated hours (~10,000 calls each) are far
    longer than the queue's memory, so the batch values are close to independent and their
    standard error SE = stdev / sqrt(40) measures the run's own noise. Waits within one busy period
    are strongly correlated, so this SE is several times the naive binomial one (which is why
    batches are used). A correct simulator lands within 4 SE of theory except with probability
    about 3e-4 (t distribution, 39 degrees of freedom); the SE must itself be small (checked) so
    the bound is tight: about 0.004 for SL (4 SE = 0.016) and 0.6 s for ASA on this run.
    """
    traffic = erlang.traffic_erlangs(100 / 1800, 180.0)
    theory_sl = erlang.service_level(13, traffic, 180.0, 20.0)
    theory_asa = erlang.average_speed_of_answer(13, traffic, 180.0)
    config = erlang_config(arrivals_per_hour=200, agents=13, mean_handle_seconds=180.0, seed=2026)
    warm_up, batch_length, batches = 10 * HOUR, 50 * HOUR, 40
    begin = config.start + warm_up

    waits: list[list[float]] = [[] for _ in range(batches)]
    for event in simulate(config, begin + batches * batch_length):
        if (
            isinstance(event, ContactEvent)
            and event.kind is ContactKind.ANSWERED
            and event.at >= begin
        ):
            assert event.wait_seconds is not None
            waits[int((event.at - begin) // batch_length)].append(event.wait_seconds)

    levels = [sum(w <= 20.0 for w in batch) / len(batch) for batch in waits]
    speeds = [statistics.fmean(batch) for batch in waits]
    sl_error = statistics.stdev(levels) / math.sqrt(batches)
    asa_error = statistics.stdev(speeds) / math.sqrt(batches)
    assert 0 < sl_error < 0.008
    assert 0 < asa_error < 1.0
    assert abs(statistics.fmean(levels) - theory_sl) <= 4 * sl_error
    assert abs(statistics.fmean(speeds) - theory_asa) <= 4 * asa_error
    # The load itself: 200 calls an hour, so 40 x 50 x 200 = 400,000 answered, +- 4 sqrt(400,000).
    answered = sum(len(batch) for batch in waits)
    assert abs(answered - 400_000) <= 4 * math.sqrt(400_000)


README = Path(__file__).parent.parent / "README.md"
ERLANG_A_EXAMPLE = "# serve.yaml: the Erlang A example\n"


def _readme_erlang_a_config() -> SimulatorConfig:
    """The README's documented example, read as ``kpi-targets serve --config`` reads it."""
    text = README.read_text(encoding="utf-8")
    start = text.index(ERLANG_A_EXAMPLE)
    block = text[start : text.index("```", start)]
    settings = parse_config_text(block, "README.md")
    assert settings["sources"] == ("simulator",)
    config = settings["simulator"]
    assert isinstance(config, SimulatorConfig)
    return config


def test_the_readme_erlang_a_example_matches_erlang_a_within_four_batch_standard_errors() -> None:
    """One queue, 100 calls per 30 min, AHT 180 s, 12 agents, exponential patience of mean 180 s
    (the README's ``simulator:`` example): Erlang A says 5.31 % abandon, the answered wait
    8.53 s on average and 84.7 % of them are answered within 20 s.

    Tolerance: batch means, as for Erlang C above. After a 5-hour warm-up, 30 batches of 20
    simulated hours (~4,000 calls each): abandons shorten busy periods, so the queue forgets its
    state within minutes and 20-hour batches are close to independent. SE = stdev / sqrt(30) of
    the batch values measures the run's own noise (about 0.0013 for the abandonment, 0.2 s for
    the wait, 0.0035 for the service level: several times the naive binomial SE, as waits within
    a busy period are correlated). A correct simulator lands within 4 SE of theory except with
    probability about 4e-4 (t, 29 degrees of freedom); the SEs are checked to be small so the
    bound is tight. 600 hours keep the test to a few seconds.
    """
    config = replace(_readme_erlang_a_config(), seed=2026)
    (queue,) = config.queues
    (team,) = config.teams
    assert queue.patience_mean_seconds is not None
    theory = erlang.erlang_a(
        team.staffing[0],
        queue.arrivals.per_hour[0] / HOUR,
        queue.handling.mean_seconds,
        queue.patience_mean_seconds,
        20.0,
    )
    assert round(theory.abandonment, 4) == 0.0531
    assert round(theory.served_speed_of_answer, 2) == 8.53
    assert round(theory.service_level_answered, 3) == 0.847

    warm_up, batch_length, batches = 5 * HOUR, 20 * HOUR, 30
    begin = config.start + warm_up
    abandons = [0] * batches
    waits: list[list[float]] = [[] for _ in range(batches)]
    for event in simulate(config, begin + batches * batch_length):
        if not isinstance(event, ContactEvent) or event.at < begin:
            continue
        batch = int((event.at - begin) // batch_length)
        if event.kind is ContactKind.ABANDONED:
            abandons[batch] += 1
        elif event.kind is ContactKind.ANSWERED:
            assert event.wait_seconds is not None
            waits[batch].append(event.wait_seconds)

    figures = {
        "abandonment": (
            [a / (a + len(w)) for a, w in zip(abandons, waits, strict=True)],
            theory.abandonment,
            0.003,
        ),
        "speed of answer": (
            [statistics.fmean(w) for w in waits],
            theory.served_speed_of_answer,
            0.5,
        ),
        "service level": (
            [sum(x <= 20.0 for x in w) / len(w) for w in waits],
            theory.service_level_answered,
            0.008,
        ),
    }
    for name, (values, expected, largest_error) in figures.items():
        error = statistics.stdev(values) / math.sqrt(batches)
        assert 0 < error < largest_error, name
        assert abs(statistics.fmean(values) - expected) <= 4 * error, (name, values, expected)


def test_arrival_curve_is_followed_in_the_local_time_zone() -> None:
    # Only 10:00-11:00 local time (Europe/Rome, UTC+1 in January) has arrivals: 360 an hour.
    rates = tuple(360.0 if hour == 10 else 0.0 for hour in range(24))
    start = datetime(2026, 1, 5, tzinfo=ZoneInfo("Europe/Rome")).timestamp()
    config = SimulatorConfig(
        queues=(QueueConfig("q", Channel.VOICE, ArrivalCurve(rates), survey=None),),
        teams=(TeamConfig("t", ("q",), (50,) * 24),),
        breaks=None,
        start=start,
        timezone="Europe/Rome",
        seed=5,
    )
    offered = _contacts(list(simulate(config, start + 10 * DAY)), ContactKind.OFFERED)
    hours = {datetime.fromtimestamp(e.at, ZoneInfo("Europe/Rome")).hour for e in offered}
    assert hours == {10}
    # Poisson: 10 days x 360 = 3,600 expected, standard deviation 60; allow 4 of them.
    assert abs(len(offered) - 3600) <= 240


# ---- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_the_same_events_and_another_seed_does_not() -> None:
    config = default_config(seed=7)
    until = config.start + DAY
    first = list(simulate(config, until))
    assert first == list(simulate(config, until))
    assert first != list(simulate(default_config(seed=8), until))


# ---- one default day ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_day() -> tuple[list[Event], Simulation]:
    config = default_config(seed=3)
    simulation = Simulation(config)
    return list(simulation.run(config.start + DAY)), simulation


def test_a_default_day_produces_every_kind_outcome_and_state(default_day) -> None:
    events, _ = default_day
    kinds = {e.kind for e in events if isinstance(e, ContactEvent)}
    # Every kind but CLEARED: the simulated PBX never restarts with callers waiting.
    assert kinds == set(ContactKind) - {ContactKind.CLEARED}
    outcomes = {e.outcome for e in _contacts(events, ContactKind.OUTBOUND)}
    assert outcomes == set(OutboundOutcome)
    states = {e.state for e in events if isinstance(e, AgentStateEvent)}
    assert states == set(AgentState)
    assert {e.channel for e in _contacts(events, ContactKind.OFFERED)} == set(Channel)


def test_a_default_day_is_in_time_order_with_coherent_waits(default_day) -> None:
    events, _ = default_day
    times = [e.at for e in events]
    assert times == sorted(times)
    entered: dict[str, float] = {}
    for event in events:
        if not isinstance(event, ContactEvent):
            continue
        if event.kind is ContactKind.OFFERED:
            entered[event.contact_id] = event.at
        if event.kind in (ContactKind.ANSWERED, ContactKind.ABANDONED):
            assert event.wait_seconds is not None and event.wait_seconds >= 0
            assert event.wait_seconds == pytest.approx(event.at - entered[event.contact_id])
        if event.kind in (ContactKind.ANSWERED, ContactKind.ENDED):
            assert event.team and event.agent


def test_each_contact_follows_its_life_cycle(default_day) -> None:
    events, _ = default_day
    history: dict[str, list[ContactKind]] = defaultdict(list)
    for event in events:
        if isinstance(event, ContactEvent) and event.kind is not ContactKind.OUTBOUND:
            history[event.contact_id].append(event.kind)
    allowed = {
        (ContactKind.OFFERED,),  # still waiting at the end of the day
        (ContactKind.OFFERED, ContactKind.ABANDONED),
        (ContactKind.OFFERED, ContactKind.ANSWERED),  # still being handled
        (ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.ENDED),
        (ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.TRANSFERRED),
        (ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.TRANSFERRED, ContactKind.ENDED),
    }
    lives = Counter()
    for kinds in history.values():
        if kinds[0] is ContactKind.BOT:
            kinds = kinds[1:]  # a bot session, handed on (then a queue life) or contained
            if not kinds:
                continue
        if kinds[-1] is ContactKind.SURVEY:
            kinds = kinds[:-1]
            assert kinds[-1] is ContactKind.ENDED
        assert tuple(kinds) in allowed
        lives[tuple(kinds)] += 1
    assert lives[(ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.ENDED)] > 1000


def test_offered_is_answered_plus_abandoned_plus_waiting_per_queue(default_day) -> None:
    events, simulation = default_day
    for queue in ("sales", "support", "chat", "email"):
        count = Counter(e.kind for e in events if isinstance(e, ContactEvent) and e.queue == queue)
        offered = count[ContactKind.OFFERED]
        assert offered > 0
        assert offered == (
            count[ContactKind.ANSWERED] + count[ContactKind.ABANDONED] + simulation.waiting(queue)
        )


def test_surveys_stay_on_their_scales(default_day) -> None:
    events, _ = default_day
    surveys = _contacts(events, ContactKind.SURVEY)
    assert len(surveys) > 100
    for survey in surveys:
        assert survey.csat in {1.0, 2.0, 3.0, 4.0, 5.0}
        assert survey.nps is not None and 0 <= survey.nps <= 10
        assert survey.ces is not None and 1 <= survey.ces <= 7


def test_a_default_week_sits_around_the_usual_targets() -> None:
    # What a demo dashboard should show: every KPI near its typical target.
    config = default_config(seed=11)
    events = list(simulate(config, config.start + 7 * DAY))
    voice = [
        e
        for e in _contacts(events, ContactKind.ANSWERED)
        if e.channel == Channel.VOICE and e.wait_seconds is not None
    ]
    service_level = sum(e.wait_seconds <= 20 for e in voice) / len(voice)
    assert 0.75 <= service_level <= 0.9
    ended = [e for e in _contacts(events, ContactKind.ENDED) if e.channel == Channel.VOICE]
    handle = statistics.fmean(
        e.talk_seconds + e.hold_seconds + e.after_contact_work_seconds for e in ended
    )
    assert 270 <= handle <= 330
    csat = statistics.fmean(e.csat for e in _contacts(events, ContactKind.SURVEY))
    assert 4.0 <= csat <= 4.4
    outcomes = Counter(e.outcome for e in _contacts(events, ContactKind.OUTBOUND))
    drop = outcomes[OutboundOutcome.DROPPED] / (
        outcomes[OutboundOutcome.DROPPED] + outcomes[OutboundOutcome.LIVE]
    )
    assert 0.02 <= drop <= 0.04
    bots = _contacts(events, ContactKind.BOT)
    assert 0.6 <= sum(bool(e.contained) for e in bots) / len(bots) <= 0.7
    for team, occupancy in _occupancy(events).items():
        assert 0.65 <= occupancy <= 0.9, team


def _occupancy(events: list[Event]) -> dict[str, float]:
    """(busy + outbound + ACW) / (... + available) per team, from the agent state timelines."""
    state: dict[str, tuple[AgentState, float]] = {}
    seconds: dict[str, Counter[AgentState]] = defaultdict(Counter)
    for event in events:
        if isinstance(event, AgentStateEvent):
            if event.agent in state:
                previous, since = state[event.agent]
                seconds[event.team][previous] += event.at - since
            state[event.agent] = (event.state, event.at)
    result = {}
    for team, spent in seconds.items():
        working = (
            spent[AgentState.BUSY]
            + spent[AgentState.OUTBOUND]
            + spent[AgentState.AFTER_CONTACT_WORK]
        )
        idle = spent[AgentState.AVAILABLE] + spent[AgentState.LOGGED_IN]
        result[team] = working / (working + idle)
    return result


# ---- configuration errors -----------------------------------------------------------------------


def test_invalid_configuration_is_refused_with_every_problem() -> None:
    with pytest.raises(ValueError) as caught:
        SimulatorConfig(
            queues=(
                QueueConfig("q", Channel.VOICE, ArrivalCurve((1.0,) * 23)),
                QueueConfig(
                    "lonely", Channel.CHAT, ArrivalCurve.flat(5.0), patience_mean_seconds=0.0
                ),
            ),
            teams=(TeamConfig("t", ("q", "nowhere"), (1,) * 24),),
            timezone="Mars/Olympus",
        )
    message = str(caught.value)
    for problem in (
        "unknown time zone 'Mars/Olympus'",
        "queue 'q': arrivals need 24 hourly rates",
        "queue 'lonely': patience_mean_seconds must be > 0 or None",
        "queue 'lonely': no team serves it",
        "team 't': serves unknown queues ['nowhere']",
    ):
        assert problem in message


# ---- the Source ---------------------------------------------------------------------------------


def _run_in_thread(
    source: SimulatorSource,
) -> tuple[list[Event], IngestStats, threading.Event, threading.Thread]:
    received: list[Event] = []
    stats = IngestStats()
    stop = threading.Event()
    thread = threading.Thread(target=source.run, args=(received.append, stats, stop))
    thread.start()
    return received, stats, stop, thread


def test_fast_source_hands_on_what_simulate_yields() -> None:
    # From midnight to 10:30: the centre opens at 08:00.
    config = default_config(seed=4)
    source = SimulatorSource(config, realtime=False, until=config.start + 10.5 * HOUR)
    received: list[Event] = []
    stats = IngestStats()
    source.run(received.append, stats, threading.Event())
    assert len(received) > 1000
    assert received == list(simulate(config, config.start + 10.5 * HOUR))
    assert stats.read_counts() == {"simulator": len(received)}


def test_realtime_source_paces_events_on_the_wall_clock_and_stops_promptly() -> None:
    # One call a second, simulated 600 times faster than real time.
    config = erlang_config(arrivals_per_hour=3600, agents=5, mean_handle_seconds=2.0)
    started = time.time()
    received, stats, stop, thread = _run_in_thread(SimulatorSource(config, speed=600.0))
    time.sleep(0.5)
    stop.set()
    stopped = time.time()
    thread.join(timeout=1.0)
    assert not thread.is_alive()
    assert received, "half a second at speed 600 is 300 simulated seconds of calls"
    # The simulation starts at the wall clock's now and never runs ahead of it x speed.
    assert received[0].at >= started
    assert received[-1].at <= started + (stopped - started) * 600.0 + 1.0
    assert stats.read_counts() == {"simulator": len(received)}


def test_realtime_source_stops_promptly_while_waiting_for_a_distant_event() -> None:
    # Nobody calls: the only events are the agent's login, then nothing for an hour.
    config = erlang_config(arrivals_per_hour=0.001, agents=1, mean_handle_seconds=60.0)
    received, _, stop, thread = _run_in_thread(SimulatorSource(config))
    time.sleep(0.1)
    stop.set()
    thread.join(timeout=0.5)
    assert not thread.is_alive()
    assert [e.state for e in received if isinstance(e, AgentStateEvent)] == [
        AgentState.LOGGED_IN,
        AgentState.AVAILABLE,
    ]


def test_backfill_hands_on_the_past_at_once() -> None:
    config = erlang_config(arrivals_per_hour=360, agents=3, mean_handle_seconds=60.0)
    started = time.time()
    received, _, stop, thread = _run_in_thread(SimulatorSource(config, backfill_seconds=HOUR))
    time.sleep(0.3)
    stop.set()
    thread.join(timeout=1.0)
    offered = _contacts(received, ContactKind.OFFERED)
    # An hour of history at 360 an hour: 360 expected (sd 19), all from before the start.
    assert abs(sum(e.at < started for e in offered) - 360) <= 4 * 19
    assert received[0].at == pytest.approx(started - HOUR, abs=1.0)


def test_bad_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="simulator speed must be > 0, got 0"):
        SimulatorSource(speed=0)

"""Attainment's pure parts: the PromQL, reading Prometheus's answer, which series a target's
words count, and the words themselves (exact strings)."""

from __future__ import annotations

from exporter.attainment import Counts, counts_for_target, query, read_counts, words
from exporter.scope import scope_of
from exporter.targets.model import Quantifier, Schedule, Target


def target(kpi: str, **scope: str) -> Target:
    return Target(kpi, Quantifier.OR_MORE, (Schedule(0.8),), scope_of(scope))


def sample(value: float, **labels: str) -> tuple[dict[str, str], float]:
    return labels, value


def test_the_query_sums_rounded_increases_of_the_targets_kpis_and_levels() -> None:
    targets = [
        target("service_level_ratio", queue="sales"),
        target("abandonment_ratio"),
        target("service_level_ratio", channel="voice"),
    ]
    assert query(7, targets) == (
        "sum by (kpi, level, agent, queue, team, campaign, channel, result) "
        '(round(increase(kpi_target_periods_total{kpi=~"abandonment_ratio|service_level_ratio", '
        'level=~"channel|queue|site"}[7d])))'
    )
    assert query(28, targets[:1]) == (
        "sum by (kpi, level, agent, queue, team, campaign, channel, result) "
        '(round(increase(kpi_target_periods_total{kpi=~"service_level_ratio", level=~"queue"}'
        "[28d])))"
    )
    assert query(7, []) is None


SL = "service_level_ratio"
VOICE = {"queue": "sales", "channel": "voice"}


def test_the_answer_is_read_into_counts_per_kpi_level_and_scope() -> None:
    answer = [
        sample(18, kpi=SL, level="queue", result="met", **VOICE),
        sample(6, kpi=SL, level="queue", result="missed", **VOICE),
        sample(5, kpi=SL, level="queue", result="low_volume", **VOICE),
        sample(1, kpi=SL, level="queue", result="no_data", **VOICE),
        # Prometheus leaves out empty labels; a site-wide series has none but kpi/level/result.
        sample(3.0, kpi=SL, level="site", result="met"),
        sample(2, kpi=SL, level="site", result="future_result"),  # unknown: left out
        sample(4, level="site", result="met"),  # no kpi: left out
        sample(float("nan"), kpi=SL, level="site", result="missed"),  # not a number: left out
    ]
    assert read_counts(answer) == {
        (SL, "queue", scope_of(VOICE)): Counts(met=18, missed=6, low_volume=5, no_data=1),
        (SL, "site", ()): Counts(met=3),
    }


def test_a_target_counts_its_own_level_unless_a_more_specific_target_judges() -> None:
    counts = {
        (SL, "site", ()): Counts(met=20, missed=4),
        (SL, "channel", scope_of({"channel": "voice"})): Counts(met=7, missed=1),
        (SL, "queue", scope_of(VOICE)): Counts(met=10, missed=2, low_volume=3),
        (SL, "queue", scope_of({"queue": "sales", "channel": "chat"})): Counts(met=5, missed=5),
        (SL, "queue", scope_of({"queue": "billing", "channel": "voice"})): Counts(met=1),
        (SL, "agent", scope_of({**VOICE, "team": "a", "agent": "ann"})): Counts(met=9),
        ("abandonment_ratio", "site", ()): Counts(missed=8),
    }
    site, sales = target(SL), target(SL, queue="sales")
    sales_voice = target(SL, queue="sales", channel="voice")
    # The site-wide target: the site-wide series only, not the queues' or the agents'.
    assert counts_for_target(counts, site, [site, sales]) == Counts(met=20, missed=4)
    # A queue target adds its queue's series on every channel...
    assert counts_for_target(counts, sales, [site, sales]) == Counts(met=15, missed=7, low_volume=3)
    # ... but not the one a more specific target judges.
    targets = [site, sales, sales_voice]
    assert counts_for_target(counts, sales, targets) == Counts(met=5, missed=5)
    assert counts_for_target(counts, sales_voice, targets) == Counts(met=10, missed=2, low_volume=3)
    # A channel target: the channel's own series.
    voice = target(SL, channel="voice")
    assert counts_for_target(counts, voice, [voice]) == Counts(met=7, missed=1)
    # No series for this target: nothing counted.
    assert counts_for_target(counts, target(SL, team="b"), []) == Counts()


def test_words() -> None:
    assert words(Counts(met=18, missed=6), 7) == "met 18 of 24 judged hours in the last 7 days"
    assert (
        words(Counts(met=18, missed=6, low_volume=5, no_data=2), 28)
        == "met 18 of 24 judged hours in the last 28 days (5 low volume not judged)"
    )
    assert words(Counts(met=0, missed=1), 7) == "met 0 of 1 judged hour in the last 7 days"
    assert words(Counts(), 7) == "no judged hours in the last 7 days yet"
    assert words(Counts(no_data=4), 7) == "no judged hours in the last 7 days yet"
    assert (
        words(Counts(low_volume=3), 7)
        == "no judged hours in the last 7 days yet (3 low volume not judged)"
    )

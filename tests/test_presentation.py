"""Each KPI's presentation: one place for its Grafana unit, volume guard and dashboard placement."""

from __future__ import annotations

from exporter import presentation
from exporter.catalog import CATALOG, Tab
from exporter.presentation import Dashboard


def test_every_kpi_has_one_presentation_on_its_tabs_dashboard() -> None:
    assert [p.kpi for p in presentation.PRESENTATIONS] == list(CATALOG)
    for shown in presentation.PRESENTATIONS:
        expected = Dashboard.OPERATIONS if shown.kpi.tab is Tab.OPERATIONS else Dashboard.TEAM
        assert shown.dashboard is expected
        assert shown.level in shown.kpi.levels


def test_units_follow_the_catalog() -> None:
    units = {p.kpi.name: (p.grafana_unit, p.decimals) for p in presentation.PRESENTATIONS}
    assert units["service_level_ratio"] == ("percentunit", 1)
    assert units["average_handle_time_seconds"] == ("s", 1)
    assert units["customer_satisfaction_score"] == ("none", 2)
    assert units["contacts_waiting"] == ("short", 0)
    shown = presentation.of("net_promoter_score")
    assert (shown.min, shown.max) == (-100.0, 100.0)
    assert (
        presentation.of("longest_wait_seconds").min,
        presentation.of("longest_wait_seconds").max,
    ) == (None, None)


def test_minimum_samples_and_volume_nouns_as_the_readme_says() -> None:
    # README, Alert rules: 20 contacts for ratios, 10 for seconds and scores, 30 for NPS and
    # outbound dials, 1800 staffed seconds for occupancy; none for Live and In Queue KPIs.
    guard = {p.kpi.name: (p.min_sample_size, p.volume_noun) for p in presentation.PRESENTATIONS}
    assert guard["service_level_ratio"] == (20, "contacts")
    assert guard["average_speed_of_answer_seconds"] == (10, "contacts")
    assert guard["customer_satisfaction_score"] == (10, "survey answers")
    assert guard["net_promoter_score"] == (30, "survey answers")
    assert guard["outbound_drop_ratio"] == (30, "dials that reached a person")
    assert guard["occupancy_ratio"] == (1800, "staffed seconds")
    assert guard["contacts_waiting"][0] is None and guard["agents_available"][0] is None
    assert guard["contacts_handled"][0] is None  # a low count is the breach itself


def test_dashboard_levels_and_description() -> None:
    assert presentation.of("service_level_ratio").level == "queue"
    assert presentation.of("outbound_drop_ratio").level == "campaign"
    assert presentation.of("occupancy_ratio").level == "team"
    assert presentation.of("agents_available").level == "team"
    assert presentation.of("net_promoter_score").description == (
        "All Time: 100 * (promoters (9-10) - detractors (0-6)) / NPS answers, -100..100. "
        "A long-term loyalty measure, so it is cumulative rather than hourly."
    )
    on_operations = presentation.on_dashboard(Dashboard.OPERATIONS)
    assert "ai_customer_experience_score" not in {p.kpi.name for p in on_operations}
    assert len(on_operations) == 15 and len(presentation.on_dashboard(Dashboard.TEAM)) == 6

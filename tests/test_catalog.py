"""The KPI catalog keeps the promises DESIGN.md makes about every KPI."""

from __future__ import annotations

import re

import pytest

from exporter import catalog
from exporter.catalog import CATALOG, SCOPE_LABELS, Direction, Period, Tab, Unit

# Every KPI that DESIGN.md's "KPI catalog" section names, by the name this product gives it.
DESIGN_KPIS = {
    "service_level_ratio",
    "average_speed_of_answer_seconds",
    "abandonment_ratio",
    "average_handle_time_seconds",
    "contacts_waiting",
    "longest_wait_seconds",
    "first_contact_resolution_ratio",
    "customer_satisfaction_score",
    "net_promoter_score",
    "customer_effort_score",
    "bot_containment_ratio",
    "outbound_answer_ratio",
    "outbound_contact_ratio",
    "outbound_conversion_ratio",
    "outbound_drop_ratio",
    "occupancy_ratio",
    "agents_available",
    "contacts_handled",
    "team_average_handle_time_seconds",
    "team_first_contact_resolution_ratio",
    "team_customer_satisfaction_score",
    "ai_customer_experience_score",
}

# The unit each name must end with: the name carries the unit, as Prometheus names do.
UNIT_SUFFIX = {
    Unit.RATIO: "_ratio",
    Unit.SECONDS: "_seconds",
    Unit.SCORE: "_score",
    Unit.CONTACTS: "contacts_",
    Unit.AGENTS: "agents_",
}


def test_catalog_has_every_kpi_of_the_design_and_no_duplicate() -> None:
    names = [kpi.name for kpi in CATALOG]
    assert len(names) == len(set(names))
    assert set(names) == DESIGN_KPIS


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda kpi: kpi.name)
def test_name_carries_its_unit(kpi: catalog.Kpi) -> None:
    suffix = UNIT_SUFFIX[kpi.unit]
    assert kpi.name.endswith(suffix) or kpi.name.startswith(suffix)
    assert re.fullmatch(r"[a-z][a-z_]*[a-z]", kpi.name)


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda kpi: kpi.name)
def test_bounds_match_the_unit(kpi: catalog.Kpi) -> None:
    if kpi.unit is Unit.RATIO:
        assert (kpi.minimum, kpi.maximum) == (0.0, 1.0)
    if kpi.unit in (Unit.SECONDS, Unit.CONTACTS, Unit.AGENTS):
        assert kpi.minimum == 0.0
        assert kpi.maximum is None


def test_survey_scales() -> None:
    csat = catalog.get("customer_satisfaction_score")
    assert (csat.minimum, csat.maximum) == (1.0, 5.0)
    assert catalog.get("customer_effort_score").maximum == 7.0
    assert catalog.get("customer_effort_score").direction is Direction.LOWER
    nps = catalog.get("net_promoter_score")
    assert (nps.minimum, nps.maximum) == (-100.0, 100.0)


def test_only_the_ai_scored_kpi_is_ineligible() -> None:
    ineligible = [kpi.name for kpi in CATALOG if not kpi.eligible]
    assert ineligible == ["ai_customer_experience_score"]


def test_scope_labels_are_known_and_ordered_most_specific_first() -> None:
    for kpi in CATALOG:
        assert set(kpi.scope_labels) <= set(SCOPE_LABELS)
        ranks = [SCOPE_LABELS.index(label) for label in kpi.scope_labels]
        assert ranks == sorted(ranks)
    assert catalog.get("service_level_ratio").scope_labels == ("queue", "channel")
    assert catalog.get("occupancy_ratio").scope_labels == ("agent", "team")
    assert catalog.get("outbound_drop_ratio").scope_labels == ("campaign",)


def test_each_scope_has_one_level_named_by_its_most_specific_label() -> None:
    assert catalog.level_of(()) == "site"
    assert catalog.level_of(("channel",)) == "channel"
    assert catalog.level_of(("queue", "channel")) == "queue"
    assert catalog.level_of(("channel", "queue")) == "queue"  # order does not matter
    assert catalog.level_of(("team", "agent")) == "agent"
    assert catalog.level_of(("campaign",)) == "campaign"
    for kpi in CATALOG:
        assert len(set(kpi.levels)) == len(kpi.scopes), kpi.name  # one level per label set
        assert set(kpi.levels) <= set(catalog.LEVELS)
    assert catalog.get("service_level_ratio").levels == ("site", "channel", "queue")
    assert catalog.get("occupancy_ratio").levels == ("team", "agent")


def test_periods_and_tabs() -> None:
    assert catalog.get("contacts_waiting").period is Period.IN_QUEUE
    assert catalog.get("longest_wait_seconds").period is Period.IN_QUEUE
    assert catalog.get("agents_available").period is Period.LIVE
    assert catalog.get("net_promoter_score").period is Period.ALL_TIME
    assert catalog.get("service_level_ratio").period is Period.HOURLY
    team = {kpi.name for kpi in CATALOG if kpi.tab is Tab.TEAM}
    assert team == {
        "occupancy_ratio",
        "agents_available",
        "contacts_handled",
        "team_average_handle_time_seconds",
        "team_first_contact_resolution_ratio",
        "team_customer_satisfaction_score",
    }


def test_as_dict_has_the_documented_keys() -> None:
    data = catalog.get("service_level_ratio").as_dict()
    assert data["eligible"] is True
    assert data["tab"] == "Contact Center Operations"
    assert data["period"] == "Hourly"
    assert data["direction"] == "higher"
    assert data["scope_labels"] == ["queue", "channel"]
    assert data["scopes"] == [[], ["channel"], ["queue", "channel"]]


def test_lookup() -> None:
    assert catalog.get("abandonment_ratio").title == "Abandonment rate"
    assert catalog.find("no_such_kpi") is None
    with pytest.raises(KeyError):
        catalog.get("no_such_kpi")

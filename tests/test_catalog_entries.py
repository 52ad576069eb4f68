"""Every catalog entry is complete (formula, sample size, unit, placement, range formula, alert
guard), is the only place a KPI is keyed, and the catalog and series names sit where layering
wants them."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exporter import catalog, names, presentation
from exporter.catalog import CATALOG, Family, Kpi, Period, Unit, operations, team
from exporter.catalog.promql import Range
from exporter.catalog.sums import (
    CampaignTally,
    ContactTally,
    NpsTally,
    ServiceLevelVariant,
    TeamTally,
    WaitingNow,
)
from exporter.dashboards import queries
from exporter.engine.counters import SPECS
from exporter.rules import build_rules

EXPORTER = Path(catalog.__file__).resolve().parents[1]
_SUMS: dict[Family, type] = {
    Family.CONTACTS: ContactTally,
    Family.NPS: NpsTally,
    Family.TEAMS: TeamTally,
    Family.CAMPAIGNS: CampaignTally,
}


_SOME_DIALS = CampaignTally(dials=10, machine=2, live=4, dropped=1, converted=1)


def _filled(factory: type, value: int) -> object:
    """A tally with every field at ``value``."""
    return factory(**{field.name: value for field in dataclasses.fields(factory)})


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda kpi: kpi.name)
def test_the_formula_over_the_sums_gives_a_value_and_nothing_without_data(kpi: Kpi) -> None:
    if kpi.family is Family.WAITING:
        value, size = kpi.compute(WaitingNow(3, 42.5)) or (None, None)
        expected = 3.0 if kpi.name == "contacts_waiting" else 42.5
        assert (value, size) == (expected, None)
        return
    if kpi.family is Family.AGENTS:
        assert kpi.compute(7) == (7.0, None)
        return
    factory = _SUMS[kpi.family]
    assert kpi.compute(factory()) is None, "no data is no sample, never a fake 0"
    some = _SOME_DIALS if factory is CampaignTally else _filled(factory, 10)
    result = kpi.compute(some)
    assert result is not None
    value, size = result
    assert size is not None and size > 0
    if kpi.minimum is not None:
        assert value >= kpi.minimum
    if kpi.maximum is not None:
        assert value <= kpi.maximum


def test_hand_worked_values() -> None:
    contacts = ContactTally(answered=8, answered_within=6, abandoned=4, abandoned_short=2)
    # 6 within / (8 + 4 - 2 short): 0.6 of 10 contacts.
    assert catalog.get("service_level_ratio").compute(contacts) == (0.6, 10.0)
    # (4 - 2) counted abandons / (8 + 2).
    assert catalog.get("abandonment_ratio").compute(contacts) == (0.2, 10.0)
    dials = CampaignTally(dials=10, machine=2, live=4, dropped=1, converted=1)
    assert catalog.get("outbound_answer_ratio").compute(dials) == (0.7, 10.0)
    assert catalog.get("outbound_drop_ratio").compute(dials) == (0.2, 5.0)
    staffed = TeamTally(busy_seconds=1800, after_contact_work_seconds=900, available_seconds=900)
    assert catalog.get("occupancy_ratio").compute(staffed) == (0.75, 3600.0)


def test_service_level_has_a_formula_per_variant_and_compute_is_the_default() -> None:
    kpi = catalog.get("service_level_ratio")
    assert set(kpi.variants) == set(ServiceLevelVariant)
    tally = ContactTally(answered=8, answered_within=6, abandoned=4, abandoned_within=1)
    assert kpi.compute_for(ServiceLevelVariant.ANSWERED)(tally) == (0.75, 8.0)
    assert kpi.compute_for(ServiceLevelVariant.WITHIN_THRESHOLD)(tally) == (7 / 12, 12.0)
    assert kpi.compute(tally) == kpi.compute_for(ServiceLevelVariant.OFFERED_MINUS_SHORT_ABANDONS)(
        tally
    )
    # No other KPI has variants: compute_for gives its one formula.
    other = catalog.get("abandonment_ratio")
    assert other.compute_for(ServiceLevelVariant.ANSWERED) is other.compute


_COUNTER_SERIES = {
    value
    for key, value in vars(names).items()
    if key.isupper() and str(value).startswith("contact_")
}


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda kpi: kpi.name)
def test_a_range_formula_or_why_not(kpi: Kpi) -> None:
    if kpi.over_range is None:
        assert kpi.no_range, "an entry without a range formula says why"
        assert queries.range_query(kpi, team=False) is None
        return
    assert not kpi.no_range
    for variables in (queries.QUEUE_VARIABLES, queries.HANDLER_VARIABLES):
        query = kpi.over_range(Range(variables))
        used = set(re.findall(r"contact_center_\w+_total", query))
        assert used, query
        assert used <= _COUNTER_SERIES, "every counter a range formula reads is a named series"
        assert "[$__range]" in query


def test_in_queue_and_live_kpis_have_no_range_and_every_flow_kpi_on_a_dashboard_has_one() -> None:
    for kpi in CATALOG:
        if kpi.period in (Period.LIVE, Period.IN_QUEUE):
            assert kpi.over_range is None
    with_range = {kpi.name for kpi in CATALOG if kpi.over_range is not None}
    flows = {kpi.name for kpi in CATALOG if kpi.period in (Period.HOURLY, Period.ALL_TIME)}
    assert flows - with_range == {"occupancy_ratio", "ai_customer_experience_score"}


@pytest.mark.parametrize("kpi", CATALOG, ids=lambda kpi: kpi.name)
def test_presentation_and_alert_guard(kpi: Kpi) -> None:
    shown = presentation.of(kpi.name)
    assert shown.kpi is kpi
    assert shown.grafana_unit
    assert shown.level in kpi.levels
    assert shown.dashboard is presentation.DASHBOARD_OF_TAB[kpi.tab]
    assert kpi.volume_noun and shown.volume_noun == kpi.volume_noun
    no_volume = kpi.period in (Period.LIVE, Period.IN_QUEUE) or kpi.unit in (
        Unit.CONTACTS,
        Unit.AGENTS,
    )
    if no_volume:
        assert shown.min_sample_size is None
    else:
        assert shown.min_sample_size is not None and shown.min_sample_size > 0
        if kpi.min_sample is not None:
            assert shown.min_sample_size == kpi.min_sample


def test_every_eligible_kpi_has_its_breach_rules() -> None:
    rules = build_rules()["groups"][0]["rules"]
    alerted = {rule["labels"]["kpi"] for rule in rules}
    assert alerted == {kpi.name for kpi in CATALOG if kpi.eligible}
    assert len(rules) == 4 * len(alerted)  # two quantifiers, warning and critical


@pytest.mark.parametrize("module", [operations, team], ids=lambda module: module.__name__)
def test_each_tab_module_lists_every_entry_it_defines(module: object) -> None:
    defined = [value for value in vars(module).values() if isinstance(value, Kpi)]
    assert list(module.KPIS) == defined  # type: ignore[attr-defined]


def test_no_kpi_name_is_keyed_outside_its_entry() -> None:
    """The consumers iterate over the catalog: no code outside it holds a KPI's name as a string
    (docstrings and messages that merely mention one are longer strings)."""
    kpi_names = set(catalog.names())
    found = []
    for path in EXPORTER.rglob("*.py"):
        if path.parent.name == "catalog":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in kpi_names:
                found.append(f"{path.relative_to(EXPORTER)}:{node.lineno}: {node.value}")
    assert found == []


def test_every_counter_is_a_named_series_written_once() -> None:
    spec_names = [spec.name for spec in SPECS]
    assert set(spec_names) == _COUNTER_SERIES
    assert len(set(spec_names)) == len(spec_names)
    series = [
        value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)
    ]
    text = {path: path.read_text() for path in EXPORTER.rglob("*.py") if path.name != "names.py"}
    for name in series:
        if not name.startswith(("contact_center_", "kpi_targets_source_up")):
            continue
        family = names.family_name(name)  # with or without the _total suffix
        typed = [
            str(path.relative_to(EXPORTER))
            for path, body in text.items()
            if re.search(rf"[\"']{family}(_total)?[\"'{{]", body)
        ]
        assert typed == [], f"{name} is typed outside exporter/names.py"
    # Nor built from fragments, which a grep for the series would miss.
    assert [path for path, body in text.items() if re.search(r"contact_center_\{", body)] == []


def test_the_catalog_imports_nothing_of_the_engine() -> None:
    probe = (
        "import sys, exporter.catalog, exporter.presentation; "
        "print(sorted(m for m in sys.modules if m.startswith('exporter.engine')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"


def _readme_example() -> Kpi:
    """The worked example of the README's development section, run in the entries' module."""
    readme = (EXPORTER.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Adding a KPI**") :]
    code = re.search(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert code is not None
    namespace = dict(vars(operations))
    exec(code.group(1), namespace)  # the README's own example, as it is printed
    return namespace["SHORT_ABANDONMENT"]


def test_the_readmes_added_kpi_is_one_entry_the_engine_and_dashboards_take(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine_fixtures import T0, abandoned, answered, offered

    from exporter.engine import KpiEngine

    kpi = _readme_example()
    assert kpi.compute(ContactTally(abandoned=10, abandoned_short=3)) == (0.3, 10.0)
    query = queries.range_query(kpi, team=False)
    assert query is not None and names.CONTACTS_ABANDONED_SHORT in query
    monkeypatch.setattr(catalog, "CATALOG", (*CATALOG, kpi))
    engine = KpiEngine()
    for event in (
        offered(T0, "a"),
        abandoned(T0 + 2, "a", 2.0),  # short (<= 5 s)
        offered(T0, "b"),
        abandoned(T0 + 60, "b", 60.0),
        offered(T0, "c"),
        answered(T0 + 9, "c", 9.0),
    ):
        assert engine.ingest(event) is None
    found = {
        sample.labels: (sample.value, sample.sample_size)
        for sample in engine.snapshot(T0 + 600).kpis
        if sample.kpi == "short_abandonment_ratio"
    }
    # 1 short abandon of 2 abandons, for the site, the channel and the queue.
    assert found == {
        (): (0.5, 2.0),
        (("channel", "voice"),): (0.5, 2.0),
        (("channel", "voice"), ("queue", "sales")): (0.5, 2.0),
    }

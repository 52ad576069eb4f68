"""The name of every series the exporter publishes, and of the labels they carry: written once.

The collector, the alert rules, the dashboards' queries, the engine's raw counters and backfill
all take their names from here, so a grep for a series finds every place that reads or writes it.
Counters are written with their ``_total`` suffix, as Prometheus stores them; ``family_name``
gives the name ``prometheus_client`` wants for the family (the suffix removed).
"""

from __future__ import annotations

# --- KPI series (exporter.collector.KpiCollector, CatalogCollector) -----------------------------

KPI_VALUE = "kpi_value"
KPI_SAMPLE_SIZE = "kpi_sample_size"
KPI_TARGET = "kpi_target"
KPI_TARGET_MET = "kpi_target_met"
# The last closed period of Hourly KPIs (exporter.closed_periods), and the periods counted.
KPI_LAST_PERIOD_VALUE = "kpi_last_period_value"
KPI_LAST_PERIOD_TARGET = "kpi_last_period_target"
KPI_LAST_PERIOD_MET = "kpi_last_period_met"
KPI_TARGET_STATUS = "kpi_target_status"
KPI_INFO = "kpi_info"
BUILD_INFO = "kpi_targets_build_info"
TARGETS_VERSION_TIMESTAMP = "kpi_targets_targets_version_timestamp_seconds"
KPI_TARGET_PERIODS = "kpi_target_periods_total"
RESULT = "result"

# Agents needed now (exporter.staffing_collector.StaffingCollector).
AGENTS_REQUIRED = "kpi_agents_required"
AGENTS_ON_DUTY = "kpi_agents_on_duty"
PREDICTED_VALUE = "kpi_predicted_value"
AGENTS_ESTIMATE_STATUS = "kpi_agents_estimate_status"
MODEL = "model"

# --- the exporter's self-metrics (exporter.collector.SelfMetricsCollector) ---------------------

EVENTS_READ = "kpi_targets_events_read_total"
EVENTS_REJECTED = "kpi_targets_events_rejected_total"
SOURCE_LAST_EVENT_TIMESTAMP = "kpi_targets_source_last_event_timestamp_seconds"
SOURCE_UP = "kpi_targets_source_up"
SOURCE_FAILURES = "kpi_targets_source_failures_total"
TARGET_RELOADS = "kpi_targets_target_reloads_total"
TARGET_RELOAD_ERRORS = "kpi_targets_target_reload_errors_total"
TARGETS_VALID = "kpi_targets_targets_valid"
# Prometheus's own, per scrape target.
UP = "up"

# --- raw-flow counters (exporter.engine.counters) ----------------------------------------------

CONTACTS_OFFERED = "contact_center_contacts_offered_total"
CONTACTS_ANSWERED = "contact_center_contacts_answered_total"
CONTACTS_ANSWERED_WITHIN_THRESHOLD = "contact_center_contacts_answered_within_threshold_total"
CONTACTS_ABANDONED = "contact_center_contacts_abandoned_total"
QUEUE_EXITS = "contact_center_queue_exits_total"
CONTACTS_ABANDONED_SHORT = "contact_center_contacts_abandoned_short_total"
CONTACTS_ABANDONED_WITHIN_THRESHOLD = "contact_center_contacts_abandoned_within_threshold_total"
ANSWERED_WAIT_SECONDS = "contact_center_answered_wait_seconds_total"
CONTACTS_HANDLED = "contact_center_contacts_handled_total"
HANDLE_SECONDS = "contact_center_handle_seconds_total"
CONTACTS_RESOLUTION_KNOWN = "contact_center_contacts_resolution_known_total"
CONTACTS_RESOLVED = "contact_center_contacts_resolved_total"
SURVEY_ANSWERS = "contact_center_survey_answers_total"
SURVEY_SCORE_POINTS = "contact_center_survey_score_points_total"
NPS_ANSWERS = "contact_center_nps_answers_total"
AGENT_STATE_SECONDS = "contact_center_agent_state_seconds_total"
OUTBOUND_DIALS = "contact_center_outbound_dials_total"
OUTBOUND_CONVERTED = "contact_center_outbound_converted_total"
BOT_SESSIONS = "contact_center_bot_sessions_total"

# --- labels --------------------------------------------------------------------------------------

KPI = "kpi"
LEVEL = "level"
QUANTIFIER = "quantifier"
STATUS = "status"
DETAIL = "detail"
SOURCE = "source"
REASON = "reason"
VERSION = "version"
JOB = "job"
INSTANCE = "instance"
# The scope labels (exporter.catalog.SCOPE_LABELS orders them by precedence).
AGENT = "agent"
QUEUE = "queue"
TEAM = "team"
CAMPAIGN = "campaign"
CHANNEL = "channel"
# The enumerated last label of some counters.
SURVEY = "survey"
CATEGORY = "category"
STATE = "state"
OUTCOME = "outcome"
CONTAINED = "contained"
# The values of RESULT on KPI_TARGET_PERIODS (exporter.targets.periods.PeriodResult).
PERIOD_RESULTS: tuple[str, ...] = ("met", "missed", "low_volume", "no_data")

# The labels of the raw counters' scopes: a queue's contacts, and who handled them.
QUEUE_LABELS: tuple[str, ...] = (QUEUE, CHANNEL)
HANDLER_LABELS: tuple[str, ...] = (QUEUE, CHANNEL, TEAM, AGENT)


def family_name(series: str) -> str:
    """The metric family of a series, as ``prometheus_client`` names it: a counter without its
    ``_total`` suffix (``kpi_targets_events_read_total`` -> ``kpi_targets_events_read``)."""
    return series.removesuffix("_total")

"""Raw-flow counters (All Time, monotonic), published as ``contact_center_<name>_total``.

Labels are the finest scope an event carries, so Prometheus can sum any coarser scope, any range,
and across several exporters (e.g. ``sum by (channel) (rate(...[1h]))``). Every KPI ratio can be
rebuilt from them, e.g. the default service level over a range is
``answered_within_threshold / (answered + abandoned - abandoned_short)``.

Counters sharing the same base labels (a counter's labels without its enumerated last label, such
as ``survey`` or ``outcome``) appear together, at 0: the first count of a new queue creates every
queue counter of it, with every enumerated value, so a ratio of two counters exists as soon as
its scope does (``increase()`` of the abandons is 0, not absent, before the first abandon), and
``seed`` creates them for scopes known before any event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from exporter.engine.scopes import EventScopes
from exporter.engine.tallies import HourRow
from exporter.engine.types import CounterFamily

QUEUE_LABELS = ("queue", "channel")
HANDLER_LABELS = ("queue", "channel", "team", "agent")
SURVEYS = ("csat", "nps", "ces", "ai_cx")


@dataclass(frozen=True, slots=True)
class CounterSpec:
    name: str
    documentation: str
    label_names: tuple[str, ...]
    # The values of the last label when it is an enumeration (survey, category, outcome, ...).
    values: tuple[str, ...] = ()

    @property
    def base_labels(self) -> tuple[str, ...]:
        return self.label_names[:-1] if self.values else self.label_names


SPECS: tuple[CounterSpec, ...] = (
    CounterSpec(
        "contact_center_contacts_offered",
        "Contacts that entered a queue.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_answered",
        "Contacts answered by an agent.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_answered_within_threshold",
        "Contacts answered within the channel's service-level threshold (wait <= T).",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_abandoned",
        "Contacts that left the queue unanswered, short abandons included.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_queue_exits",
        "Contacts that left the queue unanswered, by reason: abandoned (the caller hung up), "
        "timeout, empty, key, withdrawn; they sum to contacts_abandoned.",
        (*QUEUE_LABELS, "reason"),
    ),
    CounterSpec(
        "contact_center_contacts_abandoned_short",
        "Abandons at or under the short-abandon cutoff (misdials, not lost customers).",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_abandoned_within_threshold",
        "Abandons within the channel's service-level threshold (wait <= T).",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_answered_wait_seconds",
        "Seconds answered contacts waited from queue entry to answer.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_handled",
        "Contacts whose handling ended.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        "contact_center_handle_seconds",
        "Talk + hold + after-contact-work seconds of handled contacts.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_resolution_known",
        "Handled contacts that reported whether they were resolved on first contact.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        "contact_center_contacts_resolved",
        "Handled contacts resolved on first contact.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        "contact_center_survey_answers",
        "Survey answers, by survey (csat, nps, ces, ai_cx).",
        (*HANDLER_LABELS, "survey"),
        SURVEYS,
    ),
    CounterSpec(
        "contact_center_survey_score_points",
        "Sum of survey scores on each survey's own scale, by survey; divide by the answers.",
        (*HANDLER_LABELS, "survey"),
        SURVEYS,
    ),
    CounterSpec(
        "contact_center_nps_answers",
        "NPS answers by category: promoter (9-10), passive (7-8), detractor (0-6).",
        (*HANDLER_LABELS, "category"),
        ("promoter", "passive", "detractor"),
    ),
    CounterSpec(
        "contact_center_agent_state_seconds",
        "Seconds agents spent in each state: available, on_contact, after_contact_work, paused, "
        "outbound (logged-out time is not counted).",
        ("team", "agent", "state"),
    ),
    CounterSpec(
        "contact_center_outbound_dials",
        "Outbound dials by outcome (no_answer, machine, live, dropped).",
        ("campaign", "outcome"),
        ("no_answer", "machine", "live", "dropped"),
    ),
    CounterSpec(
        "contact_center_outbound_converted",
        "Outbound dials connected to an agent that converted.",
        ("campaign",),
    ),
    CounterSpec(
        "contact_center_bot_sessions",
        "Self-service (bot or IVR) sessions, by whether the bot contained them.",
        (*QUEUE_LABELS, "contained"),
        ("true", "false"),
    ),
)
_SPEC_BY_NAME = {spec.name: spec for spec in SPECS}


class Counters:
    """Monotonic sums per counter and label values (in the spec's label order)."""

    def __init__(self) -> None:
        self._values: dict[str, dict[tuple[str, ...], float]] = {spec.name: {} for spec in SPECS}
        # Per base label names: every counter with them, and its enumerated values.
        self._by_base: dict[
            tuple[str, ...], list[tuple[dict[tuple[str, ...], float], tuple[str, ...]]]
        ] = {}
        for spec in SPECS:
            family = (self._values[spec.name], spec.values)
            self._by_base.setdefault(spec.base_labels, []).append(family)
        self._base_of = {spec.name: spec.base_labels for spec in SPECS}

    def add(self, name: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        samples = self._values[name]
        current = samples.get(labels)
        if current is None:
            base = self._base_of[name]
            if labels[0]:  # a new queue (campaign): its sibling counters appear with it, at 0
                self.seed(base, labels[: len(base)])
            current = samples.get(labels, 0.0)
        samples[labels] = current + amount

    def adder(self, name: str) -> Callable[[tuple[str, ...], float], None]:
        """``add`` of one counter, as one call: for a counter alone with its base labels (no
        sibling to seed), a get and a set of its own samples."""
        base = self._base_of[name]
        if len(self._by_base[base]) > 1 or _SPEC_BY_NAME[name].values:
            return partial(self.add, name)
        samples = self._values[name]

        def add(labels: tuple[str, ...], amount: float) -> None:
            samples[labels] = samples.get(labels, 0.0) + amount

        return add

    def seed(self, base_labels: tuple[str, ...], values: tuple[str, ...]) -> None:
        """Every counter with these base labels at 0 for ``values`` (kept if counted already)."""
        families = self._by_base.get(base_labels, ())
        if families and not families[0][1] and values in families[0][0]:
            return  # seeded before (the first family is never enumerated): the common case
        for samples, enumerated in families:
            if enumerated:
                for value in enumerated:
                    samples.setdefault((*values, value), 0.0)
            else:
                samples.setdefault(values, 0.0)

    def add_row(self, scopes: EventScopes, row: HourRow) -> None:
        """Add what the events of a label combination counted (an hour row, or what it added
        since the last time: ``HourBucket.changes``): the same adds, in the same order, its
        events would have made one by one (so the same counters exist)."""
        add, queue, handler = self.add, scopes.queue_labels, scopes.handler_labels
        if row.offered:
            add("contact_center_contacts_offered", queue, row.offered)
        if row.answered:
            add("contact_center_contacts_answered", queue, row.answered)
            add("contact_center_answered_wait_seconds", queue, row.answered_wait_seconds)
            if scopes.agent:  # the handler's counters exist at 0 before the contact ends
                self.seed(HANDLER_LABELS, handler)
            if row.answered_within:
                add("contact_center_contacts_answered_within_threshold", queue, row.answered_within)
        if row.abandoned:
            add("contact_center_contacts_abandoned", queue, row.abandoned)
            for reason, count in (row.exits or {}).items():
                add("contact_center_queue_exits", (*queue, reason), count)
            if row.abandoned_short:
                add("contact_center_contacts_abandoned_short", queue, row.abandoned_short)
            if row.abandoned_within:
                add(
                    "contact_center_contacts_abandoned_within_threshold",
                    queue,
                    row.abandoned_within,
                )
        if row.handled:
            add("contact_center_contacts_handled", handler, row.handled)
            add("contact_center_handle_seconds", handler, row.handle_seconds)
            if row.resolution_known:
                add("contact_center_contacts_resolution_known", handler, row.resolution_known)
            if row.resolved:
                add("contact_center_contacts_resolved", handler, row.resolved)
        if row.nps_answers:
            passives = row.nps_answers - row.nps_promoters - row.nps_detractors
            for category, count in (
                ("promoter", row.nps_promoters),
                ("passive", passives),
                ("detractor", row.nps_detractors),
            ):
                if count:
                    add("contact_center_nps_answers", (*handler, category), count)
        for survey, answers, points in (
            ("csat", row.csat_answers, row.csat_sum),
            ("nps", row.nps_answers, row.nps_sum),
            ("ces", row.ces_answers, row.ces_sum),
            ("ai_cx", row.ai_cx_answers, row.ai_cx_sum),
        ):
            if answers:
                add("contact_center_survey_answers", (*handler, survey), answers)
                add("contact_center_survey_score_points", (*handler, survey), points)
        if row.dials:
            campaign = scopes.campaign
            no_answer = row.dials - row.machine - row.live - row.dropped
            for outcome, count in (
                ("no_answer", no_answer),
                ("machine", row.machine),
                ("live", row.live),
                ("dropped", row.dropped),
            ):
                if count:
                    add("contact_center_outbound_dials", (campaign, outcome), count)
            if row.converted:
                add("contact_center_outbound_converted", (campaign,), row.converted)
        if row.bot_sessions:
            for contained, count in (
                ("true", row.bot_contained),
                ("false", row.bot_sessions - row.bot_contained),
            ):
                if count:
                    add("contact_center_bot_sessions", (*queue, contained), count)

    def families(self) -> list[CounterFamily]:
        """A copy of every counter, safe to hand to another thread."""
        return [
            CounterFamily(
                name=spec.name,
                documentation=spec.documentation,
                label_names=spec.label_names,
                samples=dict(self._values[spec.name]),
            )
            for spec in SPECS
        ]

    def label_names(self, name: str) -> tuple[str, ...]:
        return _SPEC_BY_NAME[name].label_names

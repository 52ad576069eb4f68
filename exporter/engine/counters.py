"""Raw-flow counters (All Time, monotonic), published as ``contact_center_<name>_total``
(their names: ``exporter.names``).

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

from exporter import names
from exporter.engine.scopes import EventScopes
from exporter.engine.tallies import HourRow
from exporter.engine.types import CounterFamily
from exporter.names import HANDLER_LABELS, QUEUE_LABELS

SURVEYS = ("csat", "nps", "ces", "ai_cx")


@dataclass(frozen=True, slots=True)
class CounterSpec:
    name: str  # the series, ``names.CONTACTS_OFFERED`` and so on
    documentation: str
    label_names: tuple[str, ...]
    # The values of the last label when it is an enumeration (survey, category, outcome, ...).
    values: tuple[str, ...] = ()

    @property
    def base_labels(self) -> tuple[str, ...]:
        return self.label_names[:-1] if self.values else self.label_names


SPECS: tuple[CounterSpec, ...] = (
    CounterSpec(
        names.CONTACTS_OFFERED,
        "Contacts that entered a queue.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_ANSWERED,
        "Contacts answered by an agent.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_ANSWERED_WITHIN_THRESHOLD,
        "Contacts answered within the channel's service-level threshold (wait <= T).",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_ABANDONED,
        "Contacts that left the queue unanswered, short abandons included.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.QUEUE_EXITS,
        "Contacts that left the queue unanswered, by reason: abandoned (the caller hung up), "
        "timeout, empty, key, withdrawn; they sum to contacts_abandoned.",
        (*QUEUE_LABELS, names.REASON),
    ),
    CounterSpec(
        names.CONTACTS_ABANDONED_SHORT,
        "Abandons at or under the short-abandon cutoff (misdials, not lost customers).",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_ABANDONED_WITHIN_THRESHOLD,
        "Abandons within the channel's service-level threshold (wait <= T).",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.ANSWERED_WAIT_SECONDS,
        "Seconds answered contacts waited from queue entry to answer.",
        QUEUE_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_HANDLED,
        "Contacts whose handling ended.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        names.HANDLE_SECONDS,
        "Talk + hold + after-contact-work seconds of handled contacts.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_RESOLUTION_KNOWN,
        "Handled contacts that reported whether they were resolved on first contact.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        names.CONTACTS_RESOLVED,
        "Handled contacts resolved on first contact.",
        HANDLER_LABELS,
    ),
    CounterSpec(
        names.SURVEY_ANSWERS,
        "Survey answers, by survey (csat, nps, ces, ai_cx).",
        (*HANDLER_LABELS, names.SURVEY),
        SURVEYS,
    ),
    CounterSpec(
        names.SURVEY_SCORE_POINTS,
        "Sum of survey scores on each survey's own scale, by survey; divide by the answers.",
        (*HANDLER_LABELS, names.SURVEY),
        SURVEYS,
    ),
    CounterSpec(
        names.NPS_ANSWERS,
        "NPS answers by category: promoter (9-10), passive (7-8), detractor (0-6).",
        (*HANDLER_LABELS, names.CATEGORY),
        ("promoter", "passive", "detractor"),
    ),
    CounterSpec(
        names.AGENT_STATE_SECONDS,
        "Seconds agents spent in each state: available, on_contact, after_contact_work, paused, "
        "outbound (logged-out time is not counted).",
        (names.TEAM, names.AGENT, names.STATE),
    ),
    CounterSpec(
        names.OUTBOUND_DIALS,
        "Outbound dials by outcome (no_answer, machine, live, dropped).",
        (names.CAMPAIGN, names.OUTCOME),
        ("no_answer", "machine", "live", "dropped"),
    ),
    CounterSpec(
        names.OUTBOUND_CONVERTED,
        "Outbound dials connected to an agent that converted.",
        (names.CAMPAIGN,),
    ),
    CounterSpec(
        names.BOT_SESSIONS,
        "Self-service (bot or IVR) sessions, by whether the bot contained them.",
        (*QUEUE_LABELS, names.CONTAINED),
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
            add(names.CONTACTS_OFFERED, queue, row.offered)
        if row.answered:
            add(names.CONTACTS_ANSWERED, queue, row.answered)
            add(names.ANSWERED_WAIT_SECONDS, queue, row.answered_wait_seconds)
            if scopes.agent:  # the handler's counters exist at 0 before the contact ends
                self.seed(HANDLER_LABELS, handler)
            if row.answered_within:
                add(names.CONTACTS_ANSWERED_WITHIN_THRESHOLD, queue, row.answered_within)
        if row.abandoned:
            add(names.CONTACTS_ABANDONED, queue, row.abandoned)
            for reason, count in (row.exits or {}).items():
                add(names.QUEUE_EXITS, (*queue, reason), count)
            if row.abandoned_short:
                add(names.CONTACTS_ABANDONED_SHORT, queue, row.abandoned_short)
            if row.abandoned_within:
                add(
                    names.CONTACTS_ABANDONED_WITHIN_THRESHOLD,
                    queue,
                    row.abandoned_within,
                )
        if row.handled:
            add(names.CONTACTS_HANDLED, handler, row.handled)
            add(names.HANDLE_SECONDS, handler, row.handle_seconds)
            if row.resolution_known:
                add(names.CONTACTS_RESOLUTION_KNOWN, handler, row.resolution_known)
            if row.resolved:
                add(names.CONTACTS_RESOLVED, handler, row.resolved)
        if row.nps_answers:
            passives = row.nps_answers - row.nps_promoters - row.nps_detractors
            for category, count in (
                ("promoter", row.nps_promoters),
                ("passive", passives),
                ("detractor", row.nps_detractors),
            ):
                if count:
                    add(names.NPS_ANSWERS, (*handler, category), count)
        for survey, answers, points in (
            ("csat", row.csat_answers, row.csat_sum),
            ("nps", row.nps_answers, row.nps_sum),
            ("ces", row.ces_answers, row.ces_sum),
            ("ai_cx", row.ai_cx_answers, row.ai_cx_sum),
        ):
            if answers:
                add(names.SURVEY_ANSWERS, (*handler, survey), answers)
                add(names.SURVEY_SCORE_POINTS, (*handler, survey), points)
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
                    add(names.OUTBOUND_DIALS, (campaign, outcome), count)
            if row.converted:
                add(names.OUTBOUND_CONVERTED, (campaign,), row.converted)
        if row.bot_sessions:
            for contained, count in (
                ("true", row.bot_contained),
                ("false", row.bot_sessions - row.bot_contained),
            ):
                if count:
                    add(names.BOT_SESSIONS, (*queue, contained), count)

    def families(self) -> list[CounterFamily]:
        """A copy of every counter, safe to hand to another thread."""
        return [
            CounterFamily(
                name=names.family_name(spec.name),
                documentation=spec.documentation,
                label_names=spec.label_names,
                samples=dict(self._values[spec.name]),
            )
            for spec in SPECS
        ]

    def label_names(self, name: str) -> tuple[str, ...]:
        return _SPEC_BY_NAME[name].label_names

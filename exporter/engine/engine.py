"""The incremental KPI engine: contact and agent events in, KPI values and raw counters out.

Periods
    Hourly KPIs are summed per local clock hour of ``config.timezone`` (``exporter.engine.clock``);
    a snapshot publishes the hour that contains ``now``. Live (agents available) and In Queue
    (contacts waiting, longest wait) KPIs are the state at ``now``. All Time KPIs (NPS) and the
    raw counters are cumulative since the engine started.

Attribution
    Every fact counts at the time it becomes known: an answer or abandon at that event's time, the
    handle time and resolution at ENDED, survey scores at SURVEY, agent state time split at each
    clock hour boundary. A contact event adds to one row: the sums of its combination of labels in
    the hour it falls in (``tallies.HourRow``); an out-of-order event simply lands in its own
    hour. Agent time is read from the agents' timelines (``exporter.engine.agents``).

Scopes
    Each event counts for every scope of every KPI it feeds (site, channel, queue+channel; team,
    team+agent; site, campaign), but only scopes whose labels it knows: an event without a channel
    counts for the site, not for a channel "". The tallies of a scope are the sums of the rows of
    the combinations it covers, and the raw counters too, brought up to date at each snapshot with
    what the rows changed since (``HourBucket.changes``). Missing labels of a contact's event are
    taken from what its earlier events said (a bounded memory, ``exporter.engine.contacts``), and
    an agent's missing team from the agent's state events.

Feeding
    Live sources hand events one at a time to ``ingest`` (under a lock, so a scrape waits for one
    event at most). Replay and backfill read past data in bulk on one thread: ``count`` takes an
    Event object, ``count_contact`` and ``count_agent_state`` the fields alone, without building
    one (``exporter.backfill.feed``; the fields are ``exporter.events.ContactFields``). There is
    one door: ``ingest`` and ``count`` check an event (``exporter.engine.validation``) and count
    it through ``count_contact`` or ``count_agent_state`` too.

Closed periods
    A snapshot also carries the last clock hour that ended before ``now`` (``last_period``): its
    Hourly KPI samples, taken at the first snapshot after the hour ended, from every event stamped
    in the hour that was counted by then (what ``replay --at`` the hour's last instant counts) and
    kept as they were for the rest of the next hour: a late event for that hour, counted after
    it, changes the raw counters but not the closed period's value. An hour whose bucket the
    housekeeping dropped before any snapshot asked (a burst of past data, at start) is taken just
    before it is dropped. ``exporter.closed_periods`` judges and counts them.

Out of order and bounded memory
    Events up to ``out_of_order_tolerance_seconds`` older than the newest accepted event still land
    in their hour; older ones are rejected as ``too_old``. Only hour buckets still reachable within
    that tolerance are kept; waiting contacts older than ``stale_waiting_seconds`` and contacts not
    heard of for ``contact_memory_seconds`` are dropped, so memory does not grow with history.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Mapping

from exporter import catalog, names
from exporter.catalog import Family, Period
from exporter.catalog.kpi import Formula
from exporter.catalog.sums import WaitingNow
from exporter.engine.agents import AgentTimelines
from exporter.engine.clock import LocalHours
from exporter.engine.contacts import ContactFacts, ContactMemory
from exporter.engine.counters import Counters
from exporter.engine.recent import RecentTraffic, StaffingInputs
from exporter.engine.scopes import EventScopes, ScopeCache
from exporter.engine.tallies import HourBucket, HourRow, NpsTally, TeamTally, tallies_for
from exporter.engine.types import ClosedPeriod, EngineConfig, EngineSnapshot, KpiSample
from exporter.engine.validation import (
    MISSING_WAIT,
    TOO_OLD,
    agent_state_rejection,
    contact_rejection,
    rejection_reason,
)
from exporter.engine.waiting import WaitingContacts
from exporter.events import (
    AgentState,
    AgentStateEvent,
    ContactEvent,
    ContactFields,
    ContactKind,
    Event,
    ExitReason,
    OutboundOutcome,
)
from exporter.names import HANDLER_LABELS, QUEUE_LABELS
from exporter.scope import Scope

# Of event time: prune old hours, stale waits, old contacts and segments. It bounds memory and
# changes nothing a snapshot shows (a snapshot drops stale waits itself; pruned hours and trimmed
# segments are out of reach of any event still accepted), so it need not run often.
_HOUSEKEEPING_EVERY_SECONDS = 300.0
_STATE_SECONDS_FIELD: dict[AgentState, str] = {
    AgentState.BUSY: "busy_seconds",
    AgentState.OUTBOUND: "busy_seconds",
    AgentState.AFTER_CONTACT_WORK: "after_contact_work_seconds",
    AgentState.AVAILABLE: "available_seconds",
    AgentState.LOGGED_IN: "available_seconds",
}
# Enum members read through their class cost a lookup each (about 65 ns on Python 3.11, several
# per event): the per-event code reads them from these module constants.
_OFFERED, _ANSWERED, _ABANDONED = ContactKind.OFFERED, ContactKind.ANSWERED, ContactKind.ABANDONED
_CALLER_HUNG_UP = ExitReason.ABANDONED
_CLEARED = ContactKind.CLEARED
_ENDED, _SURVEY, _OUTBOUND, _BOT = (
    ContactKind.ENDED,
    ContactKind.SURVEY,
    ContactKind.OUTBOUND,
    ContactKind.BOT,
)


def _label_sets(family: Family) -> tuple[tuple[str, ...], ...]:
    """Every label set (sorted by name) some catalog KPI of ``family`` is published for."""
    sets = {
        tuple(sorted(scope))
        for kpi in catalog.CATALOG
        if kpi.family is family
        for scope in kpi.scopes
    }
    return tuple(sorted(sets, key=lambda labels: (len(labels), labels)))


class KpiEngine:
    """Thread-safe: sources call ``ingest`` from their threads while scrapes call ``snapshot``."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self._lock = threading.Lock()
        # Events counted, and refused by reason, since the start.
        self.counted = 0
        self.refused: Counter[str] = Counter()
        # Told the reason of each refusal as it happens (replay and backfill: which line).
        self.on_refused: Callable[[str], object] | None = None
        self._hours = LocalHours(self.config.timezone)
        self._buckets: dict[float, HourBucket] = {}
        self._last_bucket: HourBucket | None = None  # the bucket the last lookup found
        self._nps: dict[Scope, NpsTally] = {}
        self._waiting = WaitingContacts()
        self._contacts = ContactMemory(
            self.config.contact_memory_seconds, self.config.contact_memory_max_entries
        )
        self._remembered = self._contacts.get
        self._memory_age = self.config.contact_memory_seconds
        self._counters = Counters()
        self._agents = AgentTimelines(self._counters.adder(names.AGENT_STATE_SECONDS))
        self._recent = RecentTraffic()  # the agents-needed estimate's inputs
        self._track_recent = self.config.recent_traffic
        # Read on every event: kept here rather than looked up through the (frozen) config.
        self._tolerance = self.config.out_of_order_tolerance_seconds
        self._thresholds = self.config.thresholds_seconds
        self._default_threshold = self.config.default_threshold_seconds
        self._short_abandon = self.config.short_abandon_seconds
        self._newest = -math.inf
        # The start of the hour holding the out-of-order cut, as of the last housekeeping: the
        # oldest hour a snapshot may still publish, whose agent time the timelines keep.
        self._keep_from = -math.inf
        self._next_housekeeping = -math.inf
        self._queue_scopes = _label_sets(Family.CONTACTS)
        self._team_scopes = _label_sets(Family.TEAMS)
        self._campaign_scopes = _label_sets(Family.CAMPAIGNS)
        self._agent_scopes = _label_sets(Family.AGENTS)
        self._scopes = ScopeCache(self._queue_scopes, self._team_scopes, self._campaign_scopes)
        self._scopes_built = self._scopes.built  # a dict's get: one call fewer per event
        # Per KPI: its family, its formula (in the service-level variant configured) and the
        # label sets it is published for.
        variant = self.config.service_level_variant
        self._published = [
            (kpi.name, kpi.family, kpi.compute_for(variant), {tuple(sorted(s)) for s in kpi.scopes})
            for kpi in catalog.CATALOG
        ]
        # Those of a closed period: the Hourly KPIs.
        self._hourly = [
            entry
            for kpi, entry in zip(catalog.CATALOG, self._published, strict=True)
            if kpi.period is Period.HOURLY
        ]
        # The last closed hour as the first snapshot after it saw it; the newest hour the
        # housekeeping dropped, taken as it was dropped (see "Closed periods").
        self._closed: ClosedPeriod | None = None
        self._dropped: ClosedPeriod | None = None
        # (family, scope) of every scope ``declare`` made known (a new set at each addition).
        self._declared: frozenset[tuple[Family, Scope]] = frozenset()

    # --- ingest ---------------------------------------------------------------------------------

    def ingest(self, event: Event) -> str | None:
        """Count one event. None when accepted, else why it was rejected (and nothing counted).

        Live sources call this per event, so a scrape waits for one event at most."""
        reason = rejection_reason(event)
        with self._lock:
            return self._count(event) if reason is None else self._refuse(reason)

    def count(self, event: Event) -> str | None:
        """``ingest`` without the lock: for one thread reading past data in bulk, while nothing
        else uses the engine (replay, backfill: ``exporter.backfill.feed``)."""
        reason = rejection_reason(event)
        return self._count(event) if reason is None else self._refuse(reason)

    def _count(self, event: Event) -> str | None:
        """``ingest`` past validation: by the event's fields, through the same door as replay."""
        if isinstance(event, AgentStateEvent):
            return self.count_agent_state(
                event.at, event.agent, event.state, event.team, event.queue
            )
        return self.count_contact(
            event.kind,
            event.at,
            event.contact_id,
            event.queue,
            event.channel,
            event.team,
            event.agent,
            event.wait_seconds,
            event.talk_seconds,
            event.exit_reason,
            None,
            event=event,
        )

    # --- counting by fields (replay and backfill; ``ingest`` too) ---------------------------------

    def count_contact(
        self, *fields: *ContactFields, event: ContactEvent | None = None
    ) -> str | None:
        """``ingest`` of a contact event given by its fields, without building it; no lock, like
        ``count``. None when counted, else why it was refused. With ``new_agent_state``, then the
        agent's change to it at the same instant, counted (or refused) as a separate event.
        ``event`` is the event itself when there is one (``count``): the fields only some kinds
        carry (campaign, hold and after-contact time, resolved, scores, outcome) are read from it.

        This runs for every contact event of a replay of tens of millions of lines, in four steps:
        refuse, attribute the labels, track who waits, update the hour row. They run inline, on
        local variables; only the branches most events skip call a method."""
        kind, at, contact_id, queue, channel, team, agent, wait, talk, exit_reason, new_state = (
            fields
        )
        # Refuse: the rules of exporter.engine.validation, then those of what the engine has seen.
        reason = contact_rejection(at, wait, talk)
        newest = self._newest
        if reason is not None or at < newest - self._tolerance:
            return self._refuse_contact(reason or TOO_OLD, at, agent, new_state, team)
        facts = self._remembered(contact_id)
        if facts is not None and facts.heard_at < newest - self._memory_age:
            # Not heard of for too long: forgotten (see exporter.engine.contacts).
            self._contacts.forget(contact_id)
            facts = None
        if wait is None and (kind is _ANSWERED or kind is _ABANDONED):
            wait = _wait_since_entry(kind, at, facts)
            if wait is None and kind is _ANSWERED:
                return self._refuse_contact(MISSING_WAIT, at, agent, new_state, team)
        if at > newest:
            self._newest = newest = at
        # Attribute the labels: those the event leaves out, from what the contact's earlier events
        # said; an agent's team, from the agent's state events.
        campaign = "" if event is None else event.campaign
        if facts is None:
            scope_queue, scope_channel, scope_team = queue, channel, team
            scope_agent, scope_campaign = agent, campaign
        else:
            scope_queue, scope_channel, scope_team = (
                queue or facts.queue,
                channel or facts.channel,
                team or facts.team,
            )
            scope_agent, scope_campaign = agent or facts.agent, campaign or facts.campaign
        if scope_agent and not scope_team:
            scope_team = self._agents.team_of(scope_agent)
        combination = (scope_queue, scope_channel, scope_team, scope_agent, scope_campaign)
        scopes = self._scopes_built(combination) or self._scopes.of(*combination)
        # Track who waits in queue now (In Queue KPIs).
        if contact_id:
            facts = self._contacts.remember(
                contact_id, facts, queue, channel, team, agent, campaign, newest
            )
            if kind is _OFFERED:
                self._enter_queue(contact_id, at, facts, scopes)
            elif kind is _ANSWERED or kind is _ABANDONED or kind is _ENDED or kind is _CLEARED:
                if facts.left_queue_at is None or at > facts.left_queue_at:
                    facts.left_queue_at = at
                self._waiting.leave(contact_id, at)
        # Update the hour row of the combination (``_row``, inline).
        bucket = self._last_bucket
        if bucket is None or not bucket.start <= at < bucket.end:
            bucket = self._bucket(at)
        row = bucket.rows.get(scopes) or bucket.row(scopes)
        if not row.changed:  # its first change since the last snapshot
            bucket.mark_changed(scopes, row)
        # A queue's traffic (exporter.engine.recent).
        in_queue = self._track_recent and scope_queue and scope_channel
        if kind is _OFFERED:
            row.offered += 1
            if in_queue:
                self._recent.offered(scope_queue, scope_channel, at)
        elif kind is _ANSWERED:
            assert wait is not None  # an answer without a known wait is refused above
            row.answered += 1
            row.answered_within += wait <= self._thresholds.get(
                scope_channel, self._default_threshold
            )
            row.answered_wait_seconds += wait
            if in_queue:
                self._recent.left_queue(scope_queue, scope_channel, at, wait, False)
                if scope_agent:
                    self._recent.serves(scope_agent, scope_queue)
        elif kind is _ENDED:
            row.handled += 1
            handled_before = row.handle_seconds
            if event is None:
                row.handle_seconds += talk or 0.0
            else:
                _count_ended(event, row)
            if in_queue:
                handle = row.handle_seconds - handled_before
                self._recent.handled(scope_queue, scope_channel, at, handle)
        elif kind is _ABANDONED:
            self._count_abandon(wait, exit_reason, scope_channel, row)
            if in_queue:
                self._recent.left_queue(scope_queue, scope_channel, at, wait, True)
        elif event is not None:  # TRANSFERRED and CLEARED add to no row
            self._count_details(kind, event, scopes, row)
        if new_state is not None and agent:
            self._agents.record(at, agent, new_state, team, self._keep_from)
            if self._track_recent:
                self._recent.agent_state(agent, new_state, queue)
            self.counted += 2  # the contact's event and the agent's
        else:
            self.counted += 1
        if newest >= self._next_housekeeping:
            self._housekeep()
        return None

    def _refuse_contact(
        self, reason: str, at: float, agent: str, new_agent_state: AgentState | None, team: str
    ) -> str:
        """A contact event refused; the agent's change that came with it is counted apart."""
        if new_agent_state is not None:
            self.count_agent_state(at, agent, new_agent_state, team)
        return self._refuse(reason)

    def _enter_queue(
        self, contact_id: str, at: float, facts: ContactFacts, scopes: EventScopes
    ) -> None:
        """An OFFERED event: the contact waits from ``at``, unless it already left the queue."""
        if facts.entered_at is None or at > facts.entered_at:
            facts.entered_at = at
        # An answer or abandon reported before its offer: the contact is not waiting.
        if facts.left_queue_at is None or facts.left_queue_at < at:
            self._waiting.enter(contact_id, at, scopes)
        else:
            self._waiting.see(scopes)

    def count_agent_state(
        self, at: float, agent: str, state: AgentState, team: str, queue: str = ""
    ) -> str | None:
        """``ingest`` of an ``AgentStateEvent`` without building it (see ``count_contact``).
        (``queue``, where the change was logged, says the agent serves it: agent time is per
        team, the agents on duty per queue, ``exporter.engine.recent``.)"""
        reason = agent_state_rejection(at, agent)
        if reason is not None or at < self._newest - self._tolerance:
            return self._refuse(reason or TOO_OLD)
        if at > self._newest:
            self._newest = at
        self._agents.record(at, agent, state, team, self._keep_from)
        if self._track_recent:
            self._recent.agent_state(agent, state, queue)
        if self._newest >= self._next_housekeeping:
            self._housekeep()
        self.counted += 1
        return None

    # --- counting -------------------------------------------------------------------------------

    def _refuse(self, reason: str) -> str:
        self.refused[reason] += 1
        if self.on_refused is not None:
            self.on_refused(reason)
        return reason

    def _bucket(self, at: float) -> HourBucket:
        # Nearly every event falls in the same hour as the one before it.
        bucket = self._last_bucket
        if bucket is not None and bucket.start <= at < bucket.end:
            return bucket
        start, end = self._hours.bounds(at)
        bucket = self._buckets.get(start)
        if bucket is None:
            bucket = self._buckets[start] = HourBucket(start, end)
        self._last_bucket = bucket
        return bucket

    def _count_abandon(
        self, wait: float | None, exit_reason: ExitReason | None, channel: str, row: HourRow
    ) -> None:
        row.abandoned += 1
        if wait is not None:
            row.abandoned_short += wait <= self._short_abandon
            row.abandoned_within += wait <= self._thresholds.get(channel, self._default_threshold)
        # Otherwise an abandon whose wait nobody knows (exports that write 0 for "no data"): it
        # still counts as a lost contact, neither short nor within the threshold, rather than
        # turning into a 0-second misdial that no KPI would show.
        reason = str(exit_reason or _CALLER_HUNG_UP)
        if row.exits is None:
            row.exits = {}
        row.exits[reason] = row.exits.get(reason, 0) + 1

    def _count_details(
        self, kind: ContactKind, event: ContactEvent, scopes: EventScopes, row: HourRow
    ) -> None:
        """The kinds only Event objects carry: SURVEY, OUTBOUND, BOT."""
        if kind is _SURVEY:
            self._count_survey(event, scopes, row)
            _count_ai_cx_score(event, row)
        elif kind is _OUTBOUND:
            _count_outbound(event, row)
        elif kind is _BOT:
            row.bot_sessions += 1
            row.bot_contained += event.contained is True

    def _count_survey(self, event: ContactEvent, scopes: EventScopes, row: HourRow) -> None:
        csat, ces, nps = event.csat, event.ces, event.nps
        if csat is not None:
            row.csat_answers += 1
            row.csat_sum += csat
        if ces is not None:
            row.ces_answers += 1
            row.ces_sum += ces
        if nps is not None:
            promoter, detractor = nps >= 9, nps <= 6
            for nps_tally in tallies_for(self._nps, scopes.contact_keys, NpsTally):
                nps_tally.answers += 1
                nps_tally.promoters += promoter
                nps_tally.detractors += detractor
            row.nps_answers += 1
            row.nps_sum += nps
            row.nps_promoters += promoter
            row.nps_detractors += detractor

    def _housekeep(self) -> None:
        self._next_housekeeping = self._newest + _HOUSEKEEPING_EVERY_SECONDS
        cut = self._newest - self._tolerance  # the oldest instant an event may still have
        dropped = [start for start, bucket in self._buckets.items() if bucket.end <= cut]
        newest = max(dropped, default=None)
        for start in dropped:
            # Out of reach of any event still accepted: what it counted joins the counters.
            bucket = self._buckets.pop(start)
            closed = self._closed
            if start == newest and (closed is None or closed.start != start):
                # No snapshot took this hour as closed yet: take it now, while its agent time is
                # still in the timelines (they are trimmed below).
                self._count_changes(bucket)
                self._dropped = self._closed_period(bucket, start, bucket.end)
            else:
                self._count_changes(bucket, tallies=False)
        self._last_bucket = None  # it may have been one of those
        self._waiting.drop_stale(self._newest, self.config.stale_waiting_seconds)
        self._contacts.forget_old(self._newest)
        self._keep_from = self._hours.start_of(cut)
        self._agents.trim(self._keep_from)

    def _count_changes(self, bucket: HourBucket, *, tallies: bool = True) -> None:
        """What the rows of ``bucket`` added since the last time, into the counters and, unless
        the bucket is being dropped, its tallies."""
        for scopes, added in bucket.changes(tallies=tallies):
            self._counters.add_row(scopes, added)

    def declare(
        self,
        *,
        queue: str = "",
        channel: str = "",
        team: str = "",
        agent: str = "",
        campaign: str = "",
    ) -> None:
        """A scope known before any event (a source's queues, agents, campaigns): its raw
        counters exist at 0 from the first scrape, so ``increase()`` sees its first contact; and
        the KPI scopes it makes known (``EngineSnapshot.declared``), whose closed periods are
        counted from the first scrape too."""
        with self._lock:
            known = set(self._declared)
            if queue and channel:
                self._counters.seed(QUEUE_LABELS, (queue, channel))
                known.update(
                    (Family.CONTACTS, scope)
                    for scope in (
                        (),
                        (("channel", channel),),
                        (("channel", channel), ("queue", queue)),
                    )
                )
                if agent:
                    self._counters.seed(HANDLER_LABELS, (queue, channel, team, agent))
                    self._recent.declare(agent, queue, channel)
            if team:
                known.add((Family.TEAMS, (("team", team),)))
                if agent:
                    known.add((Family.TEAMS, (("agent", agent), ("team", team))))
            if campaign:
                self._counters.seed((names.CAMPAIGN,), (campaign,))
                known.update(
                    ((Family.CAMPAIGNS, ()), (Family.CAMPAIGNS, (("campaign", campaign),)))
                )
            if len(known) != len(self._declared):
                self._declared = frozenset(known)

    # --- snapshot -------------------------------------------------------------------------------

    def snapshot(self, now: float) -> EngineSnapshot:
        """Every KPI over its period as of ``now`` (Unix seconds), and every raw counter."""
        with self._lock:
            self._waiting.drop_stale(now, self.config.stale_waiting_seconds)
            self._agents.count_until(now)
            for kept in self._buckets.values():
                self._count_changes(kept)
            start, end = self._hours.bounds(now)
            sums = self._hour_sums(self._buckets.get(start), now, start, end)
            sums[Family.NPS] = self._nps
            sums[Family.WAITING] = {
                scope: WaitingNow(queue.waiting, queue.longest_wait(now))
                for scope, queue in self._waiting.by_scope().items()
            }
            sums[Family.AGENTS] = self._agents.available_counts(self._agent_scopes)
            return EngineSnapshot(
                kpis=_all_samples(self._published, sums),
                counters=self._counters.families(),
                last_period=self._last_period(start),
                declared=self._declared,
            )

    def _hour_sums(
        self, bucket: HourBucket | None, now: float, start: float, end: float
    ) -> dict[Family, Mapping[Scope, object]]:
        """Per family of the Hourly KPIs, the sums of each scope its formulas read, for the hour
        ``[start, end)`` of ``bucket`` as of ``now``."""
        return {
            Family.CONTACTS: bucket.contact_tallies() if bucket else {},
            Family.TEAMS: self._team_tallies_now(bucket, now, start, end),
            Family.CAMPAIGNS: bucket.campaign_tallies() if bucket else {},
        }

    def _closed_period(self, bucket: HourBucket | None, start: float, end: float) -> ClosedPeriod:
        """The Hourly KPIs of the hour ``[start, end)`` that has ended (its tallies up to date)."""
        return ClosedPeriod(
            start, end, _all_samples(self._hourly, self._hour_sums(bucket, end, start, end))
        )

    def _last_period(self, start: float) -> ClosedPeriod:
        """The hour before the one starting at ``start``, taken at the first call after it ended
        and kept as it was then (see "Closed periods")."""
        closed = self._closed
        previous_start, previous_end = self._hours.bounds(start - 1.0)
        if closed is not None and closed.start == previous_start:
            return closed
        dropped = self._dropped
        if dropped is not None and dropped.start == previous_start:
            closed = dropped
        elif previous_start in self._buckets or previous_start >= self._keep_from:
            # Its bucket is here (or it had none: no contact), and its agent time too.
            closed = self._closed_period(
                self._buckets.get(previous_start), previous_start, previous_end
            )
        else:
            # No contact in it, and its agent time was trimmed already: nothing is known of it.
            closed = ClosedPeriod(previous_start, previous_end, [])
        self._closed = closed
        return closed

    def staffing_inputs(self, now: float) -> StaffingInputs:
        """Each queue's traffic of the last 30 minutes and its agents on duty now, for the
        agents-needed estimate (``exporter.staffing_collector``)."""
        with self._lock:
            return self._recent.inputs(now, self._agents.current())

    def _team_tallies_now(
        self, bucket: HourBucket | None, now: float, start: float, end: float
    ) -> dict[Scope, TeamTally]:
        """The hour's team tallies (handled contacts, from the hour rows) with the agents' time
        in each state this hour, up to ``now`` for the state they are in."""
        teams = bucket.team_tallies() if bucket else {}
        for (team, agent), states in self._agents.time_in(start, end, now).items():
            if not team:
                continue
            by_field: dict[str, float] = {}  # TeamTally's agent time fields
            for agent_state, seconds in states.items():
                field = _STATE_SECONDS_FIELD.get(agent_state)
                if field is not None:
                    by_field[field] = by_field.get(field, 0.0) + seconds
            if not by_field:
                continue
            keys = self._scopes.of("", "", team, agent, "").team_keys
            for tally in tallies_for(teams, keys, TeamTally):
                for field, seconds in by_field.items():
                    setattr(tally, field, getattr(tally, field) + seconds)
        return teams

    def memory_stats(self) -> dict[str, int]:
        """How much state the engine holds, for self-metrics and the bounded-memory tests."""
        with self._lock:
            return {
                "hour_buckets": len(self._buckets),
                "hourly_rows": sum(len(bucket.rows) for bucket in self._buckets.values()),
                "waiting_contacts": len(self._waiting),
                "remembered_contacts": len(self._contacts),
                "agents": self._agents.agent_count(),
                "agent_segments": self._agents.segment_count(),
                "nps_scopes": len(self._nps),
            }


def _wait_since_entry(kind: ContactKind, at: float, facts: ContactFacts | None) -> float | None:
    """The wait of an answer or abandon that does not say it (sources should), from the contact's
    queue entry when it is known; None otherwise."""
    entered = facts.entered_at if facts is not None else None
    if entered is not None and (entered < at or (entered == at and kind is _ANSWERED)):
        return at - entered
    return None


def _count_ended(event: ContactEvent, row: HourRow) -> None:
    """What an ENDED event object adds besides the handled contact."""
    row.handle_seconds += (
        (event.talk_seconds or 0.0)
        + (event.hold_seconds or 0.0)
        + (event.after_contact_work_seconds or 0.0)
    )
    resolved = event.resolved
    if resolved is not None:
        row.resolution_known += 1
        row.resolved += resolved is True
    _count_ai_cx_score(event, row)


def _count_ai_cx_score(event: ContactEvent, row: HourRow) -> None:
    score = event.ai_cx_score
    if score is not None:
        row.ai_cx_answers += 1
        row.ai_cx_sum += score


def _count_outbound(event: ContactEvent, row: HourRow) -> None:
    outcome = event.outcome
    assert outcome is not None  # validation refuses a dial without an outcome
    live = outcome is OutboundOutcome.LIVE
    row.dials += 1
    row.machine += outcome is OutboundOutcome.MACHINE
    row.live += live
    row.dropped += outcome is OutboundOutcome.DROPPED
    row.converted += live and event.converted is True


def _all_samples(
    published: list[tuple[str, Family, Formula, set[tuple[str, ...]]]],
    sums: Mapping[Family, Mapping[Scope, object]],
) -> list[KpiSample]:
    """The samples of each published KPI from the sums of its family, each KPI's by scope."""
    samples: list[KpiSample] = []
    for name, family, formula, label_sets in published:
        found = _samples(name, sums[family], label_sets, formula)
        found.sort(key=lambda sample: sample.labels)
        samples.extend(found)
    return samples


def _label_names(scope: Scope) -> tuple[str, ...]:
    return tuple(name for name, _ in scope)


def _samples(
    kpi: str,
    tallies: Mapping[Scope, object],
    label_sets: set[tuple[str, ...]],
    formula: Formula,
) -> list[KpiSample]:
    found = []
    for scope, tally in tallies.items():
        if _label_names(scope) not in label_sets:
            continue
        result = formula(tally)
        if result is not None:
            value, sample_size = result
            found.append(KpiSample(kpi, scope, value, sample_size))
    return found

"""What the engine remembers about recent contacts, to attribute their later events.

A SURVEY often carries only the contact id; its queue, channel, team and agent come from what the
contact's earlier events said. The memory is bounded: a contact not heard of for ``max_age``
seconds (of event time) is forgotten, and so is the least recently heard of beyond ``max_entries``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(slots=True)
class ContactFacts:
    queue: str = ""
    channel: str = ""
    team: str = ""
    agent: str = ""
    campaign: str = ""
    entered_at: float | None = None  # the latest queue entry (OFFERED)
    left_queue_at: float | None = None  # the latest answer, abandon or end
    heard_at: float = 0.0  # the newest event time when it was last heard of


class ContactMemory:
    def __init__(self, max_age: float, max_entries: int) -> None:
        self._max_age = max_age
        self._max_entries = max_entries
        self._facts: OrderedDict[str, ContactFacts] = OrderedDict()
        # What is remembered of a contact, None when nothing is ("" is never remembered). The
        # dictionary's own get, not a method calling it: this runs for every event.
        self.get = self._facts.get
        # At most the heard_at of the oldest entry (-inf when unknown). Checked on every event so
        # the front of the OrderedDict is looked at only when it may really be too old.
        self._oldest_heard_at = -math.inf

    def remember(
        self,
        contact_id: str,
        facts: ContactFacts | None,
        queue: str,
        channel: str,
        team: str,
        agent: str,
        campaign: str,
        newest: float,
    ) -> ContactFacts:
        """Record an event's non-empty labels (the latest word wins) and return the facts;
        ``facts`` = what ``get`` gave for the contact just before."""
        if facts is None:
            facts = self._facts[contact_id] = ContactFacts()
        else:
            self._facts.move_to_end(contact_id)
        # One line per label rather than a getattr loop: this runs for every event.
        if queue:
            facts.queue = queue
        if channel:
            facts.channel = channel
        if team:
            facts.team = team
        if agent:
            facts.agent = agent
        if campaign:
            facts.campaign = campaign
        facts.heard_at = newest
        if self._oldest_heard_at < newest - self._max_age or len(self._facts) > self._max_entries:
            self.forget_old(newest)
        return facts

    def forget_old(self, newest: float) -> None:
        # heard_at only grows along the order, so the oldest entries are at the front.
        oldest_kept = newest - self._max_age
        facts = self._facts
        self._oldest_heard_at = -math.inf
        while facts:
            first = next(iter(facts.values()))
            if first.heard_at >= oldest_kept and len(facts) <= self._max_entries:
                # Moving an entry to the end or adding one never lowers the front's heard_at.
                self._oldest_heard_at = first.heard_at
                break
            facts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._facts)

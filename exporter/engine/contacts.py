"""What the engine remembers about recent contacts, to attribute their later events.

A SURVEY often carries only the contact id; its queue, channel, team and agent come from what the
contact's earlier events said. The memory is bounded: a contact not heard of for more than
``max_age`` seconds (of event time) is forgotten, and so is the least recently heard of beyond
``max_entries``. (The engine treats a contact heard of too long ago as unknown when it looks it up,
and calls ``forget_old`` at its housekeeping to drop them: dropping each one as it expires would
cost a call per contact.)
"""

from __future__ import annotations

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
        self.max_age = max_age
        self._max_entries = max_entries
        self._facts: OrderedDict[str, ContactFacts] = OrderedDict()
        # What is remembered of a contact, None when nothing is ("" is never remembered), heard
        # of too long ago included (see the module's docstring). The dictionary's own get, not a
        # method calling it: this runs for every event.
        self.get = self._facts.get

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
        ``facts`` = what is remembered of the contact, None for one not remembered (``forget``
        one heard of too long ago first)."""
        if facts is None:
            facts = self._facts[contact_id] = ContactFacts(
                queue, channel, team, agent, campaign, heard_at=newest
            )
            if len(self._facts) > self._max_entries:
                self.forget_old(newest)
            return facts
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
        return facts

    def forget(self, contact_id: str) -> None:
        """Forget one contact (heard of too long ago: it starts afresh, last in the order)."""
        del self._facts[contact_id]

    def forget_old(self, newest: float) -> None:
        """Drop the contacts not heard of since ``newest - max_age``, and the least recently
        heard of beyond ``max_entries``."""
        # heard_at only grows along the order, so the oldest entries are at the front.
        oldest_kept = newest - self.max_age
        facts = self._facts
        while facts:
            first = next(iter(facts.values()))
            if first.heard_at >= oldest_kept and len(facts) <= self._max_entries:
                break
            facts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._facts)

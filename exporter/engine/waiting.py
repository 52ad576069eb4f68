"""Contacts waiting in queue now: the state behind the In Queue KPIs.

A contact waits from its OFFERED event until it is answered, abandoned or ends. Contacts whose end
was lost would wait forever, so those waiting longer than ``stale_waiting_seconds`` are dropped
(``--stale-waiting-seconds``); a source that knows its callers are gone says so (CLEARED).
Every scope contacts were ever offered in keeps being reported, with a real 0 when nobody waits.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.engine.scopes import EventScopes
from exporter.scope import Scope

# A contact waiting: when it entered the queue, and the label combination it waits in (its
# ``contact_keys`` are the scopes). A tuple, not a dataclass: one is made per contact offered,
# and a tuple costs a fifth as much to build.
WaitingContact = tuple[float, EventScopes]
# Combinations remembered as such before their scopes are kept instead (``WaitingContacts.see``).
_COMBINATIONS_KEPT = 10_000


@dataclass(slots=True)
class QueueNow:
    """The In Queue view of one scope: how many wait and since when the oldest does."""

    waiting: int = 0
    oldest_entry: float | None = None

    def longest_wait(self, now: float) -> float:
        return 0.0 if self.oldest_entry is None else max(0.0, now - self.oldest_entry)


class WaitingContacts:
    def __init__(self) -> None:
        self._waiting: dict[str, WaitingContact] = {}
        # Where contacts were offered: label combinations, hashed by identity (one object per
        # combination: ``scopes.ScopeCache``) rather than their scopes, nested tuples hashed
        # anew each time; past a bound, their scopes.
        self._seen_combinations: set[EventScopes] = set()
        self._seen: set[Scope] = set()

    def enter(self, contact_id: str, at: float, combination: EventScopes) -> None:
        self._waiting[contact_id] = (at, combination)
        if combination not in self._seen_combinations:
            self.see(combination)

    def see(self, combination: EventScopes) -> None:
        """Report its scopes from now on (0 waiting included): contacts are offered there."""
        seen = self._seen_combinations
        if len(seen) >= _COMBINATIONS_KEPT and combination not in seen:
            # A stream of ever-new combinations (the cache makes new objects when it starts
            # again): keep their scopes, which are few.
            self._seen.update(key for kept in seen for key in kept.contact_keys)
            seen.clear()
        seen.add(combination)

    def leave(self, contact_id: str, at: float) -> None:
        """The contact left the queue at ``at`` (unless it re-entered a queue after that)."""
        contact = self._waiting.get(contact_id)
        if contact is not None and contact[0] <= at:  # entered by then
            del self._waiting[contact_id]

    def drop_stale(self, now: float, stale_seconds: float) -> None:
        oldest_allowed = now - stale_seconds
        stale = [cid for cid, (entered, _) in self._waiting.items() if entered < oldest_allowed]
        for contact_id in stale:
            del self._waiting[contact_id]

    def by_scope(self) -> dict[Scope, QueueNow]:
        """Every scope ever seen, with the contacts waiting in it now."""
        seen = self._seen.union(
            *(combination.contact_keys for combination in self._seen_combinations)
        )
        view = {scope: QueueNow() for scope in seen}
        for entered, combination in self._waiting.values():
            for scope in combination.contact_keys:
                entry = view[scope]
                entry.waiting += 1
                if entry.oldest_entry is None or entered < entry.oldest_entry:
                    entry.oldest_entry = entered
        return view

    def __len__(self) -> int:
        return len(self._waiting)

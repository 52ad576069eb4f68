"""Which scopes an event counts for, built once per combination of its labels.

An event names up to five labels (queue, channel, team, agent, campaign); the scopes it updates
(site, channel, queue+channel; team, team+agent; site, campaign) and the label values of its raw
counters follow from which of them are known. A contact center has a few hundred such combinations
and sees each one millions of times, so ``ScopeCache`` builds them once per combination instead of
once per event. The cache is emptied when it reaches its bound, so a stream of ever-new agents or
queues cannot grow memory without limit (it only costs rebuilding the combinations still in use).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from exporter.scope import Scope

# Enough for every queue x channel x agent combination of a large site; an entry is ~1 KiB.
DEFAULT_MAX_ENTRIES = 20_000


def scope_keys(label_sets: Iterable[tuple[str, ...]], labels: Mapping[str, str]) -> list[Scope]:
    """The scopes an event with ``labels`` counts for: those whose labels are all known."""
    keys = []
    for label_set in label_sets:
        if all(labels.get(name) for name in label_set):
            keys.append(tuple((name, labels[name]) for name in label_set))
    return keys


# eq=False: compared and hashed by identity, a pointer, since the hour buckets key their tallies
# by it (``HourBucket.contact_tallies``); the cache builds one object per combination.
@dataclass(frozen=True, slots=True, eq=False)
class EventScopes:
    """One combination of label values, with every scope and counter label it feeds."""

    queue: str
    channel: str
    team: str
    agent: str
    campaign: str
    contact_keys: tuple[Scope, ...]  # contact, NPS and In Queue scopes (site, channel, queue...)
    team_keys: tuple[Scope, ...]  # team, team+agent
    campaign_keys: tuple[Scope, ...]  # site, campaign
    queue_labels: tuple[str, str]  # the queue counters' label values
    handler_labels: tuple[str, str, str, str]  # the handled-contact counters' label values


class ScopeCache:
    """``EventScopes`` per combination of label values, for fixed label sets of each family."""

    def __init__(
        self,
        contact_sets: tuple[tuple[str, ...], ...],
        team_sets: tuple[tuple[str, ...], ...],
        campaign_sets: tuple[tuple[str, ...], ...],
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self._contact_sets = contact_sets
        self._team_sets = team_sets
        self._campaign_sets = campaign_sets
        self._max_entries = max_entries
        self._built: dict[tuple[str, str, str, str, str], EventScopes] = {}
        # The combinations built so far, by (queue, channel, team, agent, campaign): None for one
        # not built yet (then ``of`` builds it).
        self.built = self._built.get

    def of(self, queue: str, channel: str, team: str, agent: str, campaign: str) -> EventScopes:
        combination = (queue, channel, team, agent, campaign)
        scopes = self._built.get(combination)
        if scopes is None:
            if len(self._built) >= self._max_entries:
                self._built.clear()
            scopes = self._built[combination] = self._build(*combination)
        return scopes

    def __len__(self) -> int:
        return len(self._built)

    def _build(self, queue: str, channel: str, team: str, agent: str, campaign: str) -> EventScopes:
        labels = {
            "queue": queue,
            "channel": channel,
            "team": team,
            "agent": agent,
            "campaign": campaign,
        }
        return EventScopes(
            queue=queue,
            channel=channel,
            team=team,
            agent=agent,
            campaign=campaign,
            contact_keys=tuple(scope_keys(self._contact_sets, labels)),
            team_keys=tuple(scope_keys(self._team_sets, labels)),
            campaign_keys=tuple(scope_keys(self._campaign_sets, labels)),
            queue_labels=(queue, channel),
            handler_labels=(queue, channel, team, agent),
        )

"""The scope cache: the scopes of a label combination, reused, and bounded."""

from __future__ import annotations

from exporter.engine.scopes import ScopeCache

CONTACT_SETS = ((), ("channel",), ("channel", "queue"))
TEAM_SETS = (("team",), ("agent", "team"))
CAMPAIGN_SETS = ((), ("campaign",))


def _cache(max_entries: int = 100) -> ScopeCache:
    return ScopeCache(CONTACT_SETS, TEAM_SETS, CAMPAIGN_SETS, max_entries)


def test_scopes_of_a_fully_labelled_event() -> None:
    scopes = _cache().of("sales", "voice", "blue", "SIP/1001", "")
    assert scopes.contact_keys == (
        (),
        (("channel", "voice"),),
        (("channel", "voice"), ("queue", "sales")),
    )
    assert scopes.team_keys == ((("team", "blue"),), (("agent", "SIP/1001"), ("team", "blue")))
    assert scopes.campaign_keys == ((),)  # no campaign: the site only
    assert scopes.queue_labels == ("sales", "voice")
    assert scopes.handler_labels == ("sales", "voice", "blue", "SIP/1001")


def test_unknown_labels_leave_their_scopes_out() -> None:
    scopes = _cache().of("", "chat", "", "", "spring")
    assert scopes.contact_keys == ((), (("channel", "chat"),))  # no queue: no queue+channel
    assert scopes.team_keys == ()
    assert scopes.campaign_keys == ((), (("campaign", "spring"),))


def test_a_combination_is_built_once_and_each_combination_apart() -> None:
    cache = _cache()
    first = cache.of("sales", "voice", "blue", "SIP/1001", "")
    assert cache.of("sales", "voice", "blue", "SIP/1001", "") is first
    other = cache.of("sales", "voice", "blue", "SIP/1002", "")
    assert other.team_keys[1] == (("agent", "SIP/1002"), ("team", "blue"))
    assert len(cache) == 2


def test_the_cache_is_emptied_at_its_bound_and_still_answers_right() -> None:
    cache = _cache(max_entries=3)
    for agent in ("a1", "a2", "a3"):
        cache.of("q", "voice", "t", agent, "")
    assert len(cache) == 3
    # The 4th combination finds the cache full: it is emptied, then holds the new one only.
    fourth = cache.of("q", "voice", "t", "a4", "")
    assert len(cache) == 1
    assert fourth.handler_labels == ("q", "voice", "t", "a4")
    rebuilt = cache.of("q", "voice", "t", "a1", "")
    assert rebuilt.team_keys == ((("team", "t"),), (("agent", "a1"), ("team", "t")))
    assert len(cache) == 2

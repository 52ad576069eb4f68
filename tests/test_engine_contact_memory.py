"""The contact memory forgets a contact not heard of for more than its max age: the engine treats
it as unknown from then on, and ``forget_old`` (at housekeeping) drops it. Touching, adding and
replacing entries must keep the order ``forget_old`` relies on."""

from __future__ import annotations

from engine_fixtures import T0, answered, ended, offered

from exporter.engine import EngineConfig, KpiEngine
from exporter.engine.contacts import ContactMemory


def _heard(memory: ContactMemory, cid: str, newest: float) -> None:
    memory.remember(cid, memory.get(cid), "q", "", "", "", "", newest)


def _kept(memory: ContactMemory, *cids: str) -> list[str]:
    return [cid for cid in cids if memory.get(cid) is not None]


def test_forget_old_drops_what_was_not_heard_of_for_max_age() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    _heard(memory, "a", T0)
    _heard(memory, "b", T0 + 50)
    _heard(memory, "c", T0 + 100)
    memory.forget_old(T0 + 100)  # a: heard 100 s ago, exactly max_age: kept
    assert _kept(memory, "a", "b", "c") == ["a", "b", "c"]
    memory.forget_old(T0 + 100.5)  # a: 100.5 s > max_age: forgotten
    assert _kept(memory, "a", "b", "c") == ["b", "c"]
    memory.forget_old(T0 + 151)  # b: 101 s
    assert _kept(memory, "b", "c") == ["c"]


def test_touching_the_oldest_entry_lets_the_next_oldest_be_forgotten_on_time() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    _heard(memory, "a", T0)
    _heard(memory, "b", T0 + 10)
    _heard(memory, "a", T0 + 20)  # a is heard again: b (T0 + 10) is now the oldest
    memory.forget_old(T0 + 111)  # b: 101 s, forgotten; a: 91 s, kept
    assert _kept(memory, "a", "b") == ["a"]


def test_a_contact_started_afresh_takes_its_place_as_the_newest() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    _heard(memory, "a", T0)
    _heard(memory, "b", T0 + 50)
    # a, heard of too long ago, starts afresh (what the engine does) at T0 + 140.
    memory.forget("a")
    memory.remember("a", None, "q2", "", "", "", "", T0 + 140)
    memory.forget_old(T0 + 151)  # b: 101 s, forgotten; a (fresh) kept behind it
    assert _kept(memory, "a", "b") == ["a"]
    facts = memory.get("a")
    assert facts is not None and facts.queue == "q2"


def test_beyond_max_entries_the_least_recently_heard_of_goes_at_once() -> None:
    memory = ContactMemory(max_age=1000.0, max_entries=3)
    for n in range(5):
        _heard(memory, f"c{n}", T0 + n)
    assert len(memory) == 3
    assert _kept(memory, "c0", "c1", "c2", "c3", "c4") == ["c2", "c3", "c4"]


def test_the_engine_does_not_attribute_to_a_contact_heard_of_too_long_ago() -> None:
    engine = KpiEngine(EngineConfig(contact_memory_seconds=600.0))
    assert engine.ingest(answered(T0, "c1", 5.0, "sales", team="blue", agent="ann")) is None
    assert engine.ingest(offered(T0 + 601, "c2", "support")) is None  # time goes on
    # c1 was last heard of more than 600 s before: before any housekeeping dropped it, its end
    # alone names no queue or agent, so it counts for the site only, not for sales or ann.
    assert engine.ingest(ended(T0 + 602, "c1", talk_seconds=60.0)) is None
    handled = engine.snapshot(T0 + 602).counters
    samples = next(f.samples for f in handled if f.name == "contact_center_contacts_handled")
    assert samples == {("sales", "voice", "blue", "ann"): 0.0, ("", "", "", ""): 1.0}
    # Within the memory, the same end is attributed.
    engine = KpiEngine(EngineConfig(contact_memory_seconds=600.0))
    assert engine.ingest(answered(T0, "c1", 5.0, "sales", team="blue", agent="ann")) is None
    assert engine.ingest(ended(T0 + 600, "c1", talk_seconds=60.0)) is None
    handled = engine.snapshot(T0 + 600).counters
    samples = next(f.samples for f in handled if f.name == "contact_center_contacts_handled")
    assert samples == {("sales", "voice", "blue", "ann"): 1.0}

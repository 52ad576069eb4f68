"""The contact memory forgets by age from ``remember`` itself, though it only looks at its oldest
entry when that entry may be too old: touching, adding and emptying must not make it miss one."""

from __future__ import annotations

from engine_fixtures import T0

from exporter.engine.contacts import ContactMemory


def _heard(memory: ContactMemory, cid: str, newest: float) -> None:
    memory.remember(cid, memory.get(cid), "q", "", "", "", "", newest)


def _kept(memory: ContactMemory, *cids: str) -> list[str]:
    return [cid for cid in cids if memory.get(cid) is not None]


def test_remember_forgets_what_was_not_heard_of_for_max_age() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    _heard(memory, "a", T0)
    _heard(memory, "b", T0 + 50)
    _heard(memory, "c", T0 + 100)  # a: heard 100 s ago, exactly max_age: kept
    assert _kept(memory, "a", "b", "c") == ["a", "b", "c"]
    _heard(memory, "c", T0 + 100.5)  # a: 100.5 s > max_age: forgotten
    assert _kept(memory, "a", "b", "c") == ["b", "c"]
    _heard(memory, "d", T0 + 151)  # b: 101 s
    assert _kept(memory, "b", "c", "d") == ["c", "d"]


def test_touching_the_oldest_entry_lets_the_next_oldest_be_forgotten_on_time() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    _heard(memory, "a", T0)
    _heard(memory, "b", T0 + 10)
    _heard(memory, "a", T0 + 20)  # a is heard again: b (T0 + 10) is now the oldest
    _heard(memory, "c", T0 + 110)  # b: 100 s, kept
    assert _kept(memory, "a", "b", "c") == ["a", "b", "c"]
    _heard(memory, "c", T0 + 111)  # b: 101 s, forgotten; a: 91 s, kept
    assert _kept(memory, "a", "b", "c") == ["a", "c"]


def test_a_memory_emptied_by_age_starts_again_with_its_next_contact() -> None:
    memory = ContactMemory(max_age=100.0, max_entries=10)
    _heard(memory, "a", T0)
    memory.forget_old(T0 + 1000)
    assert len(memory) == 0
    _heard(memory, "b", T0 + 1000)
    _heard(memory, "c", T0 + 1050)
    _heard(memory, "c", T0 + 1101)  # b: 101 s, forgotten
    assert _kept(memory, "b", "c") == ["c"]

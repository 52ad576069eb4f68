"""Scopes: which series of a KPI a value or a target is for, as label -> value pairs.

A ``Scope`` is the sorted tuple of ``(label, value)`` pairs of a series (hashable and ordered):
the KPI engine counts its tallies by scope and ``exporter.targets`` sets targets by scope. It sits
beneath both, so neither imports the other for it.
"""

from __future__ import annotations

Scope = tuple[tuple[str, str], ...]  # label -> value pairs, sorted by label: hashable and ordered


def scope_of(mapping: dict[str, str] | None) -> Scope:
    """The scope of these labels (none: the unscoped ``()``)."""
    return tuple(sorted((mapping or {}).items()))

"""What a form saves only once confirmed: a ratio typed in a percent field (``0.85`` where 85 % may
be meant), a scope value the exporter has never seen (``slaes``: did you mean ``sales``?).

It works without JavaScript. A doubt is shown next to its field with two submit buttons, one per
reading. "The other reading" posts ``use-FIELD=TEXT``: ``with_choices`` puts TEXT in FIELD before
the form is read. "As typed" posts ``confirmed-FIELD=TEXT`` (the text as typed); the page carries
each confirmation forward as a hidden input, so a refusal for another reason does not ask again,
and a confirmation stops counting as soon as the field holds another text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from exporter.targets.edit_input import ratio_reading, unseen_scope_value

USE = "use-"
CONFIRMED = "confirmed-"


@dataclass(frozen=True, slots=True)
class Doubt:
    field: str  # the input's name
    typed: str  # its text as typed
    message: str
    keep_words: str  # the button that saves it as typed
    other: str | None  # the other reading's text, if there is one
    other_words: str = ""  # the button that uses it


def with_choices(form: MultiDict[str, str]) -> MultiDict[str, str]:
    """The posted form with the reading chosen by a ``use-FIELD`` button put in FIELD."""
    chosen = MultiDict(form)
    for key, value in form.items():
        if key.startswith(USE) and len(key) > len(USE):
            chosen.setlist(key.removeprefix(USE), [value])
    return chosen


def confirmations(form: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``confirmed-FIELD`` inputs to carry forward as hidden inputs."""
    return [(key, value) for key, value in form.items() if key.startswith(CONFIRMED)]


def _confirmed(form: Mapping[str, str], field: str, typed: str) -> bool:
    return form.get(CONFIRMED + field) == typed


def percent_doubt(form: Mapping[str, str], field: str, typed: str) -> Doubt | None:
    """``0.85`` in a percent field, unless confirmed: did you mean 85 %?"""
    other = ratio_reading(typed, percent=True)
    if other is None or _confirmed(form, field, typed):
        return None
    shown = typed.strip()
    return Doubt(
        field,
        typed,
        f"{shown} % is less than 1 %: did you mean {other} % (the ratio {shown})?",
        keep_words=f"I mean {shown} %",
        other=other,
        other_words=f"I mean {other} %",
    )


def scope_doubt(
    form: Mapping[str, str], field: str, label: str, typed: str,
    seen: Mapping[str, Iterable[str]],
) -> Doubt | None:  # fmt: skip
    """A scope value the exporter has seen other values for but never this one, unless confirmed."""
    found = unseen_scope_value(label, typed.strip(), seen)
    if found is None or _confirmed(form, field, typed):
        return None
    message, closest = found
    return Doubt(
        field,
        typed,
        message[0].upper() + message[1:],
        keep_words=f"Keep {typed.strip()}",
        other=closest,
        other_words=f"Use {closest}" if closest else "",
    )

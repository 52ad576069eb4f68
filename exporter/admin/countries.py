"""The countries the ``holidays`` library knows, named as people write them.

The library names a country by its class (``HongKong``, ``DRCongo``, ``AntiguaAndBarbuda``);
spaces go between the words, joining words stay lower case, and the few names the class cannot
spell are given here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import holidays

_SPELLED = {
    "CD": "Democratic Republic of the Congo (DR Congo)",
    "CG": "Republic of the Congo",
    "CI": "Ivory Coast (Côte d'Ivoire)",
    "CW": "Curaçao",
    "GB": "United Kingdom",
    "GW": "Guinea-Bissau",
    "KP": "North Korea",
    "KR": "South Korea",
    "RE": "Réunion",
    "BL": "Saint Barthélemy",
    "ST": "São Tomé and Príncipe",
    "SY": "Syria",
    "TL": "Timor-Leste",
    "US": "United States",
    "AX": "Åland Islands",
    "VA": "Vatican City",
    "HM": "Heard Island and McDonald Islands",
    "SH": "Saint Helena, Ascension and Tristan da Cunha",
    "BQ": "Bonaire, Sint Eustatius and Saba",
}
_WORD = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])")
_SMALL = {"And", "Of", "The", "Da"}


def spelled(class_name: str) -> str:
    """``HongKong`` -> "Hong Kong", ``SaintVincentAndTheGrenadines`` -> "Saint Vincent and the
    Grenadines"."""
    words = _WORD.findall(class_name) or [class_name]
    return " ".join(
        word.lower() if index and word in _SMALL else word for index, word in enumerate(words)
    )


@cache
def countries() -> list[tuple[str, str]]:
    """(code, name) of every country the ``holidays`` library knows, by name."""
    from holidays.registry import COUNTRIES

    classes = {entry[1]: entry[0] for entry in COUNTRIES.values()}
    codes = holidays.list_supported_countries(include_aliases=False)
    named = ((code, _SPELLED.get(code) or spelled(classes.get(code, code))) for code in codes)
    return sorted(named, key=lambda item: _sort_key(item[1]))


def _sort_key(name: str) -> str:
    """Sorts "Åland Islands" with A and "Réunion" with R."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

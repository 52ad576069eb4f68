"""How the config-file parsers (``web_config``, ``prometheus_http_config``) quote what they
refuse: one line, whatever the file holds."""

from __future__ import annotations


def kind(value: object) -> str:
    """What ``value`` is, for "expected a mapping, got ..." (``int 5``, ``a list``)."""
    return "a list" if isinstance(value, list) else f"{type(value).__name__} {value!r:.40}"


def name_of(value: object) -> str:
    """``value`` as written when it is printable text, else quoted (a message stays one line)."""
    text = str(value)
    return text if isinstance(value, str) and text.isprintable() and text else repr(value)

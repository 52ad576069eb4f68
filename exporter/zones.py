"""Time zones by IANA name, refusing anything that is not one with a ``ValueError``.

``ZoneInfo`` reads a file named after the zone, so a bad name fails in many ways (``KeyError``,
``ValueError``, ``IsADirectoryError`` for ``Europe``, ``OSError`` for a very long name); callers
get one exception with one message.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

# The longest IANA name is about 30 characters.
MAX_NAME = 64


def load_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; ``ValueError`` saying it is not an IANA time zone."""
    if len(name) <= MAX_NAME:
        try:
            return ZoneInfo(name)
        except (KeyError, ValueError, OSError):
            pass
    shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "..."
    raise ValueError(f"{shown!r} is not an IANA time zone (e.g. Europe/Rome)")

"""The error a setting that cannot be used raises, below both ``exporter.config`` (the settings)
and the sections it reads with another module's parser (``exporter.simulator.yaml_section``), so
that each imports it at the top and neither imports the other back."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting that cannot be used; the message says where and what (one line per problem)."""

"""The KPI engine: turns normalized events into KPI values per period and scope, and raw counters.

``KpiEngine(config).ingest(event)`` counts one event (returning None, or why it was rejected);
``KpiEngine.snapshot(now)`` returns every KPI sample and counter family as of ``now``.
"""

from exporter.engine.engine import KpiEngine
from exporter.engine.types import (
    CounterFamily,
    EngineConfig,
    EngineSnapshot,
    KpiSample,
    ServiceLevelVariant,
)

__all__ = [
    "CounterFamily",
    "EngineConfig",
    "EngineSnapshot",
    "KpiEngine",
    "KpiSample",
    "ServiceLevelVariant",
]

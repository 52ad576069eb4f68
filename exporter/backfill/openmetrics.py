"""OpenMetrics text with timestamps, as ``promtool tsdb create-blocks-from openmetrics`` reads it.

The collectors hand over the same families at every step; OpenMetrics wants each family's samples
together, under one ``# TYPE``, so each family is spooled to its own temporary file while the
steps go by, and ``finish`` joins them, with ``# EOF``, into the output (written under a temporary
name and renamed: an interrupted run leaves no half file). Memory stays flat however long the
period. Every sample gets the ``job`` and ``instance`` labels Prometheus would have attached when
scraping, so backfilled and live samples are one series::

    # TYPE kpi_value gauge
    # HELP kpi_value The KPI over its measurement period (see kpi_info), one series per scope.
    kpi_value{kpi="abandonment_ratio",job="kpi-targets",instance="pbx:9491"} 0.04 1772442000
    ...
    # EOF
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from prometheus_client.metrics_core import Metric

# Label dicts the collectors reuse between steps; their text is kept, with the dict itself so its
# id cannot be reused while cached. Cleared when it grows past this many (series come and go).
_LABEL_CACHE_LIMIT = 100_000


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


_SPECIAL_VALUES = {float("inf"): "+Inf", float("-inf"): "-Inf"}


def value_text(value: float) -> str:
    """Python's shortest round-trip text (Prometheus reads it exactly); NaN and infinities as
    OpenMetrics spells them."""
    if value != value:
        return "NaN"
    return _SPECIAL_VALUES.get(value) or repr(float(value))


def timestamp_text(instant: float) -> str:
    return str(int(instant)) if float(instant).is_integer() else repr(instant)


class _Family:
    def __init__(self, metric: Metric, directory: Path) -> None:
        name = metric.name
        self.header = (
            f"# TYPE {name} {metric.type}\n# HELP {name} {_escape(metric.documentation)}\n"
        )
        # Closed by OpenMetricsWriter.close (a TemporaryFile is removed from disk when closed).
        self.spool: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", dir=directory, prefix=".backfill-"
        )
        self.samples = 0


class OpenMetricsWriter:
    """Collects families sample by sample, step by step; ``finish`` writes ``path``."""

    def __init__(self, path: Path, *, job: str, instance: str) -> None:
        self.path = Path(path)
        self._directory = self.path.parent
        self._families: dict[str, _Family] = {}
        self._suffix = f'job="{_escape(job)}",instance="{_escape(instance)}"}} '
        self._labels: dict[int, tuple[dict[str, str], str]] = {}
        self.samples = 0

    def add(self, families: Iterable[Metric], instant: float) -> None:
        """Every sample of ``families`` as of ``instant`` (Unix seconds)."""
        tail = " " + timestamp_text(instant) + "\n"
        cache = self._labels
        if len(cache) > _LABEL_CACHE_LIMIT:
            cache.clear()
        for metric in families:
            family = self._families.get(metric.name)
            if family is None:
                family = self._families[metric.name] = _Family(metric, self._directory)
            lines = []
            for sample in metric.samples:
                labels = sample.labels
                cached = cache.get(id(labels))
                if cached is None or cached[0] is not labels:
                    text = "".join(f'{k}="{_escape(v)}",' for k, v in labels.items())
                    cached = cache[id(labels)] = (labels, text)
                lines.append(
                    f"{sample.name}{{{cached[1]}{self._suffix}{value_text(sample.value)}{tail}"
                )
            family.spool.write("".join(lines))
            family.samples += len(lines)
            self.samples += len(lines)

    def finish(self) -> None:
        """Join the families into ``path`` (atomically) and drop the spools."""
        # Created like any file the user writes (umask), unlike mkstemp's owner-only mode.
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("w", encoding="utf-8") as out:
                for family in self._families.values():
                    if not family.samples:
                        continue
                    out.write(family.header)
                    family.spool.seek(0)
                    while chunk := family.spool.read(1 << 20):
                        out.write(chunk)
                out.write("# EOF\n")
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        finally:
            self.close()

    def close(self) -> None:
        for family in self._families.values():
            family.spool.close()
        self._families.clear()


class SplitWriter:
    """The samples in one file per ``every`` seconds of history from ``start`` (promtool reads a
    whole file into memory, and reads it again for each 2-hour block it makes). A period's file
    is ``path`` with the period's start, local time in ``zone``: ``history.om`` ->
    ``history-20260302T0000.om``. Without ``every``, one file: ``path`` itself."""

    def __init__(
        self,
        path: Path,
        *,
        job: str,
        instance: str,
        start: float,
        every: float | None,
        zone: ZoneInfo,
    ) -> None:
        self._path = Path(path)
        self._job_instance = {"job": job, "instance": instance}
        self._start = start
        self._every = every
        self._zone = zone
        self._current: OpenMetricsWriter | None = None
        self._current_end = -math.inf
        self._written = 0
        self.paths: list[Path] = []

    @property
    def samples(self) -> int:
        return self._written + (self._current.samples if self._current is not None else 0)

    def add(self, families: Iterable[Metric], instant: float) -> None:
        if instant >= self._current_end:
            self._open(instant)
        assert self._current is not None
        self._current.add(families, instant)

    def _open(self, instant: float) -> None:
        self.finish()
        if self._every is None:
            path, self._current_end = self._path, math.inf
        else:
            index = math.floor((instant - self._start) / self._every)
            begins = self._start + index * self._every
            stamp = datetime.fromtimestamp(begins, self._zone).strftime("%Y%m%dT%H%M")
            path = self._path.with_name(f"{self._path.stem}-{stamp}{self._path.suffix}")
            self._current_end = begins + self._every
        self._current = OpenMetricsWriter(path, **self._job_instance)
        self.paths.append(path)

    def finish(self) -> None:
        """Write the file being filled (the others are written already)."""
        if self._current is not None:
            current, self._current = self._current, None
            current.finish()
            self._written += current.samples

    def close(self) -> None:
        if self._current is not None:
            self._current.close()

"""The admin UI's attainment (met hours per target), read from Prometheus and cached.

``AttainmentReader.reading(days, targets)`` asks Prometheus at most once a minute per range and
set of targets (an answer is kept ``ANSWER_SECONDS``, a failure ``FAILURE_SECONDS``), so a page
never waits on a Prometheus that is down more than once in a while, and then no longer than
``--prometheus-timeout``. What failed, or how to configure the URL, is one page-level note; a
page never fails because of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exporter import attainment
from exporter.attainment import SeriesCounts
from exporter.config import env_of, flag_of
from exporter.prometheus_http import PrometheusClient, PrometheusError, PrometheusUnreachable
from exporter.targets.model import Target

log = logging.getLogger(__name__)

ANSWER_SECONDS = 60.0
FAILURE_SECONDS = 10.0

NOT_CONFIGURED = (
    "Attainment (how many closed hours met each target) comes from the Prometheus that scrapes "
    f"this exporter: start serve with {flag_of('prometheus_url')} URL (or prometheus_url: URL in "
    f"serve.yaml, or {env_of('prometheus_url')}), e.g. {flag_of('prometheus_url')} "
    "http://127.0.0.1:9090."
)


@dataclass(frozen=True)
class Reading:
    """Prometheus's counts over ``days`` days, or why there are none (``note``)."""

    days: int
    counts: SeriesCounts | None
    note: str | None = None

    def words(self, target: Target, targets: Sequence[Target]) -> str | None:
        """ "met 18 of 24 judged hours in the last 7 days" for ``target``; None without counts."""
        if self.counts is None:
            return None
        found = attainment.counts_for_target(self.counts, target, targets)
        return attainment.words(found, self.days)


class AttainmentReader:
    """Readings of the Prometheus ``client`` asks (None: not configured), cached per range."""

    def __init__(
        self,
        client: PrometheusClient | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        answer_seconds: float = ANSWER_SECONDS,
        failure_seconds: float = FAILURE_SECONDS,
    ) -> None:
        self.client = client
        self._clock = clock
        self._answer_seconds = answer_seconds
        self._failure_seconds = failure_seconds
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Reading]] = {}
        # The last time Prometheus could not be reached at all, and until when that stands for
        # every query: one wait per FAILURE_SECONDS, whichever page or tab asks. (A refused query
        # is cached for its own query only.)
        self._failure: tuple[float, str] | None = None

    def reading(self, days: int, targets: Sequence[Target]) -> Reading:
        """The counts over ``days`` days of the series ``targets`` may judge."""
        if self.client is None:
            return Reading(days, None, NOT_CONFIGURED)
        promql = attainment.query(days, targets)
        if promql is None:
            return Reading(days, {})
        now = self._clock()
        with self._lock:
            cached = self._cache.get(promql)
            failure = self._failure
        if cached is not None and cached[0] > now:
            return cached[1]
        if failure is not None and failure[0] > now:
            return Reading(days, None, failure[1])
        # Outside the lock: a slow Prometheus must not hold up pages that have their answer.
        try:
            samples = self.client.query(promql)
        except PrometheusError as error:
            log.warning("attainment for the admin UI not read: %s", error)
            said = str(error)
            note = f"Attainment is not shown: {said}{'' if said[-1:] in '.?' else '.'}"
            reading, expires = Reading(days, None, note), self._clock() + self._failure_seconds
            with self._lock:
                if isinstance(error, PrometheusUnreachable):
                    self._failure = (expires, note)
                self._cache[promql] = (expires, reading)
            return reading
        counts = attainment.read_counts((sample.labels, sample.value) for sample in samples)
        reading = Reading(days, counts)
        with self._lock:
            self._failure = None
            self._cache = {key: item for key, item in self._cache.items() if item[0] > now}
            self._cache[promql] = (self._clock() + self._answer_seconds, reading)
        return reading

"""The pieces a KPI's range formula is written with: PromQL over the raw counters.

A catalog entry's ``over_range`` takes a ``Range`` (the dashboard's variables) and returns the KPI
over Grafana's ``$__range``, summed across every exporter first, so sharded exporters give the
figure one exporter would::

    >>> from exporter import names
    >>> operations = Range(("queue", "channel"))
    >>> print(ratio(operations.queue(names.ANSWERED_WAIT_SECONDS),
    ...             operations.queue(names.CONTACTS_ANSWERED)))
    sum(increase(contact_center_answered_wait_seconds_total{queue=~"$queue", channel=~"$channel"}[$__range]))
    /
    (sum(increase(contact_center_contacts_answered_total{queue=~"$queue", channel=~"$channel"}[$__range])) > 0)
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass

from exporter.names import HANDLER_LABELS, QUEUE_LABELS


def matchers(*variables: str) -> str:
    """Each variable's label matched by its multi-value Grafana variable (All = ``.*``)."""
    return ", ".join(f'{variable}=~"${variable}"' for variable in variables)


def label(name: str, value: str, operator: str = "=") -> str:
    """One label matcher: ``label("survey", "csat")`` -> ``survey="csat"``."""
    return f'{name}{operator}"{value}"'


def ratio(numerator: str, denominator: str) -> str:
    """numerator / denominator, nothing (the panel's "no contacts") when the denominator is 0."""
    return f"{numerator}\n/\n({denominator} > 0)"


def increase(series: str, filters: str = "") -> str:
    """A counter's increase over the range, summed."""
    selector = f"{series}{{{filters}}}" if filters else series
    return f"sum(increase({selector}[$__range]))"


@dataclass(frozen=True, slots=True)
class Range:
    """The counters over the selected range, filtered by the dashboard's ``variables`` (those of
    them each counter carries: queue counters have queue and channel only)."""

    variables: tuple[str, ...]

    def queue(self, series: str, extra: str = "") -> str:
        """A counter of a queue's contacts (``names.QUEUE_LABELS``)."""
        return self._filtered(series, QUEUE_LABELS, extra)

    def handler(self, series: str, extra: str = "") -> str:
        """A counter of who handled the contacts (``names.HANDLER_LABELS``)."""
        return self._filtered(series, HANDLER_LABELS, extra)

    @staticmethod
    def unfiltered(series: str, extra: str = "") -> str:
        """A counter no dashboard variable filters (outbound campaigns)."""
        return increase(series, extra)

    def _filtered(self, series: str, labels: tuple[str, ...], extra: str) -> str:
        variables = tuple(variable for variable in self.variables if variable in labels)
        return increase(series, ", ".join(part for part in (matchers(*variables), extra) if part))

"""``kpi-targets backfill``: past contact data as the series ``serve`` would have exposed, with the
targets as they were then, in OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``.

- ``feed``: the events to the KPI engine in time order, a sample at each step instant;
- ``past_targets``: the targets in force at past instants, rebuilt from the audit log;
- ``scrape``: the exporter's own collectors, scraped at a past instant;
- ``openmetrics``: the samples as OpenMetrics text with timestamps and job/instance labels;
- ``progress``: a progress line on a terminal.
"""

"""KPI Targets: contact-center KPIs next to their scheduled targets, for Prometheus and Grafana."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kpi-targets")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

"""Grafana dashboards generated from the catalog (see ``exporter.dashboards.build``)."""

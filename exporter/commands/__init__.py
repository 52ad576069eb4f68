"""One module per ``kpi-targets`` subcommand (see ``exporter.cli``)."""

#!/usr/bin/env bash
# Install what the tests need (Prometheus and promtool, Chromium, openssl, systemd-analyze, the
# Python test extras) and run ruff, mypy, `kpi-targets check` and the whole test suite. Any
# arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing from Debian: ${missing[*]}"
    apt_install "${missing[@]}"
fi
scripts/bootstrap.sh test

.venv/bin/ruff check exporter tests bench
.venv/bin/mypy exporter
.venv/bin/kpi-targets check --targets targets
exec .venv/bin/python -m pytest "$@"

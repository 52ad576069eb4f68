#!/usr/bin/env bash
# Install what the tests need (Prometheus and promtool, Chromium, the Python test extras) and run
# the whole test suite. Any arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing from Debian: ${missing[*]}"
    apt_install "${missing[@]}"
fi
scripts/bootstrap.sh test

.venv/bin/ruff check exporter tests bench
.venv/bin/kpi-targets check --targets targets
exec .venv/bin/python -m pytest "$@"

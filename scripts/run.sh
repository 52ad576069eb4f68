#!/usr/bin/env bash
# Install kpi-targets into .venv and run it on its embedded default: the simulator and a working
# copy of the example targets in var/targets (git-ignored), so trying the UI never edits tracked
# files. Any arguments go to `kpi-targets serve` (see `kpi-targets serve --help`).
# KPI_TARGETS_NO_INSTALL=1 uses .venv as it is (offline; the demo test's borrowed environment).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${KPI_TARGETS_NO_INSTALL:-}" ] || scripts/bootstrap.sh
demo=var/targets
if [ ! -e "$demo/targets.yaml" ] || [ ! -e "$demo/calendar.yaml" ]; then
    mkdir -p "$demo"
    for name in targets.yaml calendar.yaml; do
        [ -e "$demo/$name" ] || cp targets/$name "$demo/$name"
    done
    echo "Copied the example targets/ to $demo: the demo and the admin UI edit that copy"
fi
echo "kpi-targets is installed in .venv: the README's blocks call .venv/bin/kpi-targets ('. .venv/bin/activate' puts it on your PATH)"
echo "Demo targets: $demo (kept across runs; to start again from the examples: rm -r $demo)"
exec .venv/bin/kpi-targets serve --targets "$demo" "$@"

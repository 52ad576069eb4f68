#!/usr/bin/env bash
# Install kpi-targets into .venv and run it on its embedded default: the simulator and targets/.
# Any arguments go to `kpi-targets serve` (see `kpi-targets serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
echo "kpi-targets is installed in .venv: run '. .venv/bin/activate' in a shell to type the README's commands"
exec .venv/bin/kpi-targets serve --targets targets "$@"

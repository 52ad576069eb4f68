#!/usr/bin/env bash
# Create .venv beside the project and install the project into it (with the test extras when
# asked: bootstrap.sh test). Safe to run again: pip only installs what changed.
set -euo pipefail
. "$(dirname "$0")/apt.sh"
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "kpi-targets needs Python 3.11 or newer as '$python' (set PYTHON=... to choose another)." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        # Debian splits venv out of the interpreter package.
        rm -rf .venv
        apt_install python3-venv
        "$python" -m venv .venv
    fi
fi
extras=""
[ "${1:-}" = "test" ] && extras="[test]"
# pip's own chatter goes to a log, shown only when something fails.
log=.venv/install.log
echo "Installing kpi-targets${extras} into .venv (log: $log)"
if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
       .venv/bin/python -m pip install --disable-pip-version-check -e ".${extras}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "Installing kpi-targets failed; the log above is also in $log" >&2
    exit 1
fi

#!/usr/bin/env bash
# The README's first command: install dcmon into .venv (once) and run the simulated-city demo.
# Needs only Python >= 3.11 with venv; no hardware, no external servers.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      rm -rf .venv && "$PY" -m venv .venv
    else
      echo "python3 -m venv failed: install python3-venv (Debian: apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
fi
# Not `python -c 'import dcmon'`: from the checkout that imports the source tree even when
# nothing is installed. The entry point exists (and runs) only after an install.
if ! .venv/bin/dcmon --help >/dev/null 2>&1; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e .
fi
exec .venv/bin/dcmon demo "$@"

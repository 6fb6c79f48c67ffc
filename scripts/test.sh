#!/usr/bin/env bash
# The README's second command: install everything the tests need (Debian packages included),
# then run the whole suite. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# Lint and types first: they take seconds, and a suite run is wasted on code that does not type.
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"

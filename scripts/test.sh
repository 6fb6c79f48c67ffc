#!/usr/bin/env bash
# The README's second command: install everything the tests need (Debian packages included),
# then run the whole suite. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
exec .venv/bin/python -m pytest -q "$@"

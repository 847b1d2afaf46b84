#!/usr/bin/env bash
# Set up the project (a local .venv) and run the offline demo. Needs only Python >= 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.installed-demo ] || [ pyproject.toml -nt .venv/.installed-demo ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
  touch .venv/.installed-demo
fi
exec .venv/bin/python scripts/demo.py "$@"

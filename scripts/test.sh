#!/usr/bin/env bash
# The test command: system servers, venv, lint, format, types, import contracts, tests.
#   bash scripts/test.sh [pytest arguments...]
# Installs Debian's knot, postgresql, prometheus-blackbox-exporter, tmux and zsh (the terminal
# and completion tests drive them) when missing (as root,
# or through passwordless sudo), creates .venv (Python >= 3.11) and installs '.[test]'.
# Every step runs; the exit status is 1 if any failed, 2 if the environment cannot be set up.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(knot postgresql prometheus-blackbox-exporter tmux zsh)

have_knot() { command -v knotd >/dev/null 2>&1 || [ -x /usr/sbin/knotd ]; }
have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}
have_blackbox() {
  command -v prometheus-blackbox-exporter >/dev/null 2>&1 \
    || [ -x /usr/bin/prometheus-blackbox-exporter ]
}

have_terminal_tools() { command -v tmux >/dev/null 2>&1 && command -v zsh >/dev/null 2>&1; }

if ! have_knot || ! have_postgres || ! have_blackbox || ! have_terminal_tools; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "test.sh: missing system packages; as root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 2
  fi
  echo "test.sh: installing ${PACKAGES[*]}" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"
      break
    fi
  done
  if [ -z "$python" ]; then
    echo "test.sh: Python >= 3.11 not found" >&2
    exit 2
  fi
  "$python" -m venv .venv
fi

# Reinstall only when pyproject.toml changed since the last successful install.
stamp=".venv/.infra_verify-installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'; then
    echo "test.sh: pip install -e '.[test]' failed" >&2
    exit 2
  fi
  rm -f .venv/.infra_verify-installed-*
  touch "$stamp"
fi

failed=()
run() {
  echo "==> $*" >&2
  "$@" || failed+=("$*")
}
run .venv/bin/ruff check .
run .venv/bin/ruff format --check .
run .venv/bin/mypy
run .venv/bin/lint-imports --no-cache  # the layer and no-cycle contracts in pyproject.toml
run .venv/bin/python -m pytest "$@"

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'test.sh: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "test.sh: all checks passed" >&2

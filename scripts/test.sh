#!/usr/bin/env bash
# Set up everything the tests need (venv, Python packages, Chromium, MariaDB, Redis, DuckDB's spatial
# extension) and run the whole suite. Idempotent; fast when already set up. Extra args go to pytest.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh tests/test_services.py -q
# Env: PYTHON (default python3), OLYMPUS_FORCE_INSTALL=1 to reinstall packages,
#      OLYMPUS_TEST_PG_URL / OLYMPUS_TEST_SNOWFLAKE_SERVER / OLYMPUS_TEST_BQ_ENDPOINT /
#      OLYMPUS_TEST_CHROMIUM / OLYMPUS_TEST_MYSQL_URL (an admin URL) / OLYMPUS_TEST_REDIS_URL to use services you
#      already run (see tests/services.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '[test.sh] %s\n' "$*" >&2; }
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

# 1. Virtual environment + Python packages (skipped when the requirement files haven't changed).
if [ ! -x "$PY" ]; then
  say "creating $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
STAMP="$VENV/.olympus-requirements.sha256"
WANT="$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)"
if [ "${OLYMPUS_FORCE_INSTALL:-0}" = 1 ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  say "installing Python packages (requirements-test.txt)"
  # (the grep drops a harmless warning these machines' pip.conf prints once per package)
  "$PY" -m pip install -q --disable-pip-version-check -r requirements-test.txt 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  echo "$WANT" > "$STAMP"
fi

# 2. A real browser: Debian's Chromium (Playwright can't download browsers on these machines).
CHROMIUM="${OLYMPUS_TEST_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
  say "installing Chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq </dev/null >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends chromium </dev/null >/dev/null
fi

# 2b. A real MySQL-protocol server: Debian's MariaDB (the tests start it in a temp datadir).
if [ -z "${OLYMPUS_TEST_MYSQL_URL:-}" ] && ! PATH="$PATH:/usr/sbin" command -v mariadbd >/dev/null; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
  say "installing MariaDB with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq </dev/null >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client </dev/null >/dev/null
fi

# 2c. A real Redis for the shared rate limits (the tests start it on a free port).
if [ -z "${OLYMPUS_TEST_REDIS_URL:-}" ] && ! PATH="$PATH:/usr/sbin" command -v redis-server >/dev/null; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
  say "installing Redis with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq </dev/null >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends redis-server </dev/null >/dev/null
fi

# 3. DuckDB's spatial extension from its wheel (bqemulator needs it and would otherwise download it).
"$PY" -c "from tests.services import ensure_duckdb_spatial as e; r = e(); \
r.startswith('already') or print('[test.sh] duckdb spatial:', r)"

# 4. Run the suite; screenshots and reports go to test-artifacts/.
export OLYMPUS_TEST_ARTIFACTS="${OLYMPUS_TEST_ARTIFACTS:-$ROOT/test-artifacts}"
mkdir -p "$OLYMPUS_TEST_ARTIFACTS"
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/olympus-xdg-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi
export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
exec "$PY" -m pytest "$@"
